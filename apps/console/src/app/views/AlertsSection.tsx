import { useId, useState, type FormEvent } from 'react';
import { asApiError, type ApiClient } from '../api';
import { SettingsList } from '../components/SettingsTable';
import { FormError } from '../components/states';
import { hrefOf, useLocation } from '../router';
import { useRequest } from '../use-request';

type Condition =
  | { kind: 'count'; atLeast: number; windowMinutes: number; perUser: boolean; outsideHours?: { fromHour: number; toHour: number; timeZone: string } }
  | { kind: 'baseline'; factor: number; minCount: number; perUser: boolean };

interface Alert {
  id: string;
  name: string;
  savedSearchId: string | null;
  query: string;
  condition: Condition;
  webhook: { url: string; secretSet: true };
  enabled: boolean;
}

interface Firing {
  id: string;
  alertName: string;
  window: { from: string; to: string };
  groups: Array<{ userId: string | null; count: number; baseline?: number }>;
  firedAt: string;
  delivery: { status: 'pending' | 'delivered' | 'failed'; attempts: number; lastError: string | null };
}

interface SavedSearch {
  id: string;
  name: string;
  query: string;
}

/** The organization's saved searches: save the search in the address under a name, open or delete one. */
function SavedSearches({ api, current }: { api: ApiClient; current: string }) {
  const searches = useRequest('saved-searches', (signal) => api.get<{ items: SavedSearch[] }>('/v1/searches', undefined, signal));
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const fail = (e: unknown) => setProblem(asApiError(e).describe());
  const save = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    api.post('/v1/searches', { name: name.trim(), query: current }).then(() => (setName(''), searches.reload()), fail);
  };
  const remove = (search: SavedSearch) => {
    setProblem(null);
    api.delete(`/v1/searches/${search.id}`).then(searches.reload, fail);
  };
  return (
    <div>
      <SettingsList
        request={searches}
        heading="Saved searches"
        what="Saved searches"
        label="Saved searches"
        rows={(data) => data.items}
        rowKey={(search) => search.id}
        empty="No saved searches yet."
        columns={[
          { header: '', cell: (search) => <a href={hrefOf('events', new URLSearchParams({ search: search.query }))}>{search.name}</a> },
          { header: '', cell: (search) => <code>{search.query}</code> },
          {
            header: '',
            actions: true,
            cell: (search) => (
              <button type="button" className="button small" onClick={() => remove(search)}>
                Delete
              </button>
            ),
          },
        ]}
      />
      {current && (
        <form onSubmit={save} aria-label="Save this search" noValidate>
          <label htmlFor={id} className="field-label">
            Save <code>{current}</code> as
          </label>
          <input id={id} className="text-input" value={name} placeholder="exports" onChange={(e) => setName(e.target.value)} />
          <button type="submit" className="button">
            Save search
          </button>
        </form>
      )}
      <FormError problem={problem} />
    </div>
  );
}

/** What the form edits: every field as typed, so the server's 400 names what is wrong. */
interface Draft {
  name: string;
  query: string;
  kind: 'count' | 'baseline';
  atLeast: string;
  windowMinutes: string;
  factor: string;
  minCount: string;
  perUser: boolean;
  url: string;
  secret: string;
  enabled: boolean;
}

const emptyDraft = (query: string): Draft => ({ name: '', query, kind: 'count', atLeast: '1', windowMinutes: '60', factor: '5', minCount: '20', perUser: false, url: '', secret: '', enabled: true });

const draftOf = (alert: Alert): Draft => ({
  ...emptyDraft(alert.query),
  name: alert.name,
  kind: alert.condition.kind,
  perUser: alert.condition.perUser,
  ...(alert.condition.kind === 'count'
    ? { atLeast: String(alert.condition.atLeast), windowMinutes: String(alert.condition.windowMinutes) }
    : { factor: String(alert.condition.factor), minCount: String(alert.condition.minCount) }),
  url: alert.webhook.url,
  enabled: alert.enabled,
});

// Digits go as numbers; anything else as typed, for the server to name.
const num = (text: string): number | string => (/^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : text.trim());

