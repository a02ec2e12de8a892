import {
  type ActionType,
  type DestinationSecrets,
  type DestinationType,
  type StreamFilter,
  type StreamFormat,
  type StreamLag,
  type StreamView,
} from '@audit/contracts';
import type { ErrorDetail } from '../api';
import { formatCount, localTime } from '../format';

/**
 * The stream form's fields per destination type, and the one translation between what the form holds
 * (text as typed) and the body of `POST`/`PUT /v1/streams`. The server validates; the form only shapes,
 * so a bad value reaches it as typed and comes back as a 400 naming the field, shown beside that field.
 */

export type FieldKind = 'text' | 'url' | 'number' | 'checkbox' | 'list' | 'pem' | 'secret';

export interface FieldSpec {
  /** The form's key for the value (unique per type). */
  key: string;
  /** The destination field of the API it fills: `destination.<apiField>` in the body and in errors. */
  apiField: string;
  kind: FieldKind;
  label: string;
  required?: boolean;
  placeholder?: string;
  help?: string;
}

/** Two webhook secrets fill one list: the newest signs, the previous one is accepted while receivers rotate. */
export const DESTINATION_FIELDS: Record<DestinationType, readonly FieldSpec[]> = {
  webhook: [
    { key: 'url', apiField: 'url', kind: 'url', label: 'URL', required: true, placeholder: 'https://siem.example.com/audit' },
    { key: 'secret', apiField: 'secrets', kind: 'secret', label: 'Signing secret', required: true, help: 'At least 16 characters; signs each request (HMAC-SHA256).' },
    { key: 'secretPrevious', apiField: 'secrets', kind: 'secret', label: 'Previous signing secret (while rotating)' },
  ],
  datadog: [
    { key: 'site', apiField: 'site', kind: 'text', label: 'Site', placeholder: 'datadoghq.com' },
    { key: 'url', apiField: 'url', kind: 'url', label: 'Intake URL (instead of the site’s)' },
    { key: 'tags', apiField: 'tags', kind: 'list', label: 'Tags (comma-separated)', placeholder: 'env:prod, team:security' },
    { key: 'apiKey', apiField: 'apiKey', kind: 'secret', label: 'API key', required: true },
  ],
  splunk: [
    { key: 'url', apiField: 'url', kind: 'url', label: 'HTTP Event Collector URL', required: true, placeholder: 'https://splunk.example.com:8088/services/collector/event' },
    { key: 'index', apiField: 'index', kind: 'text', label: 'Index' },
    { key: 'sourcetype', apiField: 'sourcetype', kind: 'text', label: 'Source type', placeholder: 'audit-trail:event' },
    { key: 'token', apiField: 'token', kind: 'secret', label: 'HEC token', required: true },
  ],
  s3: [
    { key: 'bucket', apiField: 'bucket', kind: 'text', label: 'Bucket', required: true },
    { key: 'prefix', apiField: 'prefix', kind: 'text', label: 'Key prefix', placeholder: 'audit/' },
    { key: 'region', apiField: 'region', kind: 'text', label: 'Region', placeholder: 'us-east-1' },
    { key: 'endpoint', apiField: 'endpoint', kind: 'url', label: 'Endpoint (S3-compatible storage)', placeholder: 'https://minio.example.com' },
    { key: 'forcePathStyle', apiField: 'forcePathStyle', kind: 'checkbox', label: 'Path-style addressing' },
    { key: 'sliceSeconds', apiField: 'sliceSeconds', kind: 'number', label: 'Slice length (seconds)', placeholder: '60' },
    { key: 'maxEvents', apiField: 'maxEvents', kind: 'number', label: 'Events per object at most', placeholder: '10000' },
    { key: 'accessKeyId', apiField: 'accessKeyId', kind: 'text', label: 'Access key id' },
    { key: 'secretAccessKey', apiField: 'secretAccessKey', kind: 'secret', label: 'Secret access key' },
  ],
  syslog: [
    { key: 'host', apiField: 'host', kind: 'text', label: 'Host', required: true, placeholder: 'syslog.example.com' },
    { key: 'port', apiField: 'port', kind: 'number', label: 'Port', placeholder: '6514' },
    { key: 'tls', apiField: 'tls', kind: 'checkbox', label: 'TLS' },
    { key: 'serverName', apiField: 'serverName', kind: 'text', label: 'TLS server name (when not the host)' },
    { key: 'caCertificate', apiField: 'caCertificate', kind: 'pem', label: 'CA certificate (PEM, when not a public CA)' },
  ],
};

