import {
  MAX_BATCH_EVENTS,
  isUuid,
  uuidv7,
  validateBatch,
  type AuditEventInput,
  type BatchFieldError,
} from '@audit/contracts';
import { AuditClientError, describeError } from './errors';
import type { AuditEventWithId, AuditTransport } from './transport';

/** Options of {@link AuditClient}. */
export type AuditClientOptions = {
  /**
   * Validate every event locally with the contract's `validateBatch` before
   * sending (default `true`), so a bad event fails fast in the caller with
   * `VALIDATION_FAILED` instead of at ingest. Turn off only if events are
   * already known to be valid; the server validates again either way.
   */
  validate?: boolean;
};

/** Fields owned by ingest: never sent, even if a caller (untyped JS) sets them. */
const INGEST_OWNED_FIELDS: ReadonlySet<string> = new Set(['receivedAt', 'schemaVersion']);

type Prepared = { ok: true; event: AuditEventWithId } | { ok: false; input: unknown };

/**
 * The typed client emitting services use to record audit events.
 *
 * Before sending, every event gets an idempotency key `id` (UUIDv7) unless it
 * has one, and a `createdAt` (now, the time of the action, not of the bus)
 * unless it has one. Both are also written onto the object you passed, so
 * retrying the same call with the same objects after an `UNAVAILABLE` error
 * reuses the ids and cannot create duplicates. Consequently: build a fresh
 * object per event; re-emitting one object would be dropped as a replay.
 *
 * ```ts
 * const audit = new AuditClient(await NatsTransport.connect({ servers: 'nats://nats:4222' }));
 * const { id } = await audit.emit({ organizationId: 'acme', actionType: 'LOGIN', userId: 'u1' });
 * ```
 */
export class AuditClient {
  private readonly validate: boolean;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing?: Promise<void>;

  /**
   * @param transport where events go: a `NatsTransport`, an `HttpTransport` or your own.
   *   The client owns it: {@link AuditClient.close} closes it.
   */
  constructor(
    private readonly transport: AuditTransport,
    opts: AuditClientOptions = {},
  ) {
    this.validate = opts.validate ?? true;
  }

  /**
   * Sends one event and resolves once it is durably accepted (JetStream ack or HTTP 202).
   *
   * @returns the event's id (assigned if absent; lower-cased).
   * @throws AuditClientError `VALIDATION_FAILED` (details: `{ path, reason, index }[]`, unprefixed
   *   paths such as `ipAddress`), or the transport's error (`UNAVAILABLE`: retry the same object).
   */
  async emit(event: AuditEventInput): Promise<{ id: string }> {
    const prepared = this.prepareAll([event], false);
    await this.track(this.sendChunks(prepared));
    return { id: prepared[0].id };
  }

  /**
   * Sends many events and resolves once all are accepted. Batches over
   * `MAX_BATCH_EVENTS` (1000) are sent in consecutive chunks. Validation is
   * all-or-nothing and happens before anything is sent. If a later chunk fails,
   * earlier ones may have landed: retry the whole call with the same objects
   * (the ids are reused, so nothing is duplicated). An empty array sends nothing.
   *
   * @returns the ids, in input order.
   * @throws AuditClientError `VALIDATION_FAILED` (paths such as `[3].ipAddress`), or the transport's error.
   */
  async emitBatch(events: AuditEventInput[]): Promise<{ ids: string[] }> {
    if (!Array.isArray(events)) {
      throw new AuditClientError('VALIDATION_FAILED', 'emitBatch expects an array of events', {
        details: [{ path: '$', reason: 'must be an array', index: -1 }],
      });
    }
    if (events.length === 0) return { ids: [] };
    const prepared = this.prepareAll(events, true);
    await this.track(this.sendChunks(prepared));
    return { ids: prepared.map((e) => e.id) };
  }

