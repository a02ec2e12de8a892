import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { ApiClient } from '../api';
import { describeAction } from '../action-types';
import type { ConsoleFilters } from '../filters';
import { formatDuration, localTime, prettyJson, utcInstant } from '../format';
import type { EventDetail } from '../types';
import type { EventProof, LogKeys } from '@audit/contracts';
import { checkEventProof, type ProofVerdict } from '../proof-check';
import { useRequest } from '../use-request';
import { ActionBadge } from './ActionBadge';
import { ErrorState, Spinner } from './states';

interface Props {
  api: ApiClient;
  id: string;
  onClose: () => void;
  onChangeFilters: (patch: Partial<ConsoleFilters>) => void;
}

/** The parts of metadata the panel shows in their own sections; the rest is "Other metadata". */
const OWN_SECTIONS = new Set(['query', 'parameters', 'headers']);

/** Everything stored for one event. Escape closes it and focus returns to the event's row. */
export function EventDetailPanel({ api, id, onClose, onChangeFilters }: Props) {
  const request = useRequest(id, (signal) => api.get<EventDetail>(`/v1/events/${encodeURIComponent(id)}`, undefined, signal));
  const headingRef = useRef<HTMLHeadingElement>(null);
  const titleId = useId();

  useEffect(() => headingRef.current?.focus(), []);

  const event = request.data;
  const metadata = event?.metadata ?? {};
  const query = typeof metadata['query'] === 'string' ? metadata['query'] : null;
  // `query` has its own section only as a query run's text; any other shape stays with the rest.
  const rest = Object.fromEntries(Object.entries(metadata).filter(([k]) => !OWN_SECTIONS.has(k) || (k === 'query' && query === null)));

  return (
    <aside
      className="detail-panel"
      role="dialog"
      aria-modal="false"
      aria-labelledby={titleId}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <div className="detail-head">
        <h2 id={titleId} ref={headingRef} tabIndex={-1}>
          Event details
        </h2>
        <button type="button" className="button ghost icon-only" onClick={onClose} aria-label="Close details (Escape)" title="Close (Escape)">
          ×
        </button>
      </div>
      {request.status === 'loading' && !event && (
        <div className="detail-loading">
          <Spinner label="Loading the event" />
        </div>
      )}
      {request.status === 'error' &&
        (request.error.status === 404 ? (
          <div className="error-state" role="alert">
            <p className="error-title">Event not found</p>
            <p>
              No event <code className="mono break">{id}</code> in your organization: the link may be mistyped, or the event was erased or is past its retention.
            </p>
          </div>
        ) : (
          <ErrorState error={request.error} onRetry={request.reload} what="This event" />
        ))}
      {event && (
        <div className="detail-body">
          <div className="detail-summary">
            <ActionBadge type={event.actionType} />
            <span className="muted">{describeAction(event.actionType)}</span>
          </div>
          <ProofStatus api={api} event={event} />
          <dl className="facts">
            <Fact label="Time">
              <time dateTime={event.createdAt}>{localTime(event.createdAt)}</time>
              <span className="sub mono">{utcInstant(event.createdAt)}</span>
            </Fact>
            <Fact label="User">
              {event.user?.email ?? event.user?.userName ?? event.userId ?? '—'}
              {event.user?.email && event.user.userName && <span className="sub">{event.user.userName}</span>}
              {event.userId && (
                <button type="button" className="link-button sub" onClick={() => onChangeFilters({ userId: event.userId ?? '' })}>
                  Only this user
                </button>
              )}
            </Fact>
            <Fact label="IP address" mono>
              {event.ipAddress ?? '—'}
            </Fact>
            <Fact label="Response time">{event.responseTimeMs === null ? '—' : formatDuration(event.responseTimeMs)}</Fact>
            <Fact label="Page">{event.pageName ?? '—'}</Fact>
            <Fact label="Query" mono>
              {event.queryName ?? '—'}
            </Fact>
            <Fact label="Resource">{event.resourceName ?? '—'}</Fact>
            <Fact label="Received">
              <span title={utcInstant(event.receivedAt)}>{localTime(event.receivedAt)}</span>
            </Fact>
            <Fact label="Event id" mono>
              {event.id}
            </Fact>
            <Fact label="Organization" mono>
              {event.organizationId}
            </Fact>
          </dl>

          {query !== null && (
            <Section title="Query" copy={query} copyLabel="Copy query">
              <pre className="code query-text" data-testid="query-text">
                {query}
              </pre>
            </Section>
          )}
          {'parameters' in metadata && (
            <Section title="Parameters" copy={prettyJson(metadata['parameters'])}>
              <pre className="code">{prettyJson(metadata['parameters'])}</pre>
            </Section>
          )}
          {'headers' in metadata && (
            <Section title="Headers" copy={prettyJson(metadata['headers'])}>
              <pre className="code">{prettyJson(metadata['headers'])}</pre>
            </Section>
          )}
          {Object.keys(rest).length > 0 && (
            <Section title={query !== null ? 'Other metadata' : 'Metadata'} copy={prettyJson(rest)}>
              <pre className="code">{prettyJson(rest)}</pre>
            </Section>
          )}
          {Object.keys(metadata).length === 0 && <p className="muted small">No metadata was recorded with this event.</p>}
          <div className="detail-actions">
            <CopyButton text={prettyJson(event)} label="Copy event as JSON" />
          </div>
        </div>
      )}
    </aside>
  );
}