/** The request body of a draft; an edited alert keeps its saved search, its working hours and (without a new one) its secret. */
function bodyOf(draft: Draft, editing: Alert | null): Record<string, unknown> {
  const kept = editing?.condition.kind === 'count' && draft.kind === 'count' && editing.condition.outsideHours ? { outsideHours: editing.condition.outsideHours } : {};
  const condition =
    draft.kind === 'count'
      ? { kind: 'count', atLeast: num(draft.atLeast), windowMinutes: num(draft.windowMinutes), perUser: draft.perUser, ...kept }
      : { kind: 'baseline', factor: num(draft.factor), minCount: num(draft.minCount), perUser: draft.perUser };
  const source = editing?.savedSearchId && draft.query === editing.query ? { savedSearchId: editing.savedSearchId } : { query: draft.query };
  return { name: draft.name.trim(), ...source, condition, webhook: { url: draft.url.trim(), ...(draft.secret ? { secret: draft.secret } : {}) }, enabled: draft.enabled };
}

const describeCondition = (c: Condition): string =>
  c.kind === 'count'
    ? `≥ ${c.atLeast} in ${c.windowMinutes} min${c.perUser ? ' per user' : ''}${c.outsideHours ? ` outside ${c.outsideHours.fromHour}:00–${c.outsideHours.toHour}:00 ${c.outsideHours.timeZone}` : ''}`
    : `≥ ${c.factor} × the same hour's weekly average (at least ${c.minCount})${c.perUser ? ' per user' : ''}`;

const time = (iso: string) => new Date(iso).toLocaleString();

function AlertForm({ api, editing, initialQuery, onDone }: { api: ApiClient; editing: Alert | null; initialQuery: string; onDone: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => (editing ? draftOf(editing) : emptyDraft(initialQuery)));
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const save = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const body = bodyOf(draft, editing);
    (editing ? api.put(`/v1/alerts/${editing.id}`, body) : api.post('/v1/alerts', body)).then(onDone, (e: unknown) => setProblem(asApiError(e).describe()));
  };
  const field = (key: keyof Draft, label: string, extra: { placeholder?: string; type?: string } = {}) => (
    <>
      <label htmlFor={`${id}-${key}`} className="field-label">
        {label}
      </label>
      <input id={`${id}-${key}`} className="text-input" type={extra.type ?? 'text'} placeholder={extra.placeholder} value={String(draft[key])} onChange={(e) => set({ [key]: e.target.value })} />
    </>
  );
  return (
    <form onSubmit={save} aria-label={editing ? `Edit alert ${editing.name}` : 'New alert'} noValidate className="alert-form">
      {field('name', 'Name', { placeholder: 'bulk export' })}
      {field('query', 'Search (the query language of the search box)', { placeholder: 'action:PAGE_EXPORT' })}
      <label htmlFor={`${id}-kind`} className="field-label">
        Fires when
      </label>
      <select id={`${id}-kind`} className="text-input" value={draft.kind} onChange={(e) => set({ kind: e.target.value as Draft['kind'] })}>
        <option value="count">at least N events in a window</option>
        <option value="baseline">k × the same hour&apos;s average of the past week</option>
      </select>
      {draft.kind === 'count' ? (
        <>
          {field('atLeast', 'At least (events)')}
          {field('windowMinutes', 'Window (minutes)')}
        </>
      ) : (
        <>
          {field('factor', 'Factor k')}
          {field('minCount', 'And at least (events)')}
        </>
      )}
      <label className="checkbox">
        <input type="checkbox" checked={draft.perUser} onChange={(e) => set({ perUser: e.target.checked })} /> Count each user on their own
      </label>
      {field('url', 'Webhook URL', { placeholder: 'https://hooks.example.com/audit' })}
      {field('secret', editing ? 'Signing secret (empty keeps the stored one)' : 'Signing secret (at least 16 characters)', { type: 'password' })}
      <label className="checkbox">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> Enabled
      </label>
      <div className="form-actions">
        <button type="submit" className="button primary">
          {editing ? 'Save alert' : 'Create alert'}
        </button>
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      <FormError problem={problem} />
    </form>
  );
}

