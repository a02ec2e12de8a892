import type { AuditEvent, BatchFieldError, BatchValidationResult, ValidateOptions } from './event';
import { MAX_BATCH_EVENTS } from './limits';
import { isUuid } from './uuid';
import { validateEvent } from './validate';

/** Index used in {@link BatchFieldError} for errors about the batch as a whole (e.g. empty). */
const WHOLE_BATCH = -1;

/** The id an item claims, normalised like validateEvent does, or undefined. */
function claimedId(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null || !Object.hasOwn(item, 'id')) return undefined;
  const id: unknown = (item as { id?: unknown }).id;
  return isUuid(id) ? id.toLowerCase() : undefined;
}

/**
 * Validates one event object or an array of 1..{@link MAX_BATCH_EVENTS}
 * events with {@link validateEvent}, all against the same `opts` (so one
 * request shares one `receivedAt`).
 *
 * The batch is all-or-nothing: any error rejects every event, so an emitter
 * can retry the whole request without working out which items landed.
 *
 * Errors carry the item's `index` and, for array input, a path prefixed with
 * `[i]` (`[3].ipAddress`; a non-object item is reported as `[3]`). A single
 * object gets index 0 and unprefixed paths. Errors about the batch itself
 * (empty, too large) have path `$` and index -1. A repeated explicit id is an
 * error on each later item (`[i].id`, `duplicates the id of item j`), because
 * the writer would silently drop it as an idempotent replay.
 *
 * @throws TypeError if `opts.now` (or a given `opts.receivedAt`) is not a valid Date.
 */
export function validateBatch(input: unknown, opts: ValidateOptions): BatchValidationResult {
  if (!Array.isArray(input)) {
    const result = validateEvent(input, opts);
    return result.ok
      ? { ok: true, events: [result.event] }
      : { ok: false, errors: result.errors.map((e) => ({ ...e, index: 0 })) };
  }

  if (input.length === 0) {
    return { ok: false, errors: [{ path: '$', reason: 'must contain at least one event', index: WHOLE_BATCH }] };
  }
  if (input.length > MAX_BATCH_EVENTS) {
    // Items are not inspected: the request is refused on size alone, so an
    // oversized payload costs no per-item work.
    return {
      ok: false,
      errors: [
        {
          path: '$',
          reason: `must contain at most ${MAX_BATCH_EVENTS} events (got ${input.length})`,
          index: WHOLE_BATCH,
        },
      ],
    };
  }

  const errors: BatchFieldError[] = [];
  const events: AuditEvent[] = [];
  const firstIndexById = new Map<string, number>();

  input.forEach((item: unknown, index) => {
    const prefix = `[${index}]`;
    const result = validateEvent(item, opts);
    if (result.ok) {
      events.push(result.event);
    } else {
      for (const e of result.errors) {
        errors.push({ path: e.path === '$' ? prefix : `${prefix}.${e.path}`, reason: e.reason, index });
      }
    }
    // Checked for invalid items too, so every problem is reported at once.
    const id = claimedId(item);
    if (id === undefined) return;
    const first = firstIndexById.get(id);
    if (first === undefined) {
      firstIndexById.set(id, index);
    } else {
      errors.push({ path: `${prefix}.id`, reason: `duplicates the id of item ${first}`, index });
    }
  });

  // Keep each item's errors together, in item order.
  errors.sort((a, b) => a.index - b.index);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}