  /**
   * Waits for in-flight sends, then closes the transport. Idempotent; later
   * `emit` calls fail with `UNAVAILABLE`.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.transport.close();
    })();
    return this.closing;
  }

  private async track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    try {
      await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  private async sendChunks(events: AuditEventWithId[]): Promise<void> {
    for (let start = 0; start < events.length; start += MAX_BATCH_EVENTS) {
      const chunk = events.slice(start, start + MAX_BATCH_EVENTS);
      try {
        await this.transport.send(chunk);
      } catch (err) {
        if (err instanceof AuditClientError) throw err;
        throw new AuditClientError('UNAVAILABLE', `the audit transport failed: ${describeError(err)}`, { cause: err });
      }
    }
  }

  /** Assigns ids/createdAt, validates, and returns the events to send (throws on invalid input). */
  private prepareAll(events: readonly AuditEventInput[], isBatch: boolean): AuditEventWithId[] {
    if (this.closing) throw new AuditClientError('UNAVAILABLE', 'the audit client is closed');
    const now = new Date();
    const nowIso = now.toISOString();
    const prepared = events.map((e) => prepare(e, nowIso));

    const errors: BatchFieldError[] = this.validate
      ? validateAll(prepared.map((p) => (p.ok ? p.event : p.input)), now, isBatch)
      : prepared.flatMap((p, index) =>
          p.ok ? [] : [{ path: isBatch ? `[${index}]` : '$', reason: 'must be an object', index }],
        );
    if (errors.length > 0) {
      const shown = errors.slice(0, 5).map((e) => `${e.path} ${e.reason}`).join('; ');
      const more = errors.length > 5 ? ` (and ${errors.length - 5} more)` : '';
      throw new AuditClientError('VALIDATION_FAILED', `invalid audit event: ${shown}${more}`, { details: errors });
    }
    return prepared.map((p) => (p as { event: AuditEventWithId }).event);
  }
}

/** Copies the event without ingest-owned fields, with id and createdAt set (written back to the input if absent). */
function prepare(input: AuditEventInput, nowIso: string): Prepared {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, input };
  const source = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (!INGEST_OWNED_FIELDS.has(key)) out[key] = source[key];
  }

  const givenId = source['id'];
  if (givenId === undefined || givenId === null) {
    out['id'] = uuidv7();
    writeBack(source, 'id', out['id']);
  } else if (isUuid(givenId)) {
    out['id'] = givenId.toLowerCase(); // ingest stores ids lower-cased; the msg id must match
  }

  const givenCreatedAt = source['createdAt'];
  if (givenCreatedAt === undefined || givenCreatedAt === null) {
    out['createdAt'] = nowIso;
    writeBack(source, 'createdAt', nowIso);
  } else if (givenCreatedAt instanceof Date && !Number.isNaN(givenCreatedAt.getTime())) {
    out['createdAt'] = givenCreatedAt.toISOString();
  }
  return { ok: true, event: out as AuditEventWithId };
}

/** Best effort: frozen or sealed inputs are left alone (the returned ids are still correct). */
function writeBack(target: Record<string, unknown>, key: string, value: unknown): void {
  try {
    target[key] = value;
  } catch {
    // read-only input; nothing to do
  }
}

/**
 * Runs `validateBatch` per chunk of MAX_BATCH_EVENTS (its limit) and renumbers
 * the errors to the caller's indices; also reports ids repeated across chunks.
 */
function validateAll(items: unknown[], now: Date, isBatch: boolean): BatchFieldError[] {
  if (!isBatch) {
    const result = validateBatch(items[0], { now });
    return result.ok ? [] : result.errors;
  }
  const errors: BatchFieldError[] = [];
  for (let start = 0; start < items.length; start += MAX_BATCH_EVENTS) {
    const result = validateBatch(items.slice(start, start + MAX_BATCH_EVENTS), { now });
    if (result.ok) continue;
    for (const e of result.errors) {
      const index = e.index + start;
      const path = e.path.replace(/^\[(\d+)\]/, (_, i: string) => `[${Number(i) + start}]`);
      const reason = start > 0 ? e.reason.replace(/^duplicates the id of item (\d+)$/, (_, j: string) => `duplicates the id of item ${Number(j) + start}`) : e.reason;
      errors.push({ path, reason, index });
    }
  }
  if (items.length > MAX_BATCH_EVENTS) errors.push(...crossChunkDuplicates(items));
  return errors.sort((a, b) => a.index - b.index);
}

/** Ids repeated in different chunks (validateBatch only sees one chunk; repeats inside a chunk are its job). */
function crossChunkDuplicates(items: unknown[]): BatchFieldError[] {
  const firstById = new Map<string, number>();
  const errors: BatchFieldError[] = [];
  let seenInChunk = new Set<string>();
  items.forEach((item, index) => {
    if (index % MAX_BATCH_EVENTS === 0) seenInChunk = new Set();
    const id = (item as { id?: unknown } | null)?.id;
    if (!isUuid(id)) return;
    const key = id.toLowerCase();
    const first = firstById.get(key);
    if (first === undefined) firstById.set(key, index);
    else if (!seenInChunk.has(key) && Math.floor(first / MAX_BATCH_EVENTS) !== Math.floor(index / MAX_BATCH_EVENTS)) {
      errors.push({ path: `[${index}].id`, reason: `duplicates the id of item ${first}`, index });
    }
    seenInChunk.add(key);
  });
  return errors;
}
