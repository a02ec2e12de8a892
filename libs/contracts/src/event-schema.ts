import { ACTION_TYPES } from './action-types';
import type { AuditEventInput } from './event';
import { EVENT_FIELDS, type EventField } from './event-fields';
import { LIMITS } from './limits';

/** A JSON Schema object (kept within what draft-07 and 2020-12 read alike, so ajv 6 and OpenAPI 3.1 agree). */
export type JsonSchema = Record<string, unknown>;

/** What an emitter sends (`POST /v1/events`, `audit.ingest.<org>`) or what a read returns. */
export type EventSchemaShape = 'input' | 'stored';

/**
 * Fields an emitter may leave out because ingest fills them in: the id (a UUIDv7), metadata (`{}`) and
 * createdAt (ingest time). Every other non-nullable emitter field is required of the emitter.
 */
const DEFAULTED_AT_INGEST: ReadonlySet<EventField['kind']> = new Set(['uuid', 'json', 'instant']);

function valueSchema(field: EventField): JsonSchema {
  switch (field.kind) {
    case 'schemaVersion':
      return { type: 'integer', const: 1 };
    case 'uuid':
      return { type: 'string', format: 'uuid' };
    case 'organizationId':
      return { type: 'string', pattern: LIMITS.organizationIdPattern.source };
    case 'actionType':
      return { type: 'string', enum: [...ACTION_TYPES] };
    case 'text':
      return { type: 'string', minLength: field.allowEmpty === false ? 1 : 0, ...(field.maxLength === undefined ? {} : { maxLength: field.maxLength }) };
    case 'user':
      return {
        type: 'object',
        required: ['email', 'userName'],
        additionalProperties: false,
        properties: {
          email: { type: 'string', minLength: 1, maxLength: LIMITS.maxEmailLength, pattern: '@' },
          userName: { type: 'string', maxLength: LIMITS.maxUserNameLength },
        },
      };
    case 'ip':
      return { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };
    case 'integer':
      return { type: 'integer', minimum: 0, maximum: LIMITS.maxResponseTimeMs };
    case 'json':
      return { type: 'object' };
    case 'instant':
      return { type: 'string', format: 'date-time' };
  }
}

/** `null` added to a value schema: `type` becomes a list (no `nullable`, which 3.1 dropped). */
function nullable(schema: JsonSchema): JsonSchema {
  const { type, ...rest } = schema;
  const withNull = { ...rest, type: [type, 'null'] };
  // A `const` or `enum` would refuse the null that `type` now allows.
  if (Array.isArray(rest.enum)) return { ...withNull, enum: [...(rest.enum as unknown[]), null] };
  return withNull;
}

/**
 * The JSON Schema of an event, derived from {@link EVENT_FIELDS}: `input` is what an emitter may send
 * (the fields it sets; organizationId and actionType required), `stored` is the canonical event that the
 * bus carries and `GET /v1/events/:id` returns (every field present, absent optionals as null).
 *
 * The schema documents the contract; `validateEvent` stays the check (it also bounds metadata's serialised
 * size and depth and createdAt's range, which JSON Schema cannot say; `maxLength` here counts code points
 * where the validator counts UTF-16 units, so an astral character counts once here and twice there).
 */
export function eventJsonSchema(shape: EventSchemaShape): JsonSchema {
  const fields = EVENT_FIELDS.filter((f: EventField) => shape === 'stored' || f.setBy === 'emitter');
  const properties: Record<string, JsonSchema> = {};
  for (const field of fields as readonly EventField[]) {
    const value = valueSchema(field);
    properties[field.name] = { ...(field.nullable ? nullable(value) : value), description: field.description };
  }
  const required = (fields as readonly EventField[])
    .filter((f) => shape === 'stored' || (!f.nullable && !DEFAULTED_AT_INGEST.has(f.kind)))
    .map((f) => f.name);
  return {
    type: 'object',
    description: shape === 'input' ? 'An audit event as an emitter sends it (schema version 1).' : 'An audit event as stored (schema version 1).',
    required,
    additionalProperties: false,
    properties,
  };
}

// Compile-time checks that AuditEventInput (the type the client library accepts and ingest validates) is the
// table's emitter fields: each fails to compile when a field is set by the emitter in one and not the other,
// or when the type requires a field that the input schema does not (organizationId and actionType).
type Assert<T extends true> = T;
type EmitterField = Extract<(typeof EVENT_FIELDS)[number], { setBy: 'emitter' }>['name'];
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
export type EventInputChecked = [
  Assert<[Exclude<keyof AuditEventInput, EmitterField>] extends [never] ? true : false>,
  Assert<[Exclude<EmitterField, keyof AuditEventInput>] extends [never] ? true : false>,
  Assert<[RequiredKeys<AuditEventInput>] extends ['organizationId' | 'actionType'] ? (['organizationId' | 'actionType'] extends [RequiredKeys<AuditEventInput>] ? true : false) : false>,
];
