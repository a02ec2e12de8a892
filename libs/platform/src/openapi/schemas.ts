import { ACTION_TYPES, eventJsonSchema, MAX_BATCH_EVENTS, type JsonSchema } from '@audit/contracts';
import { STREAM_FORMATS } from '@audit/stream-formats';

/** `#/components/schemas/<name>`. */
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });
const instant: JsonSchema = { type: 'string', format: 'date-time' };
const count: JsonSchema = { type: 'integer', minimum: 0 };

/** The actor as reads return it: the latest snapshot in `users` (either part may be unknown). */
const eventUser: JsonSchema = {
  type: ['object', 'null'],
  required: ['email', 'userName'],
  additionalProperties: false,
  properties: { email: nullable('string'), userName: nullable('string') },
};

/**
 * What `GET /v1/events/:id` returns: the stored event of the field table without `schemaVersion` (implied by
 * the tables), its `user` read back from `users`; `GET /v1/events` lists the same without organizationId
 * and metadata.
 */
function eventRead(detail: boolean): JsonSchema {
  const stored = eventJsonSchema('stored');
  const drop = new Set(['schemaVersion', ...(detail ? [] : ['organizationId', 'metadata'])]);
  const properties: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(stored.properties as Record<string, JsonSchema>)) {
    if (!drop.has(name)) properties[name] = name === 'user' ? { ...eventUser, description: schema.description } : schema;
  }
  return {
    type: 'object',
    description: detail ? 'An event as stored, with the actor read back from users.' : 'One row of an events page: the event without its metadata.',
    required: Object.keys(properties),
    additionalProperties: false,
    properties,
  };
}

const items = (item: JsonSchema, paged = false): JsonSchema => ({
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: { items: { type: 'array', items: item }, ...(paged ? { nextCursor: { type: 'string', description: 'Pass back as `cursor` for the next page; absent on the last one.' } } : {}) },
});