/** The text filters of a stream, in the order the form shows them. */
export const FILTER_FIELDS = [
  { key: 'q', label: 'Text contains' },
  { key: 'userId', label: 'User id' },
  { key: 'pageName', label: 'Page' },
  { key: 'queryName', label: 'Query' },
  { key: 'resourceName', label: 'Resource' },
  { key: 'ipAddress', label: 'IP address' },
] as const;
export type FilterTextKey = (typeof FILTER_FIELDS)[number]['key'];

export interface StreamFormState {
  name: string;
  type: DestinationType;
  format: StreamFormat;
  /** Destination values by {@link FieldSpec.key}: text as typed, booleans for checkboxes. */
  values: Record<string, string | boolean>;
  /** The action types streamed; none streams every type. */
  actionTypes: ActionType[];
  filter: Record<FilterTextKey, string>;
}

const CHECKBOX_DEFAULTS: Partial<Record<DestinationType, Record<string, boolean>>> = { syslog: { tls: true }, s3: { forcePathStyle: false } };

export function emptyForm(type: DestinationType = 'webhook'): StreamFormState {
  return {
    name: '',
    type,
    format: type === 'syslog' ? 'cef' : 'json',
    values: { ...(CHECKBOX_DEFAULTS[type] ?? {}) },
    actionTypes: [],
    filter: { q: '', userId: '', pageName: '', queryName: '', resourceName: '', ipAddress: '' },
  };
}

/** A new destination type keeps the name, format and filter; its fields start empty. */
export function withType(form: StreamFormState, type: DestinationType): StreamFormState {
  return { ...form, type, values: { ...(CHECKBOX_DEFAULTS[type] ?? {}) } };
}

/** The form for editing a stream: every field as stored, the secrets empty (the API never returns them). */
export function formFromStream(stream: StreamView): StreamFormState {
  const destination = stream.destination as unknown as Record<string, unknown>;
  const values: Record<string, string | boolean> = {};
  for (const spec of DESTINATION_FIELDS[stream.destination.type]) {
    if (spec.kind === 'secret') continue;
    const value = destination[spec.apiField];
    if (typeof value === 'boolean') values[spec.key] = value;
    else if (Array.isArray(value)) values[spec.key] = value.join(', ');
    else if (value !== undefined && value !== null) values[spec.key] = String(value);
  }
  const filter = emptyForm().filter;
  for (const { key } of FILTER_FIELDS) filter[key] = stream.filter[key] ?? '';
  return { name: stream.name, type: stream.destination.type, format: stream.format, values, actionTypes: [...(stream.filter.actionType ?? [])], filter };
}

/** Digits become a number; anything else goes as typed, so the server's 400 names the field. */
const numberOrText = (text: string): number | string => (/^\d+$/.test(text) ? Number(text) : text);
const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/**
 * The API body of the form. Empty fields are left out (the server's default applies, or its "is required"
 * names the field); on an edit, empty secrets are left out so the stored ones are kept.
 */
export function formToBody(form: StreamFormState): { name: string; format: StreamFormat; destination: Record<string, unknown>; filter: StreamFilter } {
  const destination: Record<string, unknown> = { type: form.type };
  const secrets: string[] = [];
  for (const spec of DESTINATION_FIELDS[form.type]) {
    const value = form.values[spec.key];
    if (spec.kind === 'checkbox') {
      if (typeof value === 'boolean') destination[spec.apiField] = value;
      continue;
    }
    // Secrets and PEM text are sent as typed (a space may belong to them); other text is trimmed.
    const text = typeof value === 'string' ? (spec.kind === 'secret' || spec.kind === 'pem' ? value : value.trim()) : '';
    if (text.trim() === '') continue;
    if (spec.kind === 'secret' && spec.apiField === 'secrets') secrets.push(text);
    else if (spec.kind === 'number') destination[spec.apiField] = numberOrText(text);
    else if (spec.kind === 'list') destination[spec.apiField] = splitList(text);
    else destination[spec.apiField] = text;
  }
  if (secrets.length > 0) destination.secrets = secrets;

  const filter: StreamFilter = {};
  if (form.actionTypes.length > 0) filter.actionType = [...form.actionTypes];
  for (const { key } of FILTER_FIELDS) {
    const text = form.filter[key].trim();
    if (text) filter[key] = text;
  }
  return { name: form.name.trim(), format: form.format, destination, filter };
}