type ProofState = { status: 'checking' } | { status: 'unsealed' } | ProofVerdict;

/**
 * Whether the event is in the organization's tamper-evident log unchanged, checked here in the browser
 * (WebCrypto SHA-256 and Ed25519) from its proof and the log's keys: the server's word is not taken.
 */
function ProofStatus({ api, event }: { api: ApiClient; event: EventDetail }) {
  const [state, setState] = useState<ProofState>({ status: 'checking' });
  useEffect(() => {
    const abort = new AbortController();
    setState({ status: 'checking' });
    const check = async (): Promise<ProofState> => {
      let proof: EventProof;
      try {
        proof = await api.get<EventProof>(`/v1/events/${encodeURIComponent(event.id)}/proof`, undefined, abort.signal);
      } catch (error) {
        // Sealed within seconds of arrival, covered by the next checkpoint a few seconds later.
        if ((error as { status?: number }).status === 404) return { status: 'unsealed' };
        throw error;
      }
      const keys = await api.get<LogKeys>('/v1/log/keys', undefined, abort.signal);
      return checkEventProof(event, proof, keys.items.map((k) => k.key));
    };
    check().then(
      (result) => !abort.signal.aborted && setState(result),
      (error: unknown) => !abort.signal.aborted && setState({ status: 'failed', reason: `the proof could not be read: ${(error as Error).message}` }),
    );
    return () => abort.abort();
  }, [api, event]);
  switch (state.status) {
    case 'checking':
      return <p className="proof-status muted small" data-testid="proof-status">Checking the proof…</p>;
    case 'unsealed':
      return (
        <p className="proof-status muted small" data-testid="proof-status">
          Not yet sealed: the log covers an event within seconds of its arrival.
        </p>
      );
    case 'verified':
      return (
        <p className="proof-status proof-ok small" data-testid="proof-status">
          ✓ Verified in checkpoint #{state.treeSize} ({localTime(state.signedAt)}, key {state.keyName} {state.keyId}){state.erased ? ': content erased' : ''}
        </p>
      );
    case 'failed':
      return (
        <p className="proof-status proof-failed small" role="alert" data-testid="proof-status">
          ✗ Verification failed: {state.reason}
        </p>
      );
  }
}

function Fact({ label, children, mono }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined}>{children}</dd>
    </div>
  );
}

function Section({ title, copy, copyLabel, children }: { title: string; copy: string; copyLabel?: string; children: ReactNode }) {
  return (
    <section className="detail-section">
      <div className="section-head">
        <h3>{title}</h3>
        <CopyButton text={copy} label={copyLabel ?? `Copy ${title.toLowerCase()}`} />
      </div>
      {children}
    </section>
  );
}

async function writeClipboard(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Denied (an embedded or unfocused page): fall back to a selection copy below.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = window.setTimeout(() => setState('idle'), 1800);
    return () => window.clearTimeout(t);
  }, [state]);
  return (
    <button type="button" className="button small" onClick={() => void writeClipboard(text).then(() => setState('copied'), () => setState('failed'))} aria-live="polite">
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}
