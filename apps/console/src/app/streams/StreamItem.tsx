import { useId, useState, type FormEvent } from 'react';
import type { StreamView, TestDeliveryResult } from '@audit/contracts';
import { asApiError, type ApiClient } from '../api';
import { localTime, utcInstant } from '../format';
import { StreamDeliveries } from './StreamDeliveries';
import { StreamForm } from './StreamForm';
import { DESTINATION_LABELS, describeDestination, describeFilter, describeLag, describeReplayStart } from './stream-form';

const STATUS_CLASS: Record<StreamView['state']['status'], string> = { active: 'status-ready', paused: 'status-pending', failing: 'status-failed' };

/** `datetime-local` text (the browser's zone) as the ISO instant the API takes; as typed when it is no date. */
const isoOf = (local: string): string => (Number.isNaN(new Date(local).getTime()) ? local : new Date(local).toISOString());

function ReplayForm({ api, stream, onDone }: { api: ApiClient; stream: StreamView; onDone: (next: StreamView, askedFrom: string) => void }) {
  const [from, setFrom] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const askedFrom = isoOf(from);
    api.post<StreamView>(`/v1/streams/${stream.id}/replay`, { from: askedFrom }).then(
      (next) => onDone(next, askedFrom),
      (e: unknown) => setError(asApiError(e).describe()),
    );
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label={`Replay ${stream.name}`} noValidate>
      <label htmlFor={id} className="field-label">
        Send again every event since
      </label>
      <input id={id} className="text-input" type="datetime-local" step={1} value={from} onChange={(e) => setFrom(e.target.value)} aria-describedby={error ? `${id}-error` : undefined} />
      <button type="submit" className="button">
        Replay
      </button>
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

/**
 * One stream: where it sends, what, its state (with the last error while failing), and its actions. Each
 * action answers with the stream as the server now holds it, which replaces the one shown.
 */
export function StreamItem({ api, stream, onChanged, onDeleted }: { api: ApiClient; stream: StreamView; onChanged: (next: StreamView) => void; onDeleted: () => void }) {
  const [mode, setMode] = useState<'view' | 'edit' | 'replay'>('view');
  const [showDeliveries, setShowDeliveries] = useState(false);
  const [deliveriesVersion, setDeliveriesVersion] = useState(0);
  const [message, setMessage] = useState<{ text: string; bad: boolean } | null>(null);
  const fail = (e: unknown) => setMessage({ text: asApiError(e).describe(), bad: true });
  const paused = stream.state.status === 'paused';

  if (mode === 'edit') return <StreamForm api={api} stream={stream} onSaved={(next) => (setMode('view'), onChanged(next))} onCancel={() => setMode('view')} />;

  const togglePause = (): void => void api.post<StreamView>(`/v1/streams/${stream.id}/${paused ? 'resume' : 'pause'}`, {}).then(onChanged, fail);
  const test = () => {
    setMessage(null);
    api.post<TestDeliveryResult>(`/v1/streams/${stream.id}/test`, {}).then((r) => {
      setMessage(r.delivered ? { text: `Test event delivered in ${r.latencyMs} ms.`, bad: false } : { text: `The test event was not delivered: ${r.error ?? 'no reason given'}`, bad: true });
      setShowDeliveries(true);
      setDeliveriesVersion((v) => v + 1);
    }, fail);
  };
  const remove = () => {
    if (!window.confirm(`Delete the stream "${stream.name}"? Nothing more is sent to ${describeDestination(stream)}.`)) return;
    api.delete(`/v1/streams/${stream.id}`).then(onDeleted, fail);
  };

  return (
    <li className="stream-item" data-testid="stream-item">
      <div className="stream-head">
        <strong className="stream-name">{stream.name}</strong>
        <span className={`status ${STATUS_CLASS[stream.state.status]}`} title={`since ${utcInstant(stream.state.since)}`}>
          {stream.state.status}
        </span>
      </div>
      <dl className="stream-facts">
        <dt>Destination</dt>
        <dd>
          {DESTINATION_LABELS[stream.destination.type]}: <span className="break">{describeDestination(stream)}</span>
        </dd>
        <dt>Format</dt>
        <dd>{stream.format}</dd>
        <dt>Events</dt>
        <dd>{describeFilter(stream.filter)}</dd>
        <dt>Behind</dt>
        <dd data-testid="stream-lag">{describeLag(stream.lag)}</dd>
        {stream.state.lastError && (
          <>
            <dt>Last error</dt>
            <dd className="text-danger break">
              {stream.state.lastError} <span className="muted small">({localTime(stream.state.since)})</span>
            </dd>
          </>
        )}
        {stream.replay && (
          <>
            <dt>Replay</dt>
            <dd>since {localTime(stream.replay.from)}, running</dd>
          </>
        )}
      </dl>
      <div className="stream-actions">
        <button type="button" className="button small" onClick={() => setMode('edit')}>
          Edit
        </button>
        <button type="button" className="button small" onClick={togglePause}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="button small" onClick={test}>
          Send test event
        </button>
        <button type="button" className="button small" aria-expanded={mode === 'replay'} onClick={() => setMode(mode === 'replay' ? 'view' : 'replay')}>
          Replay…
        </button>
        <button type="button" className="button small" aria-expanded={showDeliveries} onClick={() => setShowDeliveries((s) => !s)}>
          Deliveries
        </button>
        <button type="button" className="button small ghost danger" onClick={remove}>
          Delete
        </button>
      </div>
      {message && (
        <p className={message.bad ? 'form-error' : 'notice-ok'} role={message.bad ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
      {mode === 'replay' && <ReplayForm api={api} stream={stream} onDone={(next, askedFrom) => (setMode('view'), setMessage({ text: describeReplayStart(askedFrom, next), bad: false }), onChanged(next))} />}
      {showDeliveries && <StreamDeliveries api={api} streamId={stream.id} version={deliveriesVersion} />}
    </li>
  );
}
