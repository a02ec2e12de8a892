import { ACTION_TYPES, type JsonSchema } from '@audit/contracts';
import { ref } from './schemas';

type Operation = Record<string, unknown>;

/** The query language (libs/search; the README's table), for GET /v1/events and the export request. */
const SEARCH_DESCRIPTION =
  'A search in the query language, ANDed with the other filters (not with `q`): qualifiers `action:` (types, comma lists, ' +
  'groups such as `queries`, prefixes such as `query.*`), `user:` (id or e-mail), `ip:` (address or CIDR), `page:`, `query:`, ' +
  '`resource:` (exact names), `created:` and `rt:` (with `>`, `>=`, `<`, `<=`, `a..b`, `*`; times also relative, `created:>-24h`), ' +
  'free words and "quoted phrases" (case-insensitive, over page, query and resource names, the query text and the user\'s e-mail and name), ' +
  '`-` to negate, `OR` between terms (tighter than the implicit AND), parentheses. A malformed search answers 400 naming the ' +
  'character position, the term and what was expected; one that would read more than SEARCH_MAX_ROWS events answers 400, one ' +
  'that runs longer than SEARCH_TIMEOUT 504, each with advice to narrow it. Served by ClickHouse, rows from Postgres.';

const json = (schema: JsonSchema, example?: unknown): Record<string, unknown> => ({ 'application/json': { schema, ...(example === undefined ? {} : { example }) } });
const ok = (description: string, schema: JsonSchema, example: unknown): Record<string, unknown> => ({ description, content: json(schema, example) });
/** Every error answer has the one shape `#/components/schemas/Error`. */
const error = (description: string): Record<string, unknown> => ({ description, content: json(ref('Error')) });

const query = (name: string, description: string, schema: JsonSchema = { type: 'string' }, extra: Record<string, unknown> = {}) => ({ name, in: 'query', required: false, description, schema, ...extra });
const from = query('from', 'Start of the window (inclusive), ISO-8601; default 24 hours before `to`.', { type: 'string', format: 'date-time' });
const to = query('to', 'End of the window (exclusive), ISO-8601; default now.', { type: 'string', format: 'date-time' });
const actionTypes = query('actionType', 'Only these action types (repeatable).', { type: 'array', items: { type: 'string', enum: [...ACTION_TYPES] } }, { style: 'form', explode: true });
const limit = (def: number, max: number) => query('limit', `At most this many items (1 to ${max}, default ${def}).`, { type: 'integer', minimum: 1, maximum: max, default: def });

const ADMIN = [{ adminToken: [] }];
const unauthenticated = error('No token, or a bad one (the message names the claim).');
/** What every admin-token operation may answer before it runs. */
const adminRefusals = { '401': unauthenticated, '403': error('A token whose role is not admin.') };
const badRequest = error('A bad parameter or body; the message and details name each one.');
const timeout = error('The read outgrew PG_READ_TIMEOUT_MS (code QUERY_TIMEOUT): narrow the window or add a filter.');
const busDown = error('The bus cannot record the action (code BUS_UNAVAILABLE); retrying is safe.');

const EVENT_ID = '0190f0c4-8b4a-7d2e-9a1b-3c4d5e6f7a8b';
const AT = '2026-03-01T12:00:00.000Z';
/** The filters of GET /v1/events but the window, which the chart and count of a view follow too. */
const listFilters = [
  actionTypes,
  ...['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress'].map((name) => query(name, `Exactly this ${name}.`)),
  query('q', 'A case-insensitive substring of the page, query and resource names and of the query text.', { type: 'string', maxLength: 256 }),
  query('hideAuditReads', "`true` leaves out the log's own reads (PAGE_VIEW of page `audit`); exports and other actions stay.", { type: 'string', enum: ['true', 'false'], default: 'false' }),
];

/** `search` on the analytics endpoints: the same language and errors, counted over what ClickHouse holds. */
const analyticsSearch = query(
  'search',
  'A search in the query language (see GET /v1/events), ANDed with the other parameters; a malformed one answers 400 naming the position and the term. ' +
    'Counted over what ClickHouse holds, like every analytics figure (events the projector has not written yet count once it has).',
  { type: 'string', maxLength: 1024 },
);

/** What an analytics statement bounded by SEARCH_MAX_ROWS and SEARCH_TIMEOUT may answer besides its result. */
const analyticsBounds = {
  '400': error('A bad parameter (named), or a read of more than SEARCH_MAX_ROWS events (details name `search`, or `from` without one): narrow the window or the search.'),
  '504': error('The read ran longer than SEARCH_TIMEOUT and was stopped (code QUERY_TIMEOUT): narrow the window or the search.'),
};