const object = (properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema => ({
  type: 'object',
  required: Object.keys(properties).filter((p) => !optional.includes(p)),
  additionalProperties: false,
  properties,
});

const EXPORT_STATUSES = ['pending', 'running', 'ready', 'failed', 'expired'];

const text = (description: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', description, ...extra });
const url = (description: string): JsonSchema => text(description, { format: 'uri', maxLength: 2048 });
/** A stream's destination: one object per type. `secret` fields are written only (the answers name which are set). */
function destination(withSecrets: boolean): JsonSchema {
  const secret = (description: string, schema: JsonSchema = { type: 'string', maxLength: 512 }): Record<string, JsonSchema> =>
    withSecrets ? { [description.split(':')[0]]: { ...schema, description, writeOnly: true } } : {};
  const shown: Record<string, JsonSchema> = withSecrets ? {} : { secretsSet: { type: 'array', items: { type: 'string' }, description: 'The secret fields stored (never their values).' } };
  const kind = (type: string, required: string[], properties: Record<string, JsonSchema>): JsonSchema => ({
    type: 'object',
    required: ['type', ...required, ...(withSecrets ? [] : ['secretsSet'])],
    additionalProperties: false,
    properties: { type: { type: 'string', enum: [type] }, ...properties, ...shown },
  });
  return {
    oneOf: [
      kind('webhook', ['url'], { url: url('Where signed batches are POSTed.'), ...secret('secrets: the signing secrets, newest first (two while rotating), each at least 16 characters', { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', minLength: 16 } }) }),
      kind('datadog', withSecrets ? [] : ['site', 'tags'], { site: text('A Datadog site (default datadoghq.com).'), url: url('The logs intake, instead of the site\'s.'), tags: { type: 'array', items: { type: 'string' } }, ...secret('apiKey: the Datadog API key') }),
      kind('splunk', withSecrets ? ['url'] : ['url', 'sourcetype'], { url: url('The HTTP Event Collector endpoint, e.g. https://splunk:8088/services/collector/event.'), index: text('A Splunk index.'), sourcetype: text('Default audit-trail:event.'), ...secret('token: the HEC token') }),
      kind('s3', withSecrets ? ['bucket'] : ['bucket', 'prefix', 'region', 'forcePathStyle', 'sliceSeconds', 'maxEvents'], {
        bucket: text('The bucket.'),
        prefix: text('Key prefix of the objects.'),
        region: text('Default us-east-1.'),
        endpoint: url('An S3-compatible endpoint (MinIO, R2, …).'),
        forcePathStyle: { type: 'boolean' },
        accessKeyId: text('Without it, the service\'s own credentials (e.g. an IAM role).'),
        sliceSeconds: { type: 'integer', minimum: 1, maximum: 3600, description: 'One object per this many seconds (default 60)…' },
        maxEvents: { type: 'integer', minimum: 1, maximum: 100000, description: '…or this many events (default 10000).' },
        ...secret('secretAccessKey: the secret of accessKeyId'),
      }),
      kind('syslog', withSecrets ? ['host'] : ['host', 'port', 'tls'], {
        host: text('Host name or IP address.'),
        port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Default 6514.' },
        tls: { type: 'boolean', description: 'Default true.' },
        caCertificate: text('PEM of the CA of the receiver\'s certificate.'),
        serverName: text('The name the certificate must carry (default the host).'),
      }),
    ],
  };
}
const streamFilter: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'The filters of GET /v1/events (no time window): only matching events are sent.',
  properties: {
    actionType: { type: 'array', items: { type: 'string', enum: [...ACTION_TYPES] } },
    userId: { type: 'string' },
    pageName: { type: 'string' },
    queryName: { type: 'string' },
    resourceName: { type: 'string' },
    ipAddress: { type: 'string' },
    q: { type: 'string', maxLength: 256 },
  },
};
const streamSchema: JsonSchema = object({
  id: { type: 'string', format: 'uuid' },
  name: { type: 'string' },
  destination: destination(false),
  filter: streamFilter,
  format: { type: 'string', enum: [...STREAM_FORMATS] },
  state: object({ status: { type: 'string', enum: ['active', 'paused', 'failing'] }, lastError: nullable('string'), since: instant }),
  replay: {
    type: ['object', 'null'],
    required: ['from', 'untilSequence'],
    additionalProperties: false,
    properties: { from: { ...instant, description: "Where the replay starts: the `from` asked, or the organization's retention cutoff when that was before it." }, untilSequence: count },
  },
  lag: {
    type: ['object', 'null'],
    description: "How far the stream is behind the bus: the organization's events not delivered yet (waiting or in flight), and the seconds since the bus stored the oldest of them. Null until the stream first ran, or while the bus does not answer.",
    required: ['events', 'seconds'],
    additionalProperties: false,
    properties: { events: count, seconds: count },
  },
  createdAt: instant,
  updatedAt: instant,
});

/** The named schemas of the document: the event's from the field table, the read API's, and the one error shape. */
export const SCHEMAS: Record<string, JsonSchema> = {
  Error: object({
    error: object(
      {
        code: { type: 'string', description: 'A stable code, e.g. VALIDATION_FAILED, UNAUTHENTICATED, NOT_FOUND, BUS_UNAVAILABLE, QUERY_TIMEOUT.' },
        message: { type: 'string' },
        details: { description: 'For VALIDATION_FAILED: every problem, as [{index?, path, reason}].' },
      },
      ['details'],
    ),
  }),
  EventInput: eventJsonSchema('input'),
  EventBatch: { type: 'array', minItems: 1, maxItems: MAX_BATCH_EVENTS, items: ref('EventInput') },
  Event: eventJsonSchema('stored'),
  EventDetail: eventRead(true),
  EventSummary: eventRead(false),
  EventPage: items(ref('EventSummary'), true),
  Ids: object({ ids: { type: 'array', items: { type: 'string', format: 'uuid' } } }),
  UserItems: items(object({ id: { type: 'string' }, email: nullable('string'), userName: nullable('string') })),
  Timeseries: items(object({ bucket: instant, actionType: { type: 'string', enum: [...ACTION_TYPES] }, count })),
  TopUsers: items(object({ userId: { type: 'string' }, email: nullable('string'), userName: nullable('string'), count })),
  ResponseTimes: items(object({ name: { type: 'string' }, count, p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' }, max: { type: 'number' } })),
  Summary: object({ total: count, distinctUsers: count, distinctIps: count, items: { type: 'array', items: object({ actionType: { type: 'string', enum: [...ACTION_TYPES] }, count }) } }),
  ViewCount: object({ count, approximate: { type: 'boolean' } }),
  ExportRequest: {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    description: 'The filters of GET /v1/events.',
    properties: {
      from: instant,
      to: instant,
      actionType: { anyOf: [{ type: 'string', enum: [...ACTION_TYPES] }, { type: 'array', items: { type: 'string', enum: [...ACTION_TYPES] } }] },
      userId: { type: 'string' },
      pageName: { type: 'string' },
      queryName: { type: 'string' },
      resourceName: { type: 'string' },
      ipAddress: { type: 'string' },
      q: { type: 'string', maxLength: 256 },
      hideAuditReads: { type: 'string', enum: ['true', 'false'] },
      format: {
        type: 'string',
        enum: ['csv', 'jsonl', 'bundle'],
        default: 'csv',
        description: "CSV with a header, JSON lines, or a verifiable bundle (version 3: JSON lines with the signed checkpoint, each sealed event as its exact leaf and the opening of its commitment, and the inclusion proof with the hashes of the 16-leaf ranges holding the events: `verify export` checks it offline, versions 1 and 2 too); newest event first; CSV and JSON lines have the user's e-mail and name beside userId.",
      },
      search: { type: 'string', maxLength: 1024, description: 'A search in the query language, as the `search` parameter of GET /v1/events.' },
    },
  },
  ExportAccepted: object({ id: { type: 'string', format: 'uuid' }, status: { type: 'string', enum: ['pending'] } }),
  ExportPage: items(
    object(
      {
        id: { type: 'string', format: 'uuid' },
        status: { type: 'string', enum: EXPORT_STATUSES },
        filters: { type: 'object' },
        format: { type: 'string', enum: ['csv', 'jsonl', 'bundle'] },
        rowCount: count,
        totalRows: nullable('integer'),
        sizeBytes: nullable('integer'),
        progress: { type: 'number', minimum: 0, maximum: 1 },
        createdAt: instant,
        startedAt: { type: ['string', 'null'], format: 'date-time' },
        finishedAt: { type: ['string', 'null'], format: 'date-time' },
        error: nullable('string'),
        downloadUrl: { type: 'string', description: 'Ready jobs only: a freshly signed link, valid until expiresAt.' },
        expiresAt: instant,
        fileExpiresAt: instant,
      },
      ['downloadUrl', 'expiresAt', 'fileExpiresAt'],
    ),
    true,
  ),
  RetentionUpdate: object({ days: { type: ['integer', 'null'], minimum: 0, maximum: 36500, description: '0 keeps forever; null follows AUDIT_RETENTION_DAYS.' } }),
  RetentionSettings: object({
    organizationId: { type: 'string' },
    days: { type: ['integer', 'null'], description: "The organization's own setting; null follows the default." },
    effectiveDays: { type: 'integer', minimum: 0, description: 'What applies now; 0 = kept forever.' },
    defaultDays: { type: 'integer', minimum: 0 },
    legalHold: { type: ['object', 'null'], required: ['reason', 'heldAt'], additionalProperties: false, properties: { reason: { type: 'string' }, heldAt: instant } },
  }),
  StreamInput: {
    type: 'object',
    required: ['name', 'destination'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$', description: "Unique in the organization (what `streams apply` matches by)." },
      destination: destination(true),
      filter: streamFilter,
      format: { type: 'string', enum: [...STREAM_FORMATS], default: 'json' },
      paused: { type: 'boolean', default: false },
    },
  },
  Stream: streamSchema,
  StreamList: items(ref('Stream')),
  StreamDeleted: object({ id: { type: 'string', format: 'uuid' }, deleted: { type: 'boolean', enum: [true] } }),
  StreamTest: object({ delivered: { type: 'boolean' }, latencyMs: count, error: nullable('string'), eventId: { type: 'string', format: 'uuid' } }),
  StreamReplay: object({ from: instant }),
  StreamDeliveries: items(
    object({
      at: instant,
      events: count,
      status: { type: 'string', enum: ['delivered', 'failed', 'dead_lettered'] },
      latencyMs: count,
      error: nullable('string'),
      replay: { type: 'boolean' },
    }),
  ),
  SavedSearchInput: object({ name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$', description: 'Unique in the organization.' }, query: { type: 'string', minLength: 1, maxLength: 1024, description: 'A search in the query language (as `search=` of GET /v1/events).' } }),
  SavedSearch: object({ id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, query: { type: 'string' }, createdAt: instant, updatedAt: instant }),
  SavedSearchList: items(ref('SavedSearch')),
  AlertCondition: {
    oneOf: [
      object(
        {
          kind: { type: 'string', enum: ['count'] },
          atLeast: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
          windowMinutes: { type: 'integer', minimum: 1, maximum: 10_080 },
          perUser: { type: 'boolean', default: false, description: 'Count each actor on its own: one group per user past the bound.' },
          outsideHours: object({ fromHour: { type: 'integer', minimum: 0, maximum: 23 }, toHour: { type: 'integer', minimum: 1, maximum: 24 }, timeZone: { type: 'string', default: 'UTC', description: 'An IANA zone.' } }, ['timeZone']),
        },
        ['perUser', 'outsideHours'],
      ),
      object(
        {
          kind: { type: 'string', enum: ['baseline'] },
          factor: { type: 'number', minimum: 1, maximum: 1000, description: 'The last hour at least factor × the average of the same hour over the 7 days before.' },
          minCount: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
          perUser: { type: 'boolean', default: false },
        },
        ['perUser'],
      ),
    ],
  },
  AlertInput: {
    type: 'object',
    required: ['name', 'condition', 'webhook'],
    additionalProperties: false,
    description: 'Exactly one of `query` and `savedSearchId`.',
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$', description: 'Unique in the organization.' },
      query: { type: 'string', minLength: 1, maxLength: 1024, description: 'A search in the query language.' },
      savedSearchId: { type: 'string', format: 'uuid', description: 'A saved search of the organization (its query as it reads at each evaluation).' },
      condition: ref('AlertCondition'),
      webhook: object({ url: url('Where firings are POSTed (signed); no internal address unless STREAMS_ALLOW_PRIVATE_NETWORKS.'), secret: { type: 'string', minLength: 16, maxLength: 512, description: 'Signs each request; required on create, kept when a replace leaves it out; never shown again.' } }, ['secret']),
      enabled: { type: 'boolean', default: true },
    },
  },
  Alert: object({
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    savedSearchId: { type: ['string', 'null'], format: 'uuid' },
    query: { type: 'string', description: 'The query evaluated: the inline one or the saved search\'s.' },
    condition: ref('AlertCondition'),
    webhook: object({ url: { type: 'string' }, secretSet: { type: 'boolean', enum: [true] } }),
    enabled: { type: 'boolean' },
    evaluatedUntil: { ...instant, description: 'End of the last minute evaluated.' },
    createdAt: instant,
    updatedAt: instant,
  }),
  AlertList: items(ref('Alert')),
  AlertFiringList: items(
    object({
      id: { type: 'string', format: 'uuid', description: 'The same for one alert and window (a retried delivery carries it again); also the id of the RUN_WORKFLOW event that records it.' },
      alertId: { type: 'string', format: 'uuid' },
      alertName: { type: 'string' },
      search: { type: 'string' },
      window: object({ from: instant, to: instant }),
      groups: { type: 'array', items: object({ userId: nullable('string'), count, baseline: { type: 'number', minimum: 0 } }, ['baseline']) },
      firedAt: instant,
      recorded: { type: 'boolean', description: 'Recorded as an audit event (before any delivery).' },
      delivery: object({
        status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
        attempts: count,
        lastError: nullable('string'),
        nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
        deliveredAt: { type: ['string', 'null'], format: 'date-time' },
      }),
    }),
  ),
  Deleted: object({ id: { type: 'string', format: 'uuid' }, deleted: { type: 'boolean', enum: [true] } }),
  LogCheckpoint: object({
    treeSize: { type: 'integer', minimum: 1 },
    rootHash: { type: 'string', contentEncoding: 'base64', description: 'RFC 9162 root hash of the first treeSize leaves.' },
    signedAt: instant,
    note: { type: 'string', description: 'The C2SP signed note: `<origin>\\n<size>\\n<base64 root>\\n\\n— <key name> <base64 key id ‖ Ed25519 signature>\\n`.' },
  }),
  LogCheckpointPage: {
    ...items(ref('LogCheckpoint')),
    properties: { items: { type: 'array', items: ref('LogCheckpoint') }, nextFrom: { ...instant, description: 'When more match: pass as `from` for the rest.' } },
  },
  EventProof: object({
    eventId: { type: 'string', format: 'uuid' },
    leafIndex: { type: 'integer', minimum: 0 },
    treeSize: { type: 'integer', minimum: 1 },
    leaf: { type: 'string', contentEncoding: 'base64', description: 'The leaf bytes: JCS of {actionType, commitment, createdAt, id, organizationId, receivedAt, v: 1}.' },
    commitment: { type: 'string', contentEncoding: 'base64', description: 'SHA-256 of the JCS of {content, salt, v: 1}.' },
    salt: { type: ['string', 'null'], contentEncoding: 'base64', description: 'Null once the content was erased.' },
    user: { type: ['object', 'null'], required: ['email', 'userName'], additionalProperties: false, properties: { email: { type: 'string' }, userName: { type: 'string' } }, description: 'The user snapshot the commitment covers.' },
    inclusionProof: { type: 'array', items: { type: 'string', contentEncoding: 'base64' }, description: 'RFC 9162 PATH(leafIndex, D[0:treeSize]), leaf level first.' },
    checkpoint: ref('LogCheckpoint'),
  }),
  ConsistencyProof: object({
    first: { type: 'integer', minimum: 0 },
    second: { type: 'integer', minimum: 0 },
    proof: { type: 'array', items: { type: 'string', contentEncoding: 'base64' }, description: 'RFC 9162 PROOF(first, D[0:second]).' },
  }),
  LogKeys: items(object({ key: { type: 'string', description: 'A signed-note verifier key `<name>+<hex key id>+<base64(0x01 ‖ Ed25519 public key)>`.' }, firstUsedAt: instant })),
  ErasureRequest: object({ userId: { type: 'string', minLength: 1, maxLength: 256 } }),
  Erasure: object({ id: { type: 'string', format: 'uuid' }, userId: { type: 'string' }, requestedBy: { type: 'string' }, events: { type: 'integer', minimum: 0 }, erasedAt: instant }),
  Erasures: items(object({ id: { type: 'string', format: 'uuid' }, userId: { type: 'string' }, requestedBy: { type: 'string' }, events: { type: 'integer', minimum: 0 }, erasedAt: instant })),
  IngestKey: object({
    id: { type: 'string', format: 'uuid' },
    organizationId: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string', description: 'The first 12 characters of the key, to tell keys apart.' },
    createdAt: instant,
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
  }),
  IngestKeyList: object({ items: { type: 'array', items: ref('IngestKey') } }),
  IngestKeyCreate: object({ name: { type: 'string', minLength: 1, maxLength: 200, description: "A label; default 'default'." } }, ['name']),
  IngestKeyCreated: object({
    id: { type: 'string', format: 'uuid' },
    organizationId: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string' },
    createdAt: instant,
    revokedAt: { type: 'null' },
    key: { type: 'string', description: 'The key itself: in this answer only, never again (only its hash is stored).' },
  }),
  HiddenParametersUpdate: object({
    queries: { type: 'array', maxItems: 200, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 1024 }, description: 'Every query whose parameters are hidden ([] for none).' },
  }),
  HiddenParameters: object({
    organizationId: { type: 'string' },
    queries: { type: 'array', items: object({ queryName: { type: 'string' }, since: instant }) },
  }),
  ConsoleConfig: object({
    signIn: {
      type: ['object', 'null'],
      description: 'Single sign-on through an OpenID provider (authorization code with PKCE, public client); null when administrators paste a token.',
      required: ['issuer', 'clientId', 'scopes', 'claims'],
      additionalProperties: false,
      properties: {
        issuer: { type: 'string', format: 'uri' },
        clientId: { type: 'string' },
        scopes: { type: 'string' },
        claims: {
          type: 'object',
          description: "Which of the provider's claims name the organization and the role (AUTH_OIDC_ORG_CLAIM, AUTH_OIDC_ROLE_CLAIM, AUTH_OIDC_ADMIN_VALUES), so the console shows what the API admits by.",
          required: ['orgClaim', 'roleClaim', 'adminValues'],
          additionalProperties: false,
          properties: { orgClaim: { type: 'string' }, roleClaim: { type: 'string' }, adminValues: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
  }),
  Health: object({ status: { type: 'string', enum: ['ok'] } }),
  Readiness: object({
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: { type: 'object', additionalProperties: object({ ok: { type: 'boolean' }, detail: { type: 'string' }, tolerated: { type: 'string' } }, ['detail', 'tolerated']) },
  }),
};
