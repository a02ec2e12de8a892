import type { DeliveryRecord } from '@audit/contracts';
import type { ApiClient } from '../api';
import { SettingsList } from '../components/SettingsTable';
import { localTime, utcInstant } from '../format';
import { useRequest } from '../use-request';

const STATUS_CLASS: Record<DeliveryRecord['status'], string> = { delivered: 'status-ready', failed: 'status-failed', dead_lettered: 'status-failed' };

/** A stream's recent deliveries, newest first; `version` changes after an action that adds one (a test). */
export function StreamDeliveries({ api, streamId, version }: { api: ApiClient; streamId: string; version: number }) {
  const deliveries = useRequest(`${streamId}#${version}`, (signal) =>
    api.get<{ items: DeliveryRecord[] }>(`/v1/streams/${streamId}/deliveries`, new URLSearchParams({ limit: '20' }), signal),
  );
  if (deliveries.status !== 'error' && deliveries.data?.items.length === 0) return <p className="muted small">Nothing delivered yet.</p>;
  return (
    <div className="stream-deliveries">
      <SettingsList
        request={deliveries}
        what="The deliveries"
        loading="Loading the deliveries"
        label="Recent deliveries"
        rows={(data) => data.items}
        rowKey={(d, i) => `${d.at}-${i}`}
        columns={[
          { header: 'Time', title: (d) => utcInstant(d.at), cell: (d) => localTime(d.at) },
          {
            header: 'Events',
            cell: (d) => (
              <>
                {d.events}
                {d.replay && <span className="muted small"> (replay)</span>}
              </>
            ),
          },
          { header: 'Status', cell: (d) => <span className={`status ${STATUS_CLASS[d.status]}`}>{d.status.replace('_', ' ')}</span> },
          { header: 'Latency', cell: (d) => `${d.latencyMs} ms` },
          { header: 'Error', className: 'small', cell: (d) => d.error ?? '' },
        ]}
      />
      {deliveries.data && (
        <button type="button" className="button small ghost" onClick={deliveries.reload}>
          Refresh
        </button>
      )}
    </div>
  );
}
