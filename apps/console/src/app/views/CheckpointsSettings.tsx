import type { LogCheckpoint } from '@audit/contracts';
import type { ApiClient } from '../api';
import { ErrorState, Spinner } from '../components/states';
import { localTime, utcInstant } from '../format';
import { useRequest } from '../use-request';
import { CheckpointNote, VerificationKeys } from './CheckpointsView';

/**
 * The log's latest signed checkpoint and its public keys, for Settings; the Checkpoints page (linked)
 * lists the last day's. A log with nothing sealed yet answers 404 for the latest checkpoint.
 */
export function CheckpointsSettings({ api, checkpointsHref, onOpenCheckpoints }: { api: ApiClient; checkpointsHref: string; onOpenCheckpoints: () => void }) {
  const latest = useRequest('latest-checkpoint', (signal) => api.get<LogCheckpoint>('/v1/log/checkpoint', undefined, signal));
  return (
    <div className="checkpoints-settings">
      <h3>Latest checkpoint</h3>
      {latest.status === 'loading' && <Spinner label="Loading the latest checkpoint" />}
      {latest.status === 'error' &&
        (latest.error.status === 404 ? <p className="muted">Nothing is sealed yet: the first checkpoint is signed once events arrive.</p> : <ErrorState error={latest.error} onRetry={latest.reload} what="The latest checkpoint" />)}
      {latest.data && (
        <>
          <p>
            Checkpoint <strong>#{latest.data.treeSize}</strong> ({latest.data.treeSize} events), signed <span title={utcInstant(latest.data.signedAt)}>{localTime(latest.data.signedAt)}</span>. Save its note: a later{' '}
            <code>verify log --checkpoint</code> proves the log only grew.
          </p>
          <CheckpointNote checkpoint={latest.data} />
        </>
      )}
      <h3>Verification keys</h3>
      <VerificationKeys api={api} />
      <p>
        <a
          href={checkpointsHref}
          onClick={(e) => {
            if (e.metaKey || e.ctrlKey || e.shiftKey) return;
            e.preventDefault();
            onOpenCheckpoints();
          }}
        >
          All checkpoints of the last 24 hours
        </a>
      </p>
    </div>
  );
}
