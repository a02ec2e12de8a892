import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { asApiError, type ApiClient } from '../api';
import { SettingsList } from '../components/SettingsTable';
import { ErrorState, FormError, Spinner } from '../components/states';
import { StreamsSettings } from '../streams/StreamsSettings';
import { useRequest } from '../use-request';
import { CheckpointsSettings } from './CheckpointsSettings';
import { AlertsSection } from './AlertsSection';

interface Retention {
  organizationId: string;
  days: number | null;
  effectiveDays: number;
  defaultDays: number;
  legalHold: { reason: string; heldAt: string } | null;
}
interface IngestKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}
interface HiddenParameters {
  queries: Array<{ queryName: string; since: string }>;
}

/** Loads one settings resource; `reload` after a change shows what the server now holds. */
function useResource<T>(api: ApiClient, path: string) {
  return useRequest(path, (signal) => api.get<T>(path, undefined, signal));
}

const day = (iso: string) => new Date(iso).toLocaleDateString();

function RetentionCard({ api }: { api: ApiClient }) {
  const { data, error, reload } = useResource<Retention>(api, '/v1/settings/retention');
  const [days, setDays] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const inputId = useId();
  useEffect(() => {
    if (data) setDays(data.days === null ? '' : String(data.days));
  }, [data]);
  if (error) return <ErrorState error={error} onRetry={reload} what="Retention" />;
  if (!data) return <Spinner label="Loading retention" />;
  const save = (event: FormEvent) => {
    event.preventDefault();
    // Anything but digits goes to the server as typed, so its 400 names the field.
    const value = days.trim() === '' ? null : /^\d+$/.test(days.trim()) ? Number(days.trim()) : days.trim();
    setProblem(null);
    setSaved(null);
    api.put<Retention>('/v1/settings/retention', { days: value }).then(
      () => (setSaved('Saved. The change is recorded in the log.'), reload()),
      (e: unknown) => setProblem(asApiError(e).describe()),
    );
  };
  return (
    <form onSubmit={save} aria-label="Retention" noValidate>
      <p>
        Events are kept <strong>{data.effectiveDays === 0 ? 'forever' : `${data.effectiveDays} days`}</strong>
        {data.days === null ? ` (the deployment's default of ${data.defaultDays} days)` : ''}.
      </p>
      <p className="legal-hold">
        Legal hold: {data.legalHold ? <strong>on since {day(data.legalHold.heldAt)}: {data.legalHold.reason}</strong> : 'off'}
        <span className="muted small"> (set by an operator with the CLI; nothing is deleted while it is on)</span>
      </p>
      <label htmlFor={inputId} className="field-label">
        Keep events for (days; 0 keeps forever; empty follows the default)
      </label>
      <input id={inputId} className="text-input" inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
      <button type="submit" className="button primary">
        Save retention
      </button>
      <FormError problem={problem} />
      {saved && <p role="status">{saved}</p>}
    </form>
  );
}

function KeysCard({ api }: { api: ApiClient }) {
  const keys = useResource<{ items: IngestKey[] }>(api, '/v1/settings/keys');
  const { reload } = keys;
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const inputId = useId();
  const create = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    api.post<{ name: string; key: string }>('/v1/settings/keys', name.trim() ? { name: name.trim() } : {}).then(
      (key) => (setCreated({ name: key.name, key: key.key }), setName(''), reload()),
      (e: unknown) => setProblem(asApiError(e).describe()),
    );
  };
  const revoke = (key: IngestKey) => {
    if (!window.confirm(`Revoke the key "${key.name}" (${key.prefix}…)? Services sending with it are refused within a minute.`)) return;
    setProblem(null);
    api.delete(`/v1/settings/keys/${key.id}`).then(reload, (e: unknown) => setProblem(asApiError(e).describe()));
  };
  return (
    <div>
      {created && (
        <div className="notice" role="status">
          <p>
            The key <strong>{created.name}</strong>, shown this once (only its hash is stored): copy it now.
          </p>
          <code className="new-key" data-testid="new-key">
            {created.key}
          </code>
          <button type="button" className="button small" onClick={() => setCreated(null)}>
            I have stored it
          </button>
        </div>
      )}
      <SettingsList
        request={keys}
        what="Ingest keys"
        loading="Loading keys"
        label="Ingest keys"
        rows={(data) => data.items}
        rowKey={(key) => key.id}
        empty="No keys yet."
        columns={[
          { header: 'Name', cell: (key) => key.name },
          { header: 'Key', cell: (key) => <code>{key.prefix}…</code> },
          { header: 'Created', cell: (key) => day(key.createdAt) },
          { header: 'Status', cell: (key) => (key.revokedAt ? `revoked ${day(key.revokedAt)}` : 'active') },
          {
            header: '',
            actions: true,
            cell: (key) =>
              !key.revokedAt && (
                <button type="button" className="button small ghost" onClick={() => revoke(key)} aria-label={`Revoke ${key.name}`}>
                  Revoke
                </button>
              ),
          },
        ]}
      />
      <form onSubmit={create} className="inline-form" aria-label="Create a key" noValidate>
        <label htmlFor={inputId} className="field-label">
          New key's name
        </label>
        <input id={inputId} className="text-input" value={name} placeholder="default" onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="button primary">
          Create key
        </button>
      </form>
      <FormError problem={problem} />
    </div>
  );
}

