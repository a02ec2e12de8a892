import type { AuditEvent } from './event';
import { LIMITS } from './limits';

/**
 * The one description of the version-1 event: every field of {@link AuditEvent}, in its order, with where
 * each store keeps it. The validator's field sets and limits, the Postgres and ClickHouse column lists and
 * the CSV header are derived from it; a test compares it with the migrated tables and the export, and the
 * compile-time checks below compare it with the TypeScript type, so a new field cannot be forgotten in one
 * of them.
 */
export interface EventField {
  readonly name: keyof AuditEvent;
  /** What the value is; the validator has one check per kind. */
  readonly kind: 'schemaVersion' | 'uuid' | 'organizationId' | 'actionType' | 'text' | 'user' | 'ip' | 'integer' | 'json' | 'instant';
  /** Whether the canonical event may hold `null` here. */
  readonly nullable: boolean;
  /** Who sets it: the emitter (validated at ingest) or ingest alone (an emitter may not send it). */
  readonly setBy: 'emitter' | 'ingest';
  /** Max length in UTF-16 code units, for `text` fields. */
  readonly maxLength?: number;
  /** Whether an empty string is a value (`text` fields); if not, the emitter must send `null`. */
  readonly allowEmpty?: boolean;
  /** Its column of `audit_trail_events`, or `null` when that table does not hold it (see `description`). */
  readonly postgres: string | null;
  /** Its columns of ClickHouse's `audit_events` (a snapshot is flattened into several). */
  readonly clickhouse: readonly string[];
  /** Its column header in an export's CSV, or `null` when the export does not carry it. */
  readonly csv: string | null;
  readonly description: string;
}

export const EVENT_FIELDS = [
  {
    name: 'schemaVersion',
    kind: 'schemaVersion',
    nullable: false,
    setBy: 'ingest',
    postgres: null,
    clickhouse: [],
    csv: null,
    description: 'Always 1; implied by the tables of this version, so no store keeps a column of it.',
  },
  {
    name: 'id',
    kind: 'uuid',
    nullable: false,
    setBy: 'emitter',
    postgres: 'id',
    clickhouse: ['id'],
    csv: 'id',
    description: "The emitter's idempotency key (any UUID, lower-cased), else a UUIDv7 assigned at ingest.",
  },
  {
    name: 'organizationId',
    kind: 'organizationId',
    nullable: false,
    setBy: 'emitter',
    postgres: 'organizationId',
    clickhouse: ['organizationId'],
    csv: 'organizationId',
    description: 'The tenant; 1 to 64 of letters, digits, "_" and "-", as it is a NATS subject token.',
  },
  {
    name: 'actionType',
    kind: 'actionType',
    nullable: false,
    setBy: 'emitter',
    postgres: 'actionType',
    clickhouse: ['actionType'],
    csv: 'actionType',
    description: 'One of the action types of the reference, exactly spelled.',
  },
  {
    name: 'userId',
    kind: 'text',
    nullable: true,
    setBy: 'emitter',
    maxLength: LIMITS.maxUserIdLength,
    allowEmpty: false,
    postgres: 'userId',
    clickhouse: ['userId'],
    csv: 'userId',
    description: 'The actor; joins users.id within the organization.',
  },
  {
    name: 'user',
    kind: 'user',
    nullable: true,
    setBy: 'emitter',
    // Postgres keeps the snapshot in `users` (upserted by the writer), joined on userId.
    postgres: null,
    clickhouse: ['userEmail', 'userName'],
    csv: null,
    description: "Snapshot of the actor ({email, userName}); Postgres keeps it in users, ClickHouse in the event's row.",
  },
  {
    name: 'ipAddress',
    kind: 'ip',
    nullable: true,
    setBy: 'emitter',
    postgres: 'ipAddress',
    clickhouse: ['ipAddress'],
    csv: 'ipAddress',
    description: 'The IPv4 or IPv6 address the action came from, as the emitter observed it.',
  },
  {
    name: 'responseTimeMs',
    kind: 'integer',
    nullable: true,
    setBy: 'emitter',
    postgres: 'responseTimeMs',
    clickhouse: ['responseTimeMs'],
    csv: 'responseTimeMs',
    description: 'Whole milliseconds the action took, 0 to a Postgres integer.',
  },
  {
    name: 'pageName',
    kind: 'text',
    nullable: true,
    setBy: 'emitter',
    maxLength: LIMITS.maxNameLength,
    allowEmpty: true,
    postgres: 'pageName',
    clickhouse: ['pageName'],
    csv: 'pageName',
    description: 'The page the action happened on.',
  },
  {
    name: 'queryName',
    kind: 'text',
    nullable: true,
    setBy: 'emitter',
    maxLength: LIMITS.maxNameLength,
    allowEmpty: true,
    postgres: 'queryName',
    clickhouse: ['queryName'],
    csv: 'queryName',
    description: 'The query that ran.',
  },
  {
    name: 'resourceName',
    kind: 'text',
    nullable: true,
    setBy: 'emitter',
    maxLength: LIMITS.maxNameLength,
    allowEmpty: true,
    postgres: 'resourceName',
    clickhouse: ['resourceName'],
    csv: 'resourceName',
    description: 'The resource (data source) the action used.',
  },
  {
    name: 'metadata',
    kind: 'json',
    nullable: false,
    setBy: 'emitter',
    postgres: 'metadata',
    clickhouse: ['metadata'],
    csv: 'metadata',
    description: 'A JSON object of at most 32 KiB serialised; query runs carry query, parameters and headers.',
  },
  {
    name: 'createdAt',
    kind: 'instant',
    nullable: false,
    setBy: 'emitter',
    postgres: 'createdAt',
    clickhouse: ['createdAt'],
    csv: 'createdAt',
    description: 'When the action happened (default: ingest time); at most 5 minutes in the future.',
  },
  {
    name: 'receivedAt',
    kind: 'instant',
    nullable: false,
    setBy: 'ingest',
    postgres: 'receivedAt',
    clickhouse: ['receivedAt'],
    csv: 'receivedAt',
    description: 'When ingest accepted the event.',
  },
] as const satisfies readonly EventField[];

