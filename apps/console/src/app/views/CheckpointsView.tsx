import type { LogCheckpoint, LogCheckpointPage, LogKeys } from '@audit/contracts';
import type { ApiClient } from '../api';
import { ErrorState, Spinner } from '../components/states';
import { localTime, utcInstant } from '../format';
import { useRequest } from '../use-request';

const DAY_MS = 86_400_000;

/** The log's public verification keys (also shown in Settings), each with when it signed first. */
export function VerificationKeys({ api }: { api: ApiClient }) {
  const keys = useRequest('keys', (signal) => api.get<LogKeys>('/v1/log/keys', undefined, signal));
  return (
    <>
      {keys.status === 'error' && <ErrorState error={keys.error} onRetry={keys.reload} what="The keys" />}
      {keys.status === 'loading' && <Spinner label="Loading the keys" />}
      <ul className="key-list" data-testid="log-keys">
        {keys.data?.items.map((k) => (
          <li key={k.key}>
            <code className="mono break">{k.key}</code> <span className="muted small">since {localTime(k.firstUsedAt)}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

/** A checkpoint's signed note, to save for a later consistency check. */
export function CheckpointNote({ checkpoint }: { checkpoint: LogCheckpoint }) {
  return (
    <pre className="code" data-testid="latest-note">
      {checkpoint.note}
    </pre>
  );
}

/**
 * The organization's tamper-evident log: the public keys that sign it (keep them outside the platform
 * to verify with `verify log` / `verify export`), the latest checkpoint's note (save it: a later
 * `verify log --checkpoint` proves the log only grew), and the checkpoints of the last 24 hours.
 */
export function CheckpointsView({ api }: { api: ApiClient }) {
  const recent = useRequest('recent', (signal) =>
    api.get<LogCheckpointPage>('/v1/log/checkpoints', new URLSearchParams({ from: new Date(Date.now() - DAY_MS).toISOString(), limit: '1000' }), signal),
  );
  const items: LogCheckpoint[] = [...(recent.data?.items ?? [])].reverse();
  return (
    <div className="checkpoints-view">
      <section className="detail-section">
        <h2>Verification keys</h2>
        <p className="muted small">Checkpoints are signed with these Ed25519 keys (signed-note form). Keep a copy outside this platform: the offline verifier needs only them.</p>
        <VerificationKeys api={api} />
      </section>
      <section className="detail-section">
        <h2>Checkpoints of the last 24 hours</h2>
        {recent.status === 'error' && <ErrorState error={recent.error} onRetry={recent.reload} what="The checkpoints" />}
        {recent.status === 'loading' && <Spinner label="Loading the checkpoints" />}
        {recent.status === 'ready' && items.length === 0 && <p className="muted">No checkpoint was signed in the last 24 hours.</p>}
        {items.length > 0 && (
          <>
            <p className="muted small">The newest one's signed note, to save for a later consistency check:</p>
            <CheckpointNote checkpoint={items[0]} />
            <table className="events-table checkpoints-table">
              <thead>
                <tr>
                  <th scope="col">Checkpoint (events)</th>
                  <th scope="col">Signed</th>
                  <th scope="col">Root hash</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.treeSize}>
                    <td>#{c.treeSize}</td>
                    <td title={utcInstant(c.signedAt)}>{localTime(c.signedAt)}</td>
                    <td className="mono">{c.rootHash}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </div>
  );
}
