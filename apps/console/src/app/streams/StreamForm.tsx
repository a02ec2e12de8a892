import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { DESTINATION_TYPES, STREAM_FORMATS, type DestinationType, type StreamView } from '@audit/contracts';
import { asApiError, type ApiClient } from '../api';
import { ActionTypeSelect } from '../components/ActionTypeSelect';
import { DESTINATION_FIELDS, DESTINATION_LABELS, destinationPath, emptyForm, errorsByField, FILTER_FIELDS, formFromStream, formToBody, withType, type FieldSpec, type StreamFormState } from './stream-form';

interface Props {
  api: ApiClient;
  /** The stream to edit; absent for a new one. */
  stream?: StreamView;
  onSaved: (stream: StreamView) => void;
  onCancel: () => void;
}

/** One labelled input with the server's reason for it right below (linked for screen readers). */
function Field({ label, error, help, children }: { label: string; error?: string; help?: string; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="stream-field">
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {children(id, error ? errorId : undefined)}
      {help && !error && <span className="muted small">{help}</span>}
      {error && (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      )}
    </div>
  );
}

/**
 * Creates or edits a stream. Secrets are password fields that start empty: the API never returns them, and
 * leaving one empty on an edit keeps the stored one. A 400 puts each reason beside the field it names.
 */
export function StreamForm({ api, stream, onSaved, onCancel }: Props) {
  const [form, setForm] = useState<StreamFormState>(() => (stream ? formFromStream(stream) : emptyForm()));
  const [errors, setErrors] = useState<{ byPath: Record<string, string>; other: string[] }>({ byPath: {}, other: [] });
  const [saving, setSaving] = useState(false);
  const set = (key: string, value: string | boolean) => setForm((f) => ({ ...f, values: { ...f.values, [key]: value } }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const body = formToBody(form);
    (stream ? api.put<StreamView>(`/v1/streams/${stream.id}`, body) : api.post<StreamView>('/v1/streams', body)).then(
      (saved) => {
        setSaving(false);
        onSaved(saved);
      },
      (e: unknown) => {
        const error = asApiError(e);
        setSaving(false);
        setErrors(error.details.length > 0 ? errorsByField(error.details, form) : { byPath: {}, other: [error.describe()] });
      },
    );
  };

  const input = (spec: FieldSpec) => {
    const value = form.values[spec.key];
    const error = errors.byPath[destinationPath(spec)];
    if (spec.kind === 'checkbox') {
      return (
        <label key={spec.key} className="stream-check">
          <input type="checkbox" checked={value === true} onChange={(e) => set(spec.key, e.target.checked)} /> {spec.label}
          {error && <span className="field-error">{error}</span>}
        </label>
      );
    }
    const stored = spec.kind === 'secret' && stream?.destination.secretsSet.includes(spec.apiField);
    const help = stored ? 'Stored (never shown). Leave empty to keep it.' : spec.help;
    return (
      <Field key={spec.key} label={`${spec.label}${spec.required && !stored ? ' *' : ''}`} error={error} help={help}>
        {(id, describedBy) =>
          spec.kind === 'pem' ? (
            <textarea id={id} className="text-input mono" rows={3} aria-invalid={Boolean(error)} aria-describedby={describedBy} value={typeof value === 'string' ? value : ''} onChange={(e) => set(spec.key, e.target.value)} />
          ) : (
            <input
              id={id}
              className="text-input"
              type={spec.kind === 'secret' ? 'password' : spec.kind === 'url' ? 'url' : 'text'}
              inputMode={spec.kind === 'number' ? 'numeric' : undefined}
              autoComplete={spec.kind === 'secret' ? 'new-password' : 'off'}
              placeholder={spec.placeholder}
              aria-invalid={Boolean(error)}
              aria-describedby={describedBy}
              value={typeof value === 'string' ? value : ''}
              onChange={(e) => set(spec.key, e.target.value)}
            />
          )
        }
      </Field>
    );
  };

  return (
    <form className="stream-form" onSubmit={submit} aria-label={stream ? `Edit stream ${stream.name}` : 'New stream'} noValidate>
      <div className="stream-form-grid">
        <Field label="Name *" error={errors.byPath['name']}>
          {(id, describedBy) => <input id={id} className="text-input" value={form.name} aria-invalid={Boolean(errors.byPath['name'])} aria-describedby={describedBy} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
        </Field>
        <Field label="Destination" error={errors.byPath['destination.type']}>
          {(id) => (
            <select id={id} className="text-input" value={form.type} disabled={stream !== undefined} onChange={(e) => setForm(withType(form, e.target.value as DestinationType))}>
              {DESTINATION_TYPES.map((t) => (
                <option key={t} value={t}>
                  {DESTINATION_LABELS[t]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Format" error={errors.byPath['format']} help="json: the native event; ocsf, ecs: security schemas; cef: for syslog.">
          {(id) => (
            <select id={id} className="text-input" value={form.format} onChange={(e) => setForm({ ...form, format: e.target.value as StreamFormState['format'] })}>
              {STREAM_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <fieldset className="stream-fieldset">
        <legend>{DESTINATION_LABELS[form.type]}</legend>
        <div className="stream-form-grid">{DESTINATION_FIELDS[form.type].map(input)}</div>
      </fieldset>
      <fieldset className="stream-fieldset">
        <legend>Filter (empty streams every event)</legend>
        <div className="stream-form-grid">
          <div className="stream-field">
            <span className="field-label">Action types</span>
            <ActionTypeSelect selected={form.actionTypes} onChange={(actionTypes) => setForm({ ...form, actionTypes })} />
            {errors.byPath['filter.actionType'] && <span className="field-error">{errors.byPath['filter.actionType']}</span>}
          </div>
          {FILTER_FIELDS.map(({ key, label }) => (
            <Field key={key} label={label} error={errors.byPath[`filter.${key}`]}>
              {(id, describedBy) => <input id={id} className="text-input" value={form.filter[key]} aria-describedby={describedBy} onChange={(e) => setForm({ ...form, filter: { ...form.filter, [key]: e.target.value } })} />}
            </Field>
          ))}
        </div>
      </fieldset>
      {errors.other.length > 0 && (
        <p className="form-error" role="alert">
          {errors.other.join('; ')}
        </p>
      )}
      <div className="stream-form-actions">
        <button type="submit" className="button primary" disabled={saving}>
          {stream ? 'Save stream' : 'Create stream'}
        </button>
        <button type="button" className="button ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
