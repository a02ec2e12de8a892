import { useEffect, useState } from 'react';
import type { StreamView } from '@audit/contracts';
import type { ApiClient } from '../api';
import { ErrorState, Spinner } from '../components/states';
import { useRequest } from '../use-request';
import { StreamForm } from './StreamForm';
import { StreamItem } from './StreamItem';

/**
 * The organization's streams (`/v1/streams`, the API the CLI's `streams` commands use): each with its
 * state and actions, and a form for a new one. Every change is recorded in the log by the server.
 */
export function StreamsSettings({ api }: { api: ApiClient }) {
  const list = useRequest('streams', (signal) => api.get<{ items: StreamView[] }>('/v1/streams', undefined, signal));
  const [items, setItems] = useState<StreamView[] | null>(null);
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    if (list.data) setItems(list.data.items);
  }, [list.data]);

  if (list.status === 'error' && !items) return <ErrorState error={list.error} onRetry={list.reload} what="Streams" />;
  if (!items) return <Spinner label="Loading streams" />;
  const replace = (next: StreamView) => setItems((all) => (all ?? []).map((s) => (s.id === next.id ? next : s)));
  return (
    <div className="streams">
      <p className="muted small">
        Each stream sends this organization's events to a destination as they arrive, at least once (the event id lets a receiver drop duplicates). Secrets are stored encrypted and never shown again.
      </p>
      {items.length === 0 && !creating && <p className="muted">No streams yet.</p>}
      <ul className="stream-list" aria-label="Streams">
        {items.map((s) => (
          <StreamItem key={s.id} api={api} stream={s} onChanged={replace} onDeleted={() => setItems((all) => (all ?? []).filter((x) => x.id !== s.id))} />
        ))}
      </ul>
      {creating ? (
        <StreamForm
          api={api}
          onSaved={(saved) => {
            setCreating(false);
            setItems((all) => [...(all ?? []), saved]);
          }}
          onCancel={() => setCreating(false)}
        />
      ) : (
        <button type="button" className="button primary" onClick={() => setCreating(true)}>
          New stream
        </button>
      )}
    </div>
  );
}