type Fields = (typeof EVENT_FIELDS)[number];
type FieldName = Fields['name'];

// Compile-time checks against the TypeScript type: each fails to compile (`false` does not satisfy
// `true`) when a field of AuditEvent is missing from the table, or the table's nullability is wrong.
type Assert<T extends true> = T;
type MissingFields = Exclude<keyof AuditEvent, FieldName>;
type NullabilityMismatch = {
  [F in Fields as F['name']]: F['nullable'] extends (null extends AuditEvent[F['name']] ? true : false) ? never : F['name'];
}[FieldName];
export type EventFieldsChecked = [
  Assert<[MissingFields] extends [never] ? true : false>,
  Assert<[NullabilityMismatch] extends [never] ? true : false>,
];

/** A column of `audit_trail_events` that holds an event field. */
export type PostgresEventColumn = NonNullable<Fields['postgres']>;
/** A column of ClickHouse's `audit_events`, for compile-time checks of row types against the table. */
export type ClickHouseEventColumn = Fields['clickhouse'][number];

/** The event's fields in order; its names are exactly `keyof AuditEvent`. */
export const EVENT_FIELD_NAMES: readonly FieldName[] = EVENT_FIELDS.map((f) => f.name);

/** A column list, never empty (clients that take a column list, such as ClickHouse's insert, require it). */
export type ColumnList = readonly [string, ...string[]];

function columnList(columns: string[]): ColumnList {
  const [first, ...rest] = columns;
  if (first === undefined) throw new Error('the event field table maps no field to this store');
  return [first, ...rest];
}

/** The columns of `audit_trail_events` holding an event, in table order. */
export const POSTGRES_EVENT_COLUMNS: ColumnList = columnList(EVENT_FIELDS.flatMap((f) => (f.postgres === null ? [] : [f.postgres])));

/** The columns of ClickHouse's `audit_events` holding an event, in table order. */
export const CLICKHOUSE_EVENT_COLUMNS: ColumnList = columnList(EVENT_FIELDS.flatMap((f) => f.clickhouse));

/** The header of an export's CSV, in column order. */
export const CSV_EVENT_COLUMNS: ColumnList = columnList(EVENT_FIELDS.flatMap((f) => (f.csv === null ? [] : [f.csv])));