/**
 * The organization's alerts (a search, a condition evaluated every minute, a signed webhook) and their
 * recent firings. A new alert starts from the search in the address (the search box's query), so "alert
 * on this search" is: search, open Settings, New alert; "Save search" keeps it under a name.
 */
export function AlertsSection({ api }: { api: ApiClient }) {
  const alerts = useRequest('alerts', (signal) => api.get<{ items: Alert[] }>('/v1/alerts', undefined, signal));
  const firings = useRequest('alert-firings', (signal) => api.get<{ items: Firing[] }>('/v1/alert-firings', new URLSearchParams({ limit: '20' }), signal));
  const [location] = useLocation();
  const [editing, setEditing] = useState<Alert | 'new' | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const done = () => (setEditing(null), alerts.reload());
  const fail = (e: unknown) => setProblem(asApiError(e).describe());
  const toggle = (alert: Alert) => {
    setProblem(null);
    const body = bodyOf({ ...draftOf(alert), enabled: !alert.enabled }, alert);
    api.put(`/v1/alerts/${alert.id}`, body).then(alerts.reload, fail);
  };
  const remove = (alert: Alert) => {
    if (!window.confirm(`Delete the alert "${alert.name}" and its firings?`)) return;
    setProblem(null);
    api.delete(`/v1/alerts/${alert.id}`).then(alerts.reload, fail);
  };
  return (
    <div>
      <SettingsList
        request={alerts}
        what="Alerts"
        loading="Loading alerts"
        label="Alerts"
        rows={(data) => data.items}
        rowKey={(alert) => alert.id}
        empty="No alerts yet."
        columns={[
          { header: 'Name', cell: (alert) => alert.name },
          { header: 'Search', cell: (alert) => <code>{alert.query}</code> },
          { header: 'Fires when', cell: (alert) => describeCondition(alert.condition) },
          { header: 'Status', cell: (alert) => (alert.enabled ? 'enabled' : 'disabled') },
          {
            header: '',
            actions: true,
            cell: (alert) => (
              <>
                <button type="button" className="button small" onClick={() => toggle(alert)}>
                  {alert.enabled ? 'Disable' : 'Enable'}
                </button>
                <button type="button" className="button small" onClick={() => setEditing(alert)}>
                  Edit
                </button>
                <button type="button" className="button small" onClick={() => remove(alert)}>
                  Delete
                </button>
              </>
            ),
          },
        ]}
      />
      <FormError problem={problem} />
      {editing ? (
        <AlertForm key={editing === 'new' ? 'new' : editing.id} api={api} editing={editing === 'new' ? null : editing} initialQuery={location.search.get('search') ?? ''} onDone={done} />
      ) : (
        <button type="button" className="button primary" onClick={() => setEditing('new')}>
          {location.search.get('search') ? 'New alert on this search' : 'New alert'}
        </button>
      )}
      <SavedSearches api={api} current={location.search.get('search') ?? ''} />
      <SettingsList
        request={firings}
        heading="Recent firings"
        what="Firings"
        label="Recent firings"
        rows={(data) => data.items}
        rowKey={(f) => f.id}
        empty="No firings yet. Alerts are evaluated every minute."
        columns={[
          { header: 'Fired', cell: (f) => time(f.firedAt) },
          { header: 'Alert', cell: (f) => f.alertName },
          { header: 'Window', cell: (f) => `${time(f.window.from)} – ${time(f.window.to)}` },
          { header: 'Matched', cell: (f) => f.groups.map((g) => `${g.userId ?? 'all'}: ${g.count}${g.baseline === undefined ? '' : ` (usually ${g.baseline})`}`).join(', ') },
          {
            header: 'Webhook',
            title: (f) => f.delivery.lastError ?? undefined,
            cell: (f) => `${f.delivery.status}${f.delivery.attempts > 1 ? ` after ${f.delivery.attempts} attempts` : ''}`,
          },
        ]}
      />
    </div>
  );
}
