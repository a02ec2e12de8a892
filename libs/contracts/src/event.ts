import type { ActionType } from './action-types';

/**
 * Snapshot of the acting user at the time of the event. The writer upserts the
 * `users` table from it, so the reference's `join users u on a."userId" = u.id`
 * works without the emitter's user store.
 */
export type AuditUserSnapshot = { email: string; userName: string };

/**
 * What an emitter sends. Only `organizationId` and `actionType` are required;
 * everything else is filled in by {@link validateEvent}.
 *
 * `receivedAt` and `schemaVersion` are deliberately absent: ingest owns them.
 */
export type AuditEventInput = {
  /** Idempotency key chosen by the emitter (any UUID version); assigned as UUIDv7 if absent. */
  id?: string;
  organizationId: string;
  actionType: ActionType;
  userId?: string | null;
  user?: AuditUserSnapshot | null;
  ipAddress?: string | null;
  responseTimeMs?: number | null;
  pageName?: string | null;
  queryName?: string | null;
  resourceName?: string | null;
  metadata?: Record<string, unknown>;
  /** When the action happened; defaults to ingest time. */
  createdAt?: string | Date;
};

/**
 * The canonical event (schema version 1) as it travels on the bus and is
 * stored. Every field is present (absent optionals are `null`, metadata `{}`)
 * so that consumers never have to distinguish "missing" from "null".
 */
export type AuditEvent = {
  schemaVersion: 1;
  /** Lower-case canonical UUID. */
  id: string;
  organizationId: string;
  actionType: ActionType;
  userId: string | null;
  user: AuditUserSnapshot | null;
  ipAddress: string | null;
  responseTimeMs: number | null;
  pageName: string | null;
  queryName: string | null;
  resourceName: string | null;
  metadata: Record<string, unknown>;
  /** ISO-8601 UTC with milliseconds, as produced by `Date.prototype.toISOString()`. */
  createdAt: string;
  /** Ingest time, same format as `createdAt`. */
  receivedAt: string;
};

/** One problem with one field: `path` locates it (e.g. `user.email`, `$` for the whole input). */
export type FieldError = { path: string; reason: string };

/** Options of {@link validateEvent} and {@link validateBatch}. */
export type ValidateOptions = {
  /** Ingest's clock: default `createdAt`, the future-skew reference and the UUIDv7 timestamp. */
  now: Date;
  /** Stamped as `receivedAt`; defaults to `now`. */
  receivedAt?: Date;
};

/** Result of {@link validateEvent}. */
export type EventValidationResult = { ok: true; event: AuditEvent } | { ok: false; errors: FieldError[] };

/** A {@link FieldError} located in a batch: `index` is the item, `-1` for the batch as a whole. */
export type BatchFieldError = FieldError & { index: number };

/** Result of {@link validateBatch}. */
export type BatchValidationResult = { ok: true; events: AuditEvent[] } | { ok: false; errors: BatchFieldError[] };
