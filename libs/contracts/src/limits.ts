/**
 * Size and shape limits of the event contract (schema version 1).
 *
 * They exist to keep one event small enough for a NATS message and a Postgres
 * row, and to keep `organizationId` usable as a NATS subject token (no dots,
 * wildcards or spaces). Frozen so that no consumer can loosen them at runtime.
 */
export const LIMITS = Object.freeze({
  /** Max UTF-8 bytes of `JSON.stringify(metadata)` (32 KiB). */
  maxMetadataBytes: 32768,
  /**
   * Max nesting of objects and arrays in metadata, counting metadata itself as level 1. Far below what any
   * consumer's recursion (JSON.stringify gives up near 5,000) or jsonb can take, far above real payloads.
   */
  maxMetadataDepth: 64,
  /** Max length (UTF-16 code units, i.e. `string.length`) of pageName, queryName, resourceName. */
  maxNameLength: 1024,
  /**
   * Earliest `createdAt`: 1970-01-01T00:00:00Z (epoch ms 0). ClickHouse's `DateTime` and the analytics day buckets
   * cannot place earlier instants, and Postgres refuses year 0, so an earlier event is refused, not stored wrong.
   */
  minCreatedAtMs: 0,
  /** How far `createdAt` may be ahead of ingest's clock (5 minutes), to tolerate emitter clock skew. */
  maxFutureSkewMs: 300000,
  /** organizationId: 1..64 of letters, digits, `_`, `-` (safe as a NATS subject token). */
  organizationIdPattern: /^[A-Za-z0-9_-]{1,64}$/,
  /** Max length of userId. */
  maxUserIdLength: 256,
  /** Max length of user.email (RFC 5321 practical maximum: 64 + 1 + 255). */
  maxEmailLength: 320,
  /** Max length of user.userName. */
  maxUserNameLength: 256,
  /** The column is a Postgres `integer`: an event the store cannot hold is refused at ingest, not dead-lettered later. */
  maxResponseTimeMs: 2_147_483_647,
} as const);

/** Max number of events accepted in one batch by {@link validateBatch}. */
export const MAX_BATCH_EVENTS = 1000;
