import type { DeliveryRecord } from '@audit/contracts';
import type { ApiClient } from '../api';
import { ErrorState, Spinner } from '../components/states';
import { localTime, utcInstant } from '../format';
import { useRequest } from '../use-request';

const STATUS_CLASS: Record<DeliveryRecord['status'], string> = { delivered: 'status-ready', failed: 'status-failed', dead_lettered: 'status-failed' };

/** A stream's recent deliveries, newest first; `version` changes after an action that adds one (a test). */
export function StreamDeliveries({ api, streamId, version }: { api: ApiClient; streamId: string; version: number }) {
  const deliveries = useRequest(`${streamId}#${version}`, (signal) =>
    api.get<{ items: DeliveryRecord[] }>(`/v1/streams/${streamId}/deliveries`, new URLSearchParams({ limit: '20' }), signal),
  );
  if (deliveries.status === 'error') return <ErrorState error={deliveries.error} onRetry={deliveries.reload} what="The deliveries" />;
  if (!deliveries.data) return <Spinner label="Loading the deliveries" />;
  if (deliveries.data.items.length === 0) return <p className="muted small">Nothing delivered yet.</p>;
  return (
    <div className="stream-deliveries">
      <table className="settings-table" aria-label="Recent deliveries">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Events</th>
            <th scope="col">Status</th>
            <th scope="col">Latency</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.data.items.map((d, i) => (
            <tr key={`${d.at}-${i}`}>
              <td title={utcInstant(d.at)}>{localTime(d.at)}</td>
              <td>
                {d.events}
                {d.replay && <span className="muted small"> (replay)</span>}
              </td>
              <td>
                <span className={`status ${STATUS_CLASS[d.status]}`}>{d.status.replace('_', ' ')}</span>
              </td>
              <td>{d.latencyMs} ms</td>
              <td className="small">{d.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="button small ghost" onClick={deliveries.reload}>
        Refresh
      </button>
    </div>
  );
}
