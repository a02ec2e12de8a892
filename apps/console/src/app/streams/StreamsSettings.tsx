import { useEffect, useState } from 'react';
import type { StreamView } from '@audit/contracts';
import type { ApiClient } from '../api';
import { ErrorState, Spinner } from '../components/states';
import { useOnScreen, usePolling } from '../use-polling';
import { useRequest } from '../use-request';
import { StreamForm } from './StreamForm';
import { StreamItem } from './StreamItem';

/** How often the list (with each stream's state and lag) is read again while it is on screen. */
export const STREAMS_POLL_MS = 5_000;

/**
 * The organization's streams (`/v1/streams`, the API the CLI's `streams` commands use): each with its
 * state and actions, and a form for a new one. Every change is recorded in the log by the server.
 * The list reloads every {@link STREAMS_POLL_MS} while on screen, so states and lags move by themselves;
 * a form being edited keeps what was typed (each item keeps its own state across reloads).
 */
export function StreamsSettings({ api }: { api: ApiClient }) {
  const list = useRequest('streams', (signal) => api.get<{ items: StreamView[] }>('/v1/streams', undefined, signal));
  const [items, setItems] = useState<StreamView[] | null>(null);
  const [creating, setCreating] = useState(false);
  const [ref, onScreen] = useOnScreen();
  usePolling(list, STREAMS_POLL_MS, onScreen);
  useEffect(() => {
    if (list.data) setItems(list.data.items);
  }, [list.data]);

  if (list.status === 'error' && !items) return <ErrorState error={list.error} onRetry={list.reload} what="Streams" />;
  if (!items) return <Spinner label="Loading streams" />;
  // A change made here shows at once; reloading then drops a poll already under way, whose answer predates it.
  const { reload } = list;
  const replace = (next: StreamView) => (setItems((all) => (all ?? []).map((s) => (s.id === next.id ? next : s))), reload());
  return (
    <div className="streams" ref={ref}>
      <p className="muted small">
        Each stream sends this organization's events to a destination as they arrive, at least once (the event id lets a receiver drop duplicates). Secrets are stored encrypted and never shown again.
      </p>
      {list.status === 'error' && (
        <p className="muted small" role="status">
          The list could not be refreshed ({list.error.describe()}); trying again shortly.
        </p>
      )}
      {items.length === 0 && !creating && <p className="muted">No streams yet.</p>}
      <ul className="stream-list" aria-label="Streams">
        {items.map((s) => (
          <StreamItem key={s.id} api={api} stream={s} onChanged={replace} onDeleted={() => (setItems((all) => (all ?? []).filter((x) => x.id !== s.id)), reload())} />
        ))}
      </ul>
      {creating ? (
        <StreamForm
          api={api}
          onSaved={(saved) => {
            setCreating(false);
            setItems((all) => [...(all ?? []), saved]);
            reload();
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
