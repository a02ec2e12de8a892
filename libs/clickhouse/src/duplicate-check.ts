import { isUuid, LIMITS } from '@audit/contracts';
import type { EventKey } from './encoded-event-row';
import { coveringRanges, type InstantRange } from './key-ranges';
import { fromClickHouseTime, toClickHouseTime } from './time';

/** A key that cannot be written into the duplicate check's text as a literal: the event is not canonical. */
export class UninlinableEventKeyError extends Error {
  constructor(readonly field: 'id' | 'organizationId' | 'createdAt') {
    super(`not a canonical event key: bad ${field}`);
    this.name = 'UninlinableEventKeyError';
  }
}

/**
 * Keys per statement of the duplicate check: the projector's default batch (PROJECTOR_BATCH_SIZE) in one.
 * Each statement costs embedded chDB about 10 ms of CPU whatever its size (five checks of two keys: 54 ms),
 * and each reads the batch's ranges of both tables again. Measured on embedded chDB, batches of 10,000 keys
 * a fifth of them stored, the process's CPU per key: 27.6 µs in five statements of 2,000 keys written as
 * literal lists, 9.5 µs in one statement as below (same answers; machine at load 14-20).
 */
export const DUPLICATE_CHECK_KEYS = 10_000;

/** ClickHouse's default max_query_size (256 KiB). */
const DEFAULT_MAX_QUERY_SIZE = 262_144;
/** Bytes the client may add after a statement (`\nFORMAT JSONEachRow`), with room to spare. */
const FORMAT_CLAUSE_ROOM = 1_024;

/** How many createdAt ranges one check reads at most: the widest gaps between the keys' createdAt split them. */
const CHECK_RANGES = 16;

/** Which table a row of the check's answer comes from. */
export type DuplicateCheckSource = 's' | 'r';

/**
 * The duplicate check of at most {@link DUPLICATE_CHECK_KEYS} keys as one statement with no parameters,
 * answering rows `{ t, o, i }`: `t` is `s` for a key found in `audit_events`, `r` for one found in the id
 * registry `audit_event_ids`.
 *
 * Without parameters on purpose: embedded chDB runs parameterised statements one at a time in the whole
 * process (engine-wide parameter state), so a parameterised check held the turn that the administrators'
 * reads wait for. This one runs beside them. Every value is validated before it is written into the text
 * (UUIDs, organization ids of the event contract's alphabet, times formatted here), so the text is exactly
 * as safe as parameters; a key that does not validate throws {@link UninlinableEventKeyError}.
 *
 * `audit_events` is read over the keys' organizations and at most {@link CHECK_RANGES} createdAt ranges
 * covering them, which its primary key (organizationId, createdAt, id) prunes to a few granules; the registry
 * by its primary key (organizationId, id). The ids are one string literal, split into a set by a subquery:
 * ClickHouse builds the set once per statement (an expression over the string would be evaluated for every
 * row read), and parses one literal instead of an AST node per id (a statement testing one value against a
 * list of 2,000 UUID literals cost about 8 µs of CPU per id; counting the ids split from one string, 2.5).
 *
 * The text grows with the keys (74 bytes an id), past ClickHouse's default max_query_size (256 KiB): run it
 * with {@link duplicateCheckSettings}.
 */
export function duplicateCheckStatement(keys: readonly EventKey[]): string {
  if (keys.length === 0) throw new RangeError('a duplicate check needs at least one key');
  if (keys.length > DUPLICATE_CHECK_KEYS) throw new RangeError(`a duplicate check takes at most ${DUPLICATE_CHECK_KEYS} keys (got ${keys.length})`);
  const orgs = new Set<string>();
  const ids = new Set<string>();
  const instants: number[] = [];
  for (const key of keys) {
    if (!LIMITS.organizationIdPattern.test(key.organizationId)) throw new UninlinableEventKeyError('organizationId');
    if (!isUuid(key.id)) throw new UninlinableEventKeyError('id');
    const at = fromClickHouseTime(key.createdAt);
    if (!Number.isFinite(at)) throw new UninlinableEventKeyError('createdAt');
    orgs.add(key.organizationId);
    ids.add(key.id.toLowerCase());
    instants.push(at);
  }
  const orgList = [...orgs].map((org) => `'${org}'`).join(', ');
  // Validated UUIDs: hexadecimal digits and dashes only, nothing to escape, no comma inside one.
  const idSet = `(SELECT toUUID(arrayJoin(splitByChar(',', '${[...ids].join(',')}'))))`;
  const ranges = coveringRanges(instants, CHECK_RANGES).map(rangeCondition).join(' OR ');
  // The aliases must not be `id` or `organizationId`: they would shadow the columns in the WHERE clauses.
  return (
    `SELECT 's' AS t, toString(organizationId) AS o, toString(id) AS i FROM audit_events ` +
    `WHERE organizationId IN (${orgList}) AND (${ranges}) AND id IN ${idSet} ` +
    `UNION ALL ` +
    `SELECT 'r' AS t, toString(organizationId) AS o, toString(id) AS i FROM audit_event_ids ` +
    `WHERE organizationId IN (${orgList}) AND id IN ${idSet}`
  );
}

/**
 * The settings a duplicate check's `statement` runs with: a max_query_size that admits its text and the
 * FORMAT clause the client appends to it. On a server they travel with the request, ahead of the text;
 * chDB runs them as a SET before it, in the connection's session, where a larger limit than the default
 * refuses nothing.
 */
export function duplicateCheckSettings(statement: string): { max_query_size: string } {
  return { max_query_size: String(Math.max(DEFAULT_MAX_QUERY_SIZE, Buffer.byteLength(statement) + FORMAT_CLAUSE_ROOM)) };
}

/** `createdAt BETWEEN … AND …` of an instant range, both ends DateTime64 literals formatted here. */
function rangeCondition(range: InstantRange): string {
  const at = (ms: number): string => `toDateTime64('${toClickHouseTime(new Date(ms))}', 3, 'UTC')`;
  return `createdAt BETWEEN ${at(range.from)} AND ${at(range.to)}`;
}