/** The API path of a form field, as the server names it in a 400. */
export const destinationPath = (spec: FieldSpec): string => `destination.${spec.apiField}`;

/**
 * A 400's details split by the field that shows them: `byPath` for the paths the form has an input for,
 * `other` for the rest (shown above the buttons), so no reason is lost.
 */
export function errorsByField(details: readonly ErrorDetail[], form: StreamFormState): { byPath: Record<string, string>; other: string[] } {
  const known = new Set<string>(['name', 'format', 'destination.type', 'filter.actionType', ...FILTER_FIELDS.map((f) => `filter.${f.key}`), ...DESTINATION_FIELDS[form.type].map(destinationPath)]);
  const byPath: Record<string, string> = {};
  const other: string[] = [];
  for (const d of details) {
    if (known.has(d.path)) byPath[d.path] = byPath[d.path] ? `${byPath[d.path]}; ${d.reason}` : d.reason;
    else other.push(`${d.path || 'The stream'} ${d.reason}`);
  }
  return { byPath, other };
}

/** The names of the secrets a stream has stored, as the API lists them (`secretsSet`). */
export const secretLabel = (field: keyof DestinationSecrets): string =>
  ({ secrets: 'signing secret', apiKey: 'API key', token: 'HEC token', secretAccessKey: 'secret access key' })[field];

/** Where a stream sends, in a few words for the list. */
export function describeDestination(stream: StreamView): string {
  const d = stream.destination;
  switch (d.type) {
    case 'webhook':
    case 'splunk':
      return d.url;
    case 'datadog':
      return d.url ?? d.site;
    case 's3':
      return `s3://${d.bucket}/${d.prefix}${d.endpoint ? ` at ${d.endpoint}` : ''}`;
    case 'syslog':
      return `${d.host}:${d.port} (${d.tls ? 'TLS' : 'TCP'})`;
  }
}

/** The stream's filter in a few words ("everything" when it has none). */
export function describeFilter(filter: StreamFilter): string {
  const parts: string[] = [];
  if (filter.actionType?.length) parts.push(filter.actionType.length <= 3 ? filter.actionType.join(', ') : `${filter.actionType.length} action types`);
  for (const { key, label } of FILTER_FIELDS) if (filter[key]) parts.push(`${label.toLowerCase()} “${filter[key]}”`);
  return parts.length > 0 ? parts.join('; ') : 'every event';
}

/** `42 s`, `17 min`, `3 h 5 min`, `2 d 4 h`: how long ago, to the unit that matters. */
function age(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}

/** How far the stream is behind the bus, in a few words. */
export function describeLag(lag: StreamLag | null): string {
  if (lag === null) return 'not known yet (the stream has not run, or the bus did not answer)';
  if (lag.events === 0) return 'up to date';
  return `${formatCount(lag.events)} event${lag.events === 1 ? '' : 's'} to send, the oldest stored ${age(lag.seconds)} ago`;
}

/**
 * What the console says once a replay started: the server starts one asked from before the organization's
 * retention cutoff at the cutoff (what lies before was purged and is not sent again), and answers where it starts.
 */
export function describeReplayStart(askedFrom: string, started: StreamView): string {
  const from = started.replay?.from;
  if (from === undefined || new Date(from).getTime() <= new Date(askedFrom).getTime()) return 'Replay started: the events since then are sent again beside live delivery.';
  return `Replay started at ${localTime(from)}, the organization's retention cutoff: older events were purged and are not sent again. The events since then are sent again beside live delivery.`;
}

export const DESTINATION_LABELS: Record<DestinationType, string> = {
  webhook: 'Webhook',
  datadog: 'Datadog',
  splunk: 'Splunk HEC',
  s3: 'S3 bucket',
  syslog: 'Syslog (TCP/TLS)',
};
