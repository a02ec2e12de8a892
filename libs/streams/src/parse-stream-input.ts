import { DESTINATION_TYPES, isActionType, SECRET_FIELDS, storedTextProblem, type ActionType, type Destination, type DestinationSecrets, type DestinationType, type StreamFilter } from '@audit/contracts';
import { STREAM_FORMATS, type StreamFormat } from '@audit/stream-formats';
import type { StreamInput } from './model';

export interface Problem {
  path: string;
  reason: string;
}

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

const FILTER_TEXT_FIELDS = ['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress', 'q'] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;
const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:.]+\]?$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;

/**
 * Reads a field set by field, collecting a problem per bad field. Values are never echoed in a reason: the
 * field a secret was pasted into by mistake (a private key where a URL belongs) must not leak it back.
 */
class Reader {
  readonly problems: Problem[] = [];

  constructor(
    private readonly raw: Raw,
    private readonly prefix: string,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(raw)) if (!allowed.includes(key)) this.problem(key, `is not a field here (allowed: ${allowed.join(', ')})`);
  }

  problem(field: string, reason: string): void {
    this.problems.push({ path: `${this.prefix}${field}`, reason });
  }

  has(field: string): boolean {
    return this.raw[field] !== undefined;
  }

  string(field: string, options: { required?: boolean; max?: number; pattern?: RegExp; patternReason?: string } = {}): string | undefined {
    const value = this.raw[field];
    if (value === undefined || value === null) {
      if (options.required) this.problem(field, 'is required');
      return undefined;
    }
    if (typeof value !== 'string' || value.length === 0) return this.fail(field, 'must be a non-empty string');
    if (value.length > (options.max ?? 1024)) return this.fail(field, `must be at most ${options.max ?? 1024} characters`);
    // Postgres's jsonb refuses a NUL (a 500), and would keep a lone surrogate as U+FFFD: a secret or filter other than the one sent.
    const unstorable = storedTextProblem(value);
    if (unstorable !== undefined) return this.fail(field, unstorable);
    if (options.pattern && !options.pattern.test(value)) return this.fail(field, options.patternReason ?? 'has a bad form');
    return value;
  }

  url(field: string, protocols: readonly string[], required = true): string | undefined {
    const value = this.string(field, { required, max: 2048 });
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return this.fail(field, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    if (!protocols.includes(parsed.protocol)) return this.fail(field, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    if (parsed.username || parsed.password) return this.fail(field, 'must not carry credentials (put them in the secret fields)');
    return parsed.toString();
  }

  int(field: string, fallback: number, min: number, max: number): number {
    const value = this.raw[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.problem(field, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  bool(field: string, fallback: boolean): boolean {
    const value = this.raw[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.problem(field, 'must be true or false');
      return fallback;
    }
    return value;
  }

  strings(field: string, options: { max: number; min?: number; itemMax?: number }): string[] | undefined {
    const value = this.raw[field];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length < (options.min ?? 0) || value.length > options.max || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= (options.itemMax ?? 1024))) {
      return this.fail(field, `must be a list of ${options.min ?? 0} to ${options.max} non-empty strings`);
    }
    const unstorable = value.map((v: string) => storedTextProblem(v)).find((problem) => problem !== undefined);
    if (unstorable !== undefined) return this.fail(field, unstorable);
    return value as string[];
  }

  private fail(field: string, reason: string): undefined {
    this.problem(field, reason);
    return undefined;
  }
}

/**
 * Validates a stream as an administrator sends it (`POST`/`PUT /v1/streams`, a `streams apply` file):
 * `{name, destination, filter?, format?, paused?}`. Every bad field is named; secrets are split off the
 * destination. `creating` makes the destination's secret fields required (a replace keeps stored ones).
 */
export function parseStreamInput(body: unknown, creating: boolean): { ok: true; input: StreamInput } | { ok: false; problems: Problem[] } {
  if (!isObject(body)) return { ok: false, problems: [{ path: '', reason: 'the body must be a JSON object' }] };
  const top = new Reader(body, '', ['name', 'destination', 'filter', 'format', 'paused']);
  const name = top.string('name', { required: true, max: 100, pattern: NAME, patternReason: 'must be 1 to 100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit' });
  const format = (top.string('format', { max: 16 }) ?? 'json') as StreamFormat;
  if (!(STREAM_FORMATS as readonly string[]).includes(format)) top.problem('format', `must be one of ${STREAM_FORMATS.join(', ')}`);
  const paused = top.bool('paused', false);
  const problems = [...top.problems];

  let filter: StreamFilter = {};
  if (body.filter !== undefined) {
    if (!isObject(body.filter)) problems.push({ path: 'filter', reason: 'must be an object' });
    else {
      const parsed = parseFilter(body.filter);
      filter = parsed.filter;
      problems.push(...parsed.problems);
    }
  }

  let destination: Destination | undefined;
  let secrets: DestinationSecrets = {};
  if (body.destination === undefined) problems.push({ path: 'destination', reason: 'is required' });
  else if (!isObject(body.destination)) problems.push({ path: 'destination', reason: 'must be an object' });
  else {
    const parsed = parseDestination(body.destination, creating);
    destination = parsed.destination;
    secrets = parsed.secrets;
    problems.push(...parsed.problems);
  }
  if (problems.length > 0 || !destination || !name) return { ok: false, problems };
  return { ok: true, input: { name, destination, secrets, filter, format, paused } };
}

function parseFilter(raw: Raw): { filter: StreamFilter; problems: Problem[] } {
  const r = new Reader(raw, 'filter.', ['actionType', ...FILTER_TEXT_FIELDS]);
  const filter: StreamFilter = {};
  const types = raw.actionType === undefined ? undefined : Array.isArray(raw.actionType) ? (raw.actionType as unknown[]) : [raw.actionType];
  if (types !== undefined) {
    const bad = types.filter((t) => typeof t !== 'string' || !isActionType(t));
    if (bad.length > 0 || types.length === 0) r.problem('actionType', 'must be one or more of the 34 action types, exactly spelled');
    else filter.actionType = [...new Set(types as ActionType[])];
  }
  for (const field of FILTER_TEXT_FIELDS) {
    const value = r.string(field, { max: field === 'q' ? 256 : 1024 });
    if (value !== undefined) filter[field] = value;
  }
  return { filter, problems: r.problems };
}

const FIELDS: Record<DestinationType, string[]> = {
  webhook: ['url'],
  datadog: ['site', 'url', 'tags'],
  splunk: ['url', 'index', 'sourcetype'],
  s3: ['bucket', 'prefix', 'region', 'endpoint', 'forcePathStyle', 'accessKeyId', 'sliceSeconds', 'maxEvents'],
  syslog: ['host', 'port', 'tls', 'caCertificate', 'serverName'],
};

function parseDestination(raw: Raw, creating: boolean): { destination?: Destination; secrets: DestinationSecrets; problems: Problem[] } {
  const type = raw.type;
  if (typeof type !== 'string' || !(DESTINATION_TYPES as readonly string[]).includes(type)) {
    return { secrets: {}, problems: [{ path: 'destination.type', reason: `must be one of ${DESTINATION_TYPES.join(', ')}` }] };
  }
  const kind = type as DestinationType;
  const r = new Reader(raw, 'destination.', ['type', ...FIELDS[kind], ...SECRET_FIELDS[kind]]);
  const secrets = readSecrets(r, raw, kind, creating);
  let destination: Destination | undefined;
  switch (kind) {
    case 'webhook': {
      const url = r.url('url', ['https:', 'http:']);
      if (url) destination = { type: 'webhook', url };
      break;
    }
    case 'datadog': {
      const site = r.string('site', { max: 64, pattern: /^[a-z0-9.-]+$/i, patternReason: 'must be a Datadog site such as datadoghq.com or datadoghq.eu' }) ?? 'datadoghq.com';
      const url = r.url('url', ['https:', 'http:'], false);
      const tags = r.strings('tags', { max: 50, itemMax: 200 }) ?? [];
      destination = { type: 'datadog', site, tags, ...(url ? { url } : {}) };
      break;
    }
    case 'splunk': {
      const url = r.url('url', ['https:', 'http:']);
      const index = r.string('index', { max: 80, pattern: /^[A-Za-z0-9_-]+$/, patternReason: 'must be a Splunk index name' });
      const sourcetype = r.string('sourcetype', { max: 80 }) ?? 'audit-trail:event';
      if (url) destination = { type: 'splunk', url, sourcetype, ...(index ? { index } : {}) };
      break;
    }
    case 's3': {
      const bucket = r.string('bucket', { required: true, max: 63, pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, patternReason: 'must be an S3 bucket name' });
      const prefix = r.string('prefix', { max: 512, pattern: /^[A-Za-z0-9!_.*'()/-]*$/, patternReason: 'may hold letters, digits and !_.*\'()/- only' }) ?? '';
      const region = r.string('region', { max: 32, pattern: /^[a-z0-9-]+$/, patternReason: 'must be a region such as us-east-1' }) ?? 'us-east-1';
      const endpoint = r.url('endpoint', ['https:', 'http:'], false);
      const accessKeyId = r.string('accessKeyId', { max: 128, pattern: /^[A-Za-z0-9+/=_-]+$/, patternReason: 'must be an access key id' });
      const sliceSeconds = r.int('sliceSeconds', 60, 1, 3600);
      const maxEvents = r.int('maxEvents', 10_000, 1, 100_000);
      const forcePathStyle = r.bool('forcePathStyle', endpoint !== undefined);
      if (accessKeyId === undefined && secrets.secretAccessKey !== undefined) r.problem('accessKeyId', 'is required with secretAccessKey');
      if (bucket) destination = { type: 's3', bucket, prefix, region, forcePathStyle, sliceSeconds, maxEvents, ...(endpoint ? { endpoint } : {}), ...(accessKeyId ? { accessKeyId } : {}) };
      break;
    }
    case 'syslog': {
      const host = r.string('host', { required: true, max: 253, pattern: HOST, patternReason: 'must be a host name or an IP address' });
      const port = r.int('port', 6514, 1, 65_535);
      const tls = r.bool('tls', true);
      const caCertificate = r.string('caCertificate', { max: 20_000, pattern: PEM_CERTIFICATE, patternReason: 'must be one PEM certificate (-----BEGIN CERTIFICATE-----)' });
      const serverName = r.string('serverName', { max: 253, pattern: HOST, patternReason: 'must be a host name' });
      if (!tls && (caCertificate || serverName)) r.problem(caCertificate ? 'caCertificate' : 'serverName', 'applies to tls: true only');
      if (host) destination = { type: 'syslog', host, port, tls, ...(caCertificate ? { caCertificate } : {}), ...(serverName ? { serverName } : {}) };
      break;
    }
  }
  return { destination: r.problems.length > 0 ? undefined : destination, secrets, problems: r.problems };
}

function readSecrets(r: Reader, raw: Raw, kind: DestinationType, creating: boolean): DestinationSecrets {
  const secrets: DestinationSecrets = {};
  for (const field of SECRET_FIELDS[kind]) {
    if (raw[field] === undefined) {
      if (creating && !(kind === 's3' && raw.accessKeyId === undefined)) r.problem(field, 'is required');
      continue;
    }
    if (field === 'secrets') {
      const list = r.strings('secrets', { min: 1, max: 2, itemMax: 512 });
      if (list && list.some((s) => s.length < 16)) r.problem('secrets', 'each signing secret must be at least 16 characters');
      else if (list) secrets.secrets = list;
    } else {
      const value = r.string(field, { max: 512 });
      if (value !== undefined) secrets[field] = value;
    }
  }
  return secrets;
}