function HiddenParametersCard({ api }: { api: ApiClient }) {
  const { data, error, reload } = useResource<HiddenParameters>(api, '/v1/settings/hidden-parameters');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const inputId = useId();
  if (error) return <ErrorState error={error} onRetry={reload} what="Hidden parameters" />;
  if (!data) return <Spinner label="Loading hidden parameters" />;
  const names = data.queries.map((q) => q.queryName);
  const save = (next: string[]) => {
    setProblem(null);
    api.put('/v1/settings/hidden-parameters', { queries: next }).then(
      () => (setName(''), reload()),
      (e: unknown) => setProblem(asApiError(e).describe()),
    );
  };
  return (
    <div>
      <p className="muted small">The parameters of these queries are removed from events before they are stored (events ingested from now on).</p>
      <ul className="hidden-queries" aria-label="Queries with hidden parameters">
        {data.queries.length === 0 && <li className="muted">None: every query's parameters are logged.</li>}
        {data.queries.map((q) => (
          <li key={q.queryName}>
            <code>{q.queryName}</code> <span className="muted small">since {day(q.since)}</span>{' '}
            <button type="button" className="button small ghost" onClick={() => save(names.filter((n) => n !== q.queryName))} aria-label={`Log parameters of ${q.queryName} again`}>
              Show again
            </button>
          </li>
        ))}
      </ul>
      <form
        className="inline-form"
        aria-label="Hide a query's parameters"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          save([...names, name.trim()]);
        }}
      >
        <label htmlFor={inputId} className="field-label">
          Query name
        </label>
        <input id={inputId} className="text-input" value={name} placeholder="getSecrets" onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="button primary">
          Hide its parameters
        </button>
      </form>
      <FormError problem={problem} />
    </div>
  );
}

/**
 * The organization's settings for administrators. Every change goes through the same API as the CLI
 * and is recorded in the log (UPDATE_ORGANIZATION, `metadata.setting` naming what changed).
 */
export function SettingsView({ api, checkpointsHref, onOpenCheckpoints }: { api: ApiClient; checkpointsHref: string; onOpenCheckpoints: () => void }) {
  return (
    <div className="settings">
      <SettingsCard id="settings-retention" title="Retention">
        <RetentionCard api={api} />
      </SettingsCard>
      <SettingsCard id="settings-keys" title="Ingest keys">
        <KeysCard api={api} />
      </SettingsCard>
      <SettingsCard id="settings-hidden" title="Hidden query parameters">
        <HiddenParametersCard api={api} />
      </SettingsCard>
      <SettingsCard id="settings-streams" title="Streams">
        <StreamsSettings api={api} />
      </SettingsCard>
      <SettingsCard id="settings-checkpoints" title="Signed checkpoints">
        <CheckpointsSettings api={api} checkpointsHref={checkpointsHref} onOpenCheckpoints={onOpenCheckpoints} />
      </SettingsCard>
      <SettingsCard id="settings-alerts" title="Alerts">
        <AlertsSection api={api} />
      </SettingsCard>
    </div>
  );
}

/** One titled card of the Settings page. */
function SettingsCard({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={id}>
      <div className="card-head">
        <h2 id={id}>{title}</h2>
      </div>
      {children}
    </section>
  );
}
