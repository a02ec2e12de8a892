import { ACTION_TYPES, eventJsonSchema, MAX_BATCH_EVENTS, type JsonSchema } from '@audit/contracts';

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
      format: { type: 'string', enum: ['csv', 'jsonl'], default: 'csv', description: 'CSV with a header, or JSON lines; newest event first, the user\'s e-mail and name beside userId.' },
    },
  },
  ExportAccepted: object({ id: { type: 'string', format: 'uuid' }, status: { type: 'string', enum: ['pending'] } }),
  ExportPage: items(
    object(
      {
        id: { type: 'string', format: 'uuid' },
        status: { type: 'string', enum: EXPORT_STATUSES },
        filters: { type: 'object' },
        format: { type: 'string', enum: ['csv', 'jsonl'] },
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
      required: ['issuer', 'clientId', 'scopes'],
      additionalProperties: false,
      properties: { issuer: { type: 'string', format: 'uri' }, clientId: { type: 'string' }, scopes: { type: 'string' } },
    },
  }),
  Health: object({ status: { type: 'string', enum: ['ok'] } }),
  Readiness: object({
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: { type: 'object', additionalProperties: object({ ok: { type: 'boolean' }, detail: { type: 'string' }, tolerated: { type: 'string' } }, ['detail', 'tolerated']) },
  }),
};