const summaryExample = { id: EVENT_ID, actionType: 'QUERY_RUN', userId: 'u1', user: { email: 'ada@example.com', userName: 'ada' }, ipAddress: '203.0.113.7', responseTimeMs: 42, pageName: 'orders', queryName: 'getOrders', resourceName: 'postgres-main', createdAt: AT, receivedAt: AT };
const ROOT = 'ZXhhbXBsZS1oYXNoLWV4YW1wbGUtaGFzaC1leGFtcGw=';
const checkpointExample = { treeSize: 1, rootHash: ROOT, signedAt: AT, note: `audit-trail/log/acme\n1\n${ROOT}\n\n\u2014 audit-trail AAAA...\n` };
const keyExample = { id: '0193f1c2-7a4e-7c1d-9b2a-5e8f0a1b2c3d', organizationId: 'acme', name: 'ci', prefix: 'audk_5q0mW0l', createdAt: AT, revokedAt: null };
const hiddenExample = { organizationId: 'acme', queries: [{ queryName: 'getSecrets', since: AT }] };
const retentionExample = { organizationId: 'acme', days: 365, effectiveDays: 365, defaultDays: 365, legalHold: null };

const SEARCH_ID = '5b2d7c1e-0f3a-4e6b-8c9d-2a3b4c5d6e7f';
const ALERT_ID = '7c3e8d2f-1a4b-4f7c-9d0e-3b4c5d6e7f80';
const searchId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const alertId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const noSearch = error("No such saved search in the caller's organization.");
const noAlert = error("No such alert in the caller's organization.");
const searchExample = { id: SEARCH_ID, name: 'exports', query: 'action:PAGE_EXPORT', createdAt: AT, updatedAt: AT };
const alertExample = {
  id: ALERT_ID,
  name: 'bulk export',
  savedSearchId: null,
  query: 'action:PAGE_EXPORT',
  condition: { kind: 'count', atLeast: 6, windowMinutes: 60, perUser: true },
  webhook: { url: 'https://hooks.example.com/audit', secretSet: true },
  enabled: true,
  evaluatedUntil: AT,
  createdAt: AT,
  updatedAt: AT,
};
const firingExample = {
  id: '0190f0c4-8b4a-7d2e-9a1b-3c4d5e6f7a8c',
  alertId: ALERT_ID,
  alertName: 'bulk export',
  search: 'action:PAGE_EXPORT',
  window: { from: '2026-03-01T11:00:00.000Z', to: AT },
  groups: [{ userId: 'u-42', count: 7 }],
  firedAt: AT,
  recorded: true,
  delivery: { status: 'delivered', attempts: 1, lastError: null, nextAttemptAt: null, deliveredAt: AT },
};

const STREAM_ID = '3f1c2b9e-5d4a-4c8b-9e7f-1a2b3c4d5e6f';
const streamId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const noStream = error("No such stream in the caller's organization.");
const streamExample = {
  id: STREAM_ID,
  name: 'siem',
  destination: { type: 'webhook', url: 'https://siem.example.com/audit', secretsSet: ['secrets'] },
  filter: { actionType: ['LOGIN', 'QUERY_RUN'] },
  format: 'json',
  state: { status: 'active', lastError: null, since: AT },
  replay: null,
  lag: { events: 0, seconds: 0 },
  createdAt: AT,
  updatedAt: AT,
};

/** Every operation of the HTTP API, by OpenAPI path and method; a test holds it to the routes each app registers. */
export const OPERATIONS: Record<string, Record<string, Operation>> = {
  '/v1/events': {
    post: {
      tags: ['ingest'],
      summary: 'Send one event or an array of up to 1000',
      description: 'All or nothing: one invalid item publishes none. Retrying with the same ids is safe (ids are idempotency keys).',
      security: [{ ingestKey: [] }, { ingestKeyHeader: [] }],
      requestBody: {
        required: true,
        content: json({ anyOf: [ref('EventInput'), ref('EventBatch')] }, { organizationId: 'acme', actionType: 'LOGIN', userId: 'u1', user: { email: 'ada@example.com', userName: 'ada' }, ipAddress: '203.0.113.7' }),
      },
      responses: {
        '202': ok('Accepted: the ids, in order.', ref('Ids'), { ids: [EVENT_ID] }),
        '400': error('Invalid items (details: every {index, path, reason}), a body that is not UTF-8 JSON.'),
        '401': error('No ingest key, or a bad one.'),
        '403': error('An event for another organization than the key.'),
        '413': error('A body over BODY_LIMIT_BYTES (5 MiB).'),
        '415': error('A body not sent as application/json.'),
        '429': error("The key's organization is over INGEST_RATE_LIMIT; nothing of the batch was accepted. Retry after the Retry-After header's seconds."),
        '503': error(
          'Retry after the Retry-After header\'s seconds. Ingest is behind its own work (code OVERLOADED, INGEST_MAX_EVENT_LOOP_DELAY): nothing of the batch was accepted. The bus did not take the whole batch (code BUS_UNAVAILABLE): part of it may be stored, so send it again with the ids of `error.details.ids` (the id each event was given, in order) as the events\' ids, and each is stored once.',
        ),
      },
    },
    get: {
      tags: ['events'],
      summary: "The organization's events, newest first, in keyset pages",
      security: ADMIN,
      parameters: [
        from,
        to,
        actionTypes,
        ...['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress'].map((name) => query(name, `Exactly this ${name}.`)),
        query('q', 'A case-insensitive substring of the page, query and resource names and of the query text.', { type: 'string', maxLength: 256 }),
        query('hideAuditReads', "`true` leaves out the log's own reads (PAGE_VIEW of page `audit`); exports and other actions stay.", { type: 'string', enum: ['true', 'false'], default: 'false' }),
        query('search', SEARCH_DESCRIPTION, { type: 'string', maxLength: 1024 }),
        limit(50, 500),
        query('cursor', 'The previous page\'s `nextCursor`.'),
      ],
      responses: { '200': ok('A page of events.', ref('EventPage'), { items: [summaryExample], nextCursor: 'eyJjIjoiMjAyNi0wMy0wMVQxMjowMDowMC4wMDBaIn0' }), '400': badRequest, ...adminRefusals, '504': timeout },
    },
  },
  '/v1/events/{id}': {
    get: {
      tags: ['events'],
      summary: 'One event, with its metadata',
      security: ADMIN,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      responses: {
        '200': ok('The event.', ref('EventDetail'), { ...summaryExample, organizationId: 'acme', metadata: { query: 'select * from orders where id = {{id}}', parameters: { id: 7 } } }),
        '400': badRequest,
        ...adminRefusals,
        '404': error("No such event in the caller's organization."),
      },
    },
  },
  '/v1/events/{id}/proof': {
    get: {
      tags: ['log'],
      summary: "The event's leaf and its inclusion proof against a signed checkpoint",
      description: 'Verify: SHA-256(0x00 ‖ leaf) with `inclusionProof` leads to the checkpoint\'s root (RFC 9162 §2.1.3.2), and the checkpoint\'s note verifies with a key of `GET /v1/log/keys`. docs/transparency.md.',
      security: ADMIN,
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        query('treeSize', "Prove against the checkpoint of this size (default: the latest).", { type: 'integer', minimum: 1 }),
      ],
      responses: {
        '200': ok('The proof.', ref('EventProof'), { eventId: EVENT_ID, leafIndex: 0, treeSize: 1, leaf: 'eyJ...', commitment: ROOT, salt: ROOT, user: null, inclusionProof: [], checkpoint: checkpointExample }),
        '400': error('A bad id or treeSize: not a number, beyond the latest checkpoint, not a checkpoint\'s size, or before the event was sealed.'),
        ...adminRefusals,
        '404': error("No such sealed event in the caller's organization, no checkpoint yet, or none covering the event yet."),
      },
    },
  },
  '/v1/log/checkpoint': {
    get: {
      tags: ['log'],
      summary: "The latest signed checkpoint of the organization's log",
      security: ADMIN,
      responses: { '200': ok('The checkpoint.', ref('LogCheckpoint'), checkpointExample), '400': badRequest, ...adminRefusals, '404': error('No checkpoint yet.') },
    },
  },
  '/v1/log/checkpoints': {
    get: {
      tags: ['log'],
      summary: 'The signed checkpoints, oldest first',
      security: ADMIN,
      parameters: [
        query('from', 'Signed at or after (ISO-8601).', { type: 'string', format: 'date-time' }),
        query('to', 'Signed before (ISO-8601).', { type: 'string', format: 'date-time' }),
        limit(100, 1000),
      ],
      responses: { '200': ok('The checkpoints.', ref('LogCheckpointPage'), { items: [checkpointExample] }), '400': badRequest, ...adminRefusals },
    },
  },
  '/v1/log/consistency': {
    get: {
      tags: ['log'],
      summary: 'The consistency proof between two tree sizes (RFC 9162 §2.1.4)',
      security: ADMIN,
      parameters: [
        { name: 'first', in: 'query', required: true, description: 'The older tree size.', schema: { type: 'integer', minimum: 0 } },
        { name: 'second', in: 'query', required: true, description: 'The newer tree size, at most the latest checkpoint\'s.', schema: { type: 'integer', minimum: 0 } },
      ],
      responses: {
        '200': ok('The proof.', ref('ConsistencyProof'), { first: 1, second: 2, proof: [ROOT] }),
        '400': error('first or second missing or not a tree size, second beyond the latest checkpoint, first larger than second.'),
        ...adminRefusals,
        '404': error('No checkpoint yet.'),
      },
    },
  },
  '/v1/log/keys': {
    get: {
      tags: ['log'],
      summary: 'Every key that signed checkpoints, as signed-note verifier keys',
      security: ADMIN,
      responses: { '200': ok('The keys.', ref('LogKeys'), { items: [{ key: 'audit-trail+1a2b3c4d+AQ...', firstUsedAt: AT }] }), '400': badRequest, ...adminRefusals },
    },
  },
  '/v1/erasures': {
    post: {
      tags: ['log'],
      summary: "Erase a person's data: e-mail and name, and the content of their events, in Postgres and ClickHouse (leaves and proofs stay)",
      security: ADMIN,
      requestBody: { required: true, content: json(ref('ErasureRequest'), { userId: 'u-42' }) },
      responses: {
        '201': ok('The erasure, recorded as an UPDATE_ORGANIZATION event.', ref('Erasure'), { id: EVENT_ID, userId: 'u-42', requestedBy: 'token:admin-1', events: 12, erasedAt: AT }),
        '400': error('The body is not {"userId": "<1 to 256 characters>"}; each wrong field is named.'),
        ...adminRefusals,
      },
    },
    get: {
      tags: ['log'],
      summary: "The organization's erasures, newest first",
      security: ADMIN,
      parameters: [limit(100, 1000)],
      responses: { '200': ok('The erasures.', ref('Erasures'), { items: [{ id: EVENT_ID, userId: 'u-42', requestedBy: 'token:admin-1', events: 12, erasedAt: AT }] }), '400': badRequest, ...adminRefusals },
    },
  },
  '/v1/events/stream': {
    get: {
      tags: ['events'],
      summary: "The organization's events as they are accepted, as Server-Sent Events (the live tail)",
      description:
        'Each matching event as `id: <stream sequence>`, `event: event`, `data: <an EventSummary as JSON>`, in the order the bus stored them, and a `: heartbeat` comment every LIVE_TAIL_HEARTBEAT. ' +
        'Reconnecting with the header `Last-Event-ID` (the last id received) resumes right after it, with no gap and no repeat. Each stream opened is recorded as a read before anything is sent.',
      security: ADMIN,
      parameters: [
        from,
        to,
        actionTypes,
        ...['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress'].map((name) => query(name, `Exactly this ${name}.`)),
        query('hideAuditReads', "`true` leaves out the log's own reads (PAGE_VIEW of page `audit`).", { type: 'string', enum: ['true', 'false'], default: 'false' }),
        query('search', SEARCH_DESCRIPTION, { type: 'string', maxLength: 1024 }),
        { name: 'Last-Event-ID', in: 'header', required: false, description: 'The id of the last event received: the stream resumes after it.', schema: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } },
      ],
      responses: {
        '200': {
          description: 'The stream of events (text/event-stream), until the client or the server closes it.',
          content: { 'text/event-stream': { schema: { type: 'string' }, example: `id: 42\nevent: event\ndata: ${JSON.stringify(summaryExample)}\n\n` } },
        },
        '400': badRequest,
        ...adminRefusals,
        '429': error('Too many live tails open (LIVE_TAIL_MAX_PER_ORG for the organization, LIVE_TAIL_MAX_PER_PROCESS for the server); see Retry-After.'),
        '503': busDown,
      },
    },
  },
  '/v1/users': {
    get: {
      tags: ['events'],
      summary: "The organization's users (the console's user filter)",
      security: ADMIN,
      parameters: [query('q', 'A substring of the id, email or name.', { type: 'string', maxLength: 256 }), limit(20, 200)],
      responses: { '200': ok('The users.', ref('UserItems'), { items: [{ id: 'u1', email: 'ada@example.com', userName: 'ada' }] }), '400': badRequest, ...adminRefusals },
    },
  },
  '/v1/analytics/timeseries': {
    get: {
      tags: ['analytics'],
      summary: 'Event counts per time bucket and action type',
      security: ADMIN,
      parameters: [from, to, query('interval', 'The bucket.', { type: 'string', enum: ['minute', 'hour', 'day'], default: 'hour' }), ...listFilters, analyticsSearch],
      responses: { '200': ok('The buckets.', ref('Timeseries'), { items: [{ bucket: AT, actionType: 'LOGIN', count: 3 }] }), ...analyticsBounds, ...adminRefusals },
    },
  },
  '/v1/analytics/count': {
    get: {
      tags: ['analytics'],
      summary: 'How many events a view of GET /v1/events holds (its filters), from ClickHouse',
      description: 'Exact without filters beyond action types; otherwise the scan stops after 2 s and `approximate` is true (a lower bound).',
      security: ADMIN,
      parameters: [from, to, ...listFilters, analyticsSearch],
      responses: { '200': ok('The count.', ref('ViewCount'), { count: 1234, approximate: false }), '400': badRequest, ...adminRefusals },
    },
  },
  '/v1/analytics/top-users': {
    get: {
      tags: ['analytics'],
      summary: 'The most active users',
      security: ADMIN,
      parameters: [from, to, actionTypes, limit(10, 1000), analyticsSearch],
      responses: { '200': ok('The users, most events first.', ref('TopUsers'), { items: [{ userId: 'u1', email: 'ada@example.com', userName: 'ada', count: 12 }] }), ...analyticsBounds, ...adminRefusals },
    },
  },
  '/v1/analytics/response-times': {
    get: {
      tags: ['analytics'],
      summary: 'Exact response-time quantiles (ms) per page, query or resource, slowest p95 first',
      security: ADMIN,
      parameters: [from, to, query('groupBy', 'What to group by.', { type: 'string', enum: ['pageName', 'queryName', 'resourceName'], default: 'queryName' }), limit(20, 1000), analyticsSearch],
      responses: { '200': ok('The groups.', ref('ResponseTimes'), { items: [{ name: 'getOrders', count: 40, p50: 12, p95: 80, p99: 120, max: 300 }] }), ...analyticsBounds, ...adminRefusals },
    },
  },
  '/v1/analytics/summary': {
    get: {
      tags: ['analytics'],
      summary: 'Totals and counts per action type',
      security: ADMIN,
      parameters: [from, to, analyticsSearch],
      responses: { '200': ok('The summary.', ref('Summary'), { total: 5, distinctUsers: 2, distinctIps: 2, items: [{ actionType: 'LOGIN', count: 5 }] }), ...analyticsBounds, ...adminRefusals },
    },
  },
  '/v1/exports': {
    post: {
      tags: ['exports'],
      summary: 'Start a CSV export of the events matching the filters',
      description: 'Records a PAGE_EXPORT event.',
      security: ADMIN,
      requestBody: { required: true, content: json(ref('ExportRequest'), { from: '2026-02-01T00:00:00.000Z', to: AT, actionType: ['LOGIN', 'LOGOUT'], search: '-user:bot@example.com ip:10.0.0.0/8' }) },
      responses: { '202': ok('The job.', ref('ExportAccepted'), { id: EVENT_ID, status: 'pending' }), '400': badRequest, ...adminRefusals, '503': busDown },
    },
    get: {
      tags: ['exports'],
      summary: "The organization's export jobs, newest first (each listing signs fresh links)",
      security: ADMIN,
      parameters: [limit(100, 100), query('cursor', "The previous page's `nextCursor`.")],
      responses: {
        '200': ok('A page of jobs.', ref('ExportPage'), {
          items: [{ id: EVENT_ID, status: 'pending', filters: { from: '2026-02-01T00:00:00.000Z', to: AT }, format: 'csv', rowCount: 0, totalRows: null, sizeBytes: null, progress: 0, createdAt: AT, startedAt: null, finishedAt: null, error: null }],
        }),
        '400': badRequest,
        ...adminRefusals,
      },
    },
  },
  '/v1/exports/{id}/download': {
    get: {
      tags: ['exports'],
      summary: "An export's gzip'd RFC 4180 CSV, through its signed link",
      description: 'Recorded as a PAGE_VIEW before the file is sent. A bearer token is optional; when sent it must be valid.',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        { name: 'expires', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'signature', in: 'query', required: true, schema: { type: 'string' } },
      ],
      responses: {
        '200': { description: 'The file.', content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } } },
        '401': unauthenticated,
        '403': error('A tampered link.'),
        '404': error("Another organization's token, or no such export."),
        '410': error('The link expired or the file was removed.'),
        '503': busDown,
      },
    },
  },
  '/v1/settings/retention': {
    get: {
      tags: ['settings'],
      summary: "The caller's organization's retention",
      security: ADMIN,
      responses: { '200': ok('The setting.', ref('RetentionSettings'), retentionExample), ...adminRefusals },
    },
    put: {
      tags: ['settings'],
      summary: "Set the organization's retention (records an UPDATE_ORGANIZATION event first)",
      security: ADMIN,
      requestBody: { required: true, content: json(ref('RetentionUpdate'), { days: 365 }) },
      responses: { '200': ok('The new setting.', ref('RetentionSettings'), retentionExample), '400': badRequest, ...adminRefusals, '503': busDown },
    },
  },
  '/v1/streams': {
    get: { tags: ['streams'], summary: "The organization's streams (never a secret)", security: ADMIN, responses: { '200': ok('The streams.', ref('StreamList'), { items: [streamExample] }), ...adminRefusals } },
    post: {
      tags: ['streams'],
      summary: 'Create a stream (records an UPDATE_ORGANIZATION event first, as every change below does)',
      description: 'The destination is checked: a bad URL, an unknown type or format, a missing secret, or an internal address (unless STREAMS_ALLOW_PRIVATE_NETWORKS) is a 400 naming the field. Secrets are stored encrypted and never shown again.',
      security: ADMIN,
      requestBody: { required: true, content: json(ref('StreamInput'), { name: 'siem', destination: { type: 'webhook', url: 'https://siem.example.com/audit', secrets: ['a-secret-of-at-least-16-chars'] } }) },
      responses: { '201': ok('The stream.', ref('Stream'), streamExample), '400': badRequest, ...adminRefusals, '503': busDown },
    },
  },
  '/v1/streams/{id}': {
    get: { tags: ['streams'], summary: 'One stream', security: ADMIN, parameters: [streamId], responses: { '200': ok('The stream.', ref('Stream'), streamExample), ...adminRefusals, '404': noStream } },
    put: {
      tags: ['streams'],
      summary: "Replace a stream's definition (secret fields left out keep their stored values)",
      security: ADMIN,
      parameters: [streamId],
      requestBody: { required: true, content: json(ref('StreamInput'), { name: 'siem', destination: { type: 'webhook', url: 'https://siem.example.com/audit' }, filter: { actionType: ['LOGIN'] }, paused: false }) },
      responses: { '200': ok('The stream.', ref('Stream'), streamExample), '400': badRequest, ...adminRefusals, '404': noStream, '503': busDown },
    },
    delete: { tags: ['streams'], summary: 'Delete a stream (its consumer goes with it)', security: ADMIN, parameters: [streamId], responses: { '200': ok('Deleted.', ref('StreamDeleted'), { id: STREAM_ID, deleted: true }), ...adminRefusals, '404': noStream, '503': busDown } },
  },
  '/v1/streams/{id}/pause': {
    post: { tags: ['streams'], summary: 'Pause: nothing is sent; the stream keeps its position', security: ADMIN, parameters: [streamId], responses: { '200': ok('The stream.', ref('Stream'), { ...streamExample, state: { status: 'paused', lastError: null, since: AT } }), ...adminRefusals, '404': noStream, '503': busDown } },
  },
  '/v1/streams/{id}/resume': {
    post: { tags: ['streams'], summary: 'Resume from where the stream paused', security: ADMIN, parameters: [streamId], responses: { '200': ok('The stream.', ref('Stream'), streamExample), ...adminRefusals, '404': noStream, '503': busDown } },
  },
  '/v1/streams/{id}/test': {
    post: {
      tags: ['streams'],
      summary: 'Send one sample event (metadata.test = true) to the destination now',
      security: ADMIN,
      parameters: [streamId],
      responses: { '200': ok("The destination's answer.", ref('StreamTest'), { delivered: true, latencyMs: 42, error: null, eventId: EVENT_ID }), ...adminRefusals, '404': noStream },
    },
  },
  '/v1/streams/{id}/replay': {
    post: {
      tags: ['streams'],
      summary: 'Re-deliver the events stored since `from`, beside live delivery',
      description: "Covers the events stored up to the request (by stream sequence), in order; a new replay replaces a running one. Never sends an event the organization's retention purged: a `from` before the retention cutoff starts at the cutoff, and the answer's `replay.from` is where the replay starts.",
      security: ADMIN,
      parameters: [streamId],
      requestBody: { required: true, content: json(ref('StreamReplay'), { from: AT }) },
      responses: { '202': ok('The stream, with its replay.', ref('Stream'), { ...streamExample, replay: { from: AT, untilSequence: 12345 } }), '400': badRequest, ...adminRefusals, '404': noStream, '503': error('The bus did not answer (code BUS_UNAVAILABLE).') },
    },
  },
  '/v1/streams/{id}/deliveries': {
    get: {
      tags: ['streams'],
      summary: "The stream's recent delivery attempts, newest first",
      security: ADMIN,
      parameters: [streamId, limit(50, 500)],
      responses: {
        '200': ok('The attempts.', ref('StreamDeliveries'), { items: [{ at: AT, events: 120, status: 'delivered', latencyMs: 35, error: null, replay: false }] }),
        '400': badRequest,
        ...adminRefusals,
        '404': noStream,
      },
    },
  },
  '/v1/searches': {
    get: { tags: ['alerts'], summary: "The organization's saved searches", security: ADMIN, responses: { '200': ok('The saved searches, by name.', ref('SavedSearchList'), { items: [searchExample] }), ...adminRefusals } },
    post: {
      tags: ['alerts'],
      summary: 'Save a search',
      description: 'A query the language refuses is a 400 naming `query`, the character position, the term and what was expected.',
      security: ADMIN,
      requestBody: { required: true, content: json(ref('SavedSearchInput'), { name: 'exports', query: 'action:PAGE_EXPORT' }) },
      responses: { '201': ok('The saved search.', ref('SavedSearch'), searchExample), '400': badRequest, ...adminRefusals, '503': busDown },
    },
  },
  '/v1/searches/{id}': {
    get: { tags: ['alerts'], summary: 'One saved search', security: ADMIN, parameters: [searchId], responses: { '200': ok('The saved search.', ref('SavedSearch'), searchExample), ...adminRefusals, '404': noSearch } },
    put: {
      tags: ['alerts'],
      summary: 'Replace a saved search (alerts watching it evaluate the new query from their next minute)',
      security: ADMIN,
      parameters: [searchId],
      requestBody: { required: true, content: json(ref('SavedSearchInput'), { name: 'exports', query: 'action:PAGE_EXPORT,PAGE_VIEW' }) },
      responses: { '200': ok('The saved search.', ref('SavedSearch'), searchExample), '400': badRequest, ...adminRefusals, '404': noSearch, '503': busDown },
    },
    delete: {
      tags: ['alerts'],
      summary: 'Delete a saved search (refused while an alert watches it)',
      security: ADMIN,
      parameters: [searchId],
      responses: { '200': ok('Deleted.', ref('Deleted'), { id: SEARCH_ID, deleted: true }), '400': error('An alert watches it; the details name the alerts.'), ...adminRefusals, '404': noSearch, '503': busDown },
    },
  },
  '/v1/alerts': {
    get: { tags: ['alerts'], summary: "The organization's alerts (never a secret)", security: ADMIN, responses: { '200': ok('The alerts, by name.', ref('AlertList'), { items: [alertExample] }), ...adminRefusals } },
    post: {
      tags: ['alerts'],
      summary: 'Create an alert, evaluated every minute from the next one',
      description: 'Every bad field is a 400 naming it (`condition.atLeast`, `webhook.url` on an internal address, …). The secret is stored encrypted and never shown again.',
      security: ADMIN,
      requestBody: { required: true, content: json(ref('AlertInput'), { name: 'bulk export', query: 'action:PAGE_EXPORT', condition: { kind: 'count', atLeast: 6, windowMinutes: 60, perUser: true }, webhook: { url: 'https://hooks.example.com/audit', secret: 'a-secret-of-at-least-16-chars' } }) },
      responses: { '201': ok('The alert.', ref('Alert'), alertExample), '400': badRequest, ...adminRefusals, '503': busDown },
    },
  },
  '/v1/alerts/{id}': {
    get: { tags: ['alerts'], summary: 'One alert', security: ADMIN, parameters: [alertId], responses: { '200': ok('The alert.', ref('Alert'), alertExample), ...adminRefusals, '404': noAlert } },
    put: {
      tags: ['alerts'],
      summary: "Replace an alert's definition (without `webhook.secret` the stored one is kept; re-enabled, it resumes at the current minute)",
      security: ADMIN,
      parameters: [alertId],
      requestBody: { required: true, content: json(ref('AlertInput'), { name: 'bulk export', query: 'action:PAGE_EXPORT', condition: { kind: 'count', atLeast: 10, windowMinutes: 60, perUser: true }, webhook: { url: 'https://hooks.example.com/audit' }, enabled: false }) },
      responses: { '200': ok('The alert.', ref('Alert'), alertExample), '400': badRequest, ...adminRefusals, '404': noAlert, '503': busDown },
    },
    delete: { tags: ['alerts'], summary: 'Delete an alert and its firings', security: ADMIN, parameters: [alertId], responses: { '200': ok('Deleted.', ref('Deleted'), { id: ALERT_ID, deleted: true }), ...adminRefusals, '404': noAlert } },
  },
  '/v1/alerts/{id}/firings': {
    get: {
      tags: ['alerts'],
      summary: "One alert's firings, newest first, with their delivery state",
      security: ADMIN,
      parameters: [alertId, limit(50, 500)],
      responses: { '200': ok('The firings.', ref('AlertFiringList'), { items: [firingExample] }), '400': badRequest, ...adminRefusals, '404': noAlert },
    },
  },
  '/v1/alert-firings': {
    get: {
      tags: ['alerts'],
      summary: "The organization's firings of every alert, newest first",
      security: ADMIN,
      parameters: [limit(50, 500)],
      responses: { '200': ok('The firings.', ref('AlertFiringList'), { items: [firingExample] }), '400': badRequest, ...adminRefusals },
    },
  },
  '/v1/settings/keys': {
    get: {
      tags: ['settings'],
      summary: "The organization's ingest keys (their prefix, never the keys)",
      security: ADMIN,
      responses: { '200': ok('Active and revoked keys, oldest first.', ref('IngestKeyList'), { items: [keyExample] }), ...adminRefusals },
    },
    post: {
      tags: ['settings'],
      summary: 'Create an ingest key (records an UPDATE_ORGANIZATION event first); the key is in this answer only',
      security: ADMIN,
      requestBody: { required: false, content: json(ref('IngestKeyCreate'), { name: 'ci' }) },
      responses: { '201': ok('The key, shown once.', ref('IngestKeyCreated'), { ...keyExample, key: 'audk_5q0mW0lJ1G2vXzK3p9sQeT7uYbN4cR8dHfA6iL-oVxM' }), '400': badRequest, ...adminRefusals, '503': busDown },
    },
  },
  '/v1/settings/keys/{id}': {
    delete: {
      tags: ['settings'],
      summary: 'Revoke an ingest key (records an UPDATE_ORGANIZATION event first); ingest refuses it within AUTH_KEY_CACHE_TTL',
      security: ADMIN,
      parameters: [{ name: 'id', in: 'path', required: true, description: 'The key id.', schema: { type: 'string', format: 'uuid' } }],
      responses: {
        '200': ok('The revoked key.', ref('IngestKey'), { ...keyExample, revokedAt: AT }),
        '400': error('An id that is not a UUID.'),
        ...adminRefusals,
        '404': error("No active key with that id in the caller's organization (another organization's key included)."),
        '503': busDown,
      },
    },
  },
  '/v1/settings/hidden-parameters': {
    get: {
      tags: ['settings'],
      summary: 'Queries whose parameters ingest removes before anything is stored',
      security: ADMIN,
      responses: { '200': ok('The list.', ref('HiddenParameters'), hiddenExample), ...adminRefusals },
    },
    put: {
      tags: ['settings'],
      summary: 'Replace the list (records an UPDATE_ORGANIZATION event with the names added and removed, when it changes)',
      description: 'Applies to events ingested from then on (a running ingest within REDACTION_CACHE_TTL).',
      security: ADMIN,
      requestBody: { required: true, content: json(ref('HiddenParametersUpdate'), { queries: ['getSecrets'] }) },
      responses: { '200': ok('The new list.', ref('HiddenParameters'), hiddenExample), '400': badRequest, ...adminRefusals, '503': busDown },
    },
  },
  '/v1/console/config': {
    get: {
      tags: ['console'],
      summary: 'How the console signs in (public: no secret in it)',
      responses: { '200': ok('The sign-in method.', ref('ConsoleConfig'), { signIn: { issuer: 'https://id.example.com', clientId: 'audit-console', scopes: 'openid profile email', claims: { orgClaim: 'org', roleClaim: 'groups', adminValues: ['audit-admins'] } } }) },
    },
  },
  '/audit': {
    get: {
      tags: ['console'],
      summary: 'The console (the page asks for an admin token)',
      responses: { '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } }, '503': error('The console is not built.') },
    },
  },
  '/audit/{path}': {
    get: {
      tags: ['console'],
      summary: "The console's files; any other path without an extension is the page itself",
      parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'The file, or the page.', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } }, '404': error('No such file.'), '503': error('The console is not built.') },
    },
  },
  '/healthz': { get: { tags: ['operations'], summary: 'Liveness', responses: { '200': ok('The process answers.', ref('Health'), { status: 'ok' }) } } },
  '/readyz': {
    get: {
      tags: ['operations'],
      summary: 'Readiness, with each check',
      responses: {
        '200': ok('Ready.', ref('Readiness'), { status: 'ready', checks: { postgres: { ok: true }, nats: { ok: true } } }),
        '503': ok('Not ready.', ref('Readiness'), { status: 'not ready', checks: { postgres: { ok: false, detail: 'connection refused' } } }),
      },
    },
  },
  '/metrics': { get: { tags: ['operations'], summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
  '/v1/openapi.json': {
    get: { tags: ['operations'], summary: 'This document (OpenAPI 3.1)', responses: { '200': { description: 'The document.', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'] } } } } } },
  },
  '/v1/reference': {
    get: { tags: ['operations'], summary: 'This document as a page', responses: { '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } } } },
  },
};
