import { randomBytes } from 'node:crypto';

// Canonical 8-4-4-4-12 hex form only: no braces, no URN prefix, no missing
// dashes. Any version/variant is accepted because emitters choose their own
// idempotency keys (v4 is common).
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True when `s` is a UUID in canonical textual form (8-4-4-4-12 hex digits,
 * either case, any version). Accepts `unknown` so it can guard untrusted input.
 */
export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID_PATTERN.test(s);
}

const MAX_UNIX_MS = 2 ** 48 - 1;
// rand_a is 12 bits. Seeding the counter below 2^11 leaves at least 2048
// increments before rollover within one millisecond.
const COUNTER_MAX = 0xfff;
const COUNTER_SEED_MASK = 0x7ff;
// Clock steps back smaller than this keep counting on the last timestamp so ids
// stay ordered; larger jumps (a caller passing an unrelated historical `now`)
// restart from the given time, so the id really encodes the time asked for.
const MAX_REGRESSION_MS = 10_000;

// Each id draws 10 random bytes: 2 to seed the counter, 8 for rand_b.
// Refill in chunks (one randomBytes call per 256 ids instead of per id), as
// ingest mints an id for every event that arrives without one.
const BYTES_PER_ID = 10;
const POOL_BYTES = BYTES_PER_ID * 256;
let pool = randomBytes(POOL_BYTES);
let poolOffset = 0;

/** Reserves the next id's random bytes: `pool[offset]` to `pool[offset + 9]` (an offset, not a Buffer view, to spare an allocation per id). */
function nextRandomOffset(): number {
  if (poolOffset + BYTES_PER_ID > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += BYTES_PER_ID;
  return offset;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let lastMs = -Infinity;
let counter = 0;

/**
 * Generates an RFC 9562 UUIDv7: a 48-bit Unix-millisecond timestamp, version
 * 7, a 12-bit counter in `rand_a` and 62 random bits in `rand_b` (variant 10).
 *
 * Ids minted in the same process are strictly increasing (RFC 9562 §6.2
 * method 1): within one millisecond the counter increments, and when it would
 * overflow the timestamp is advanced by 1 ms rather than breaking the order.
 * This makes ids sort in ingest order, which keeps B-tree inserts local.
 *
 * @param now timestamp to encode; defaults to the current time.
 * @throws RangeError if `now` is invalid or outside 0..2^48-1 ms since the epoch.
 */
export function uuidv7(now: Date = new Date()): string {
  let ms = now.getTime();
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_UNIX_MS) {
    throw new RangeError(`uuidv7: timestamp must be a valid Date between 1970 and year 10889 (got ${String(ms)})`);
  }
  const r = nextRandomOffset();
  const rand = pool;
  if (ms > lastMs || lastMs - ms > MAX_REGRESSION_MS) {
    counter = ((rand[r] << 8) | rand[r + 1]) & COUNTER_SEED_MASK;
  } else {
    ms = lastMs;
    counter += 1;
    if (counter > COUNTER_MAX) {
      ms += 1;
      counter = ((rand[r] << 8) | rand[r + 1]) & COUNTER_SEED_MASK;
    }
  }
  lastMs = ms;

  // Timestamp: 48 bits big-endian. Split because bitwise ops are 32-bit in JS.
  const high = Math.floor(ms / 2 ** 16); // top 32 bits
  const low = ms % 2 ** 16; // bottom 16 bits
  // Written out byte by byte (no array of bytes, no map): ingest mints one for most events.
  return (
    HEX[(high >>> 24) & 0xff] + HEX[(high >>> 16) & 0xff] + HEX[(high >>> 8) & 0xff] + HEX[high & 0xff] + '-' +
    HEX[(low >>> 8) & 0xff] + HEX[low & 0xff] + '-' +
    HEX[0x70 | (counter >>> 8)] + HEX[counter & 0xff] + '-' + // version 7 + the 12-bit counter
    HEX[0x80 | (rand[r + 2] & 0x3f)] + HEX[rand[r + 3]] + '-' + // variant 10 + 6 random bits, then 8 more
    HEX[rand[r + 4]] + HEX[rand[r + 5]] + HEX[rand[r + 6]] + HEX[rand[r + 7]] + HEX[rand[r + 8]] + HEX[rand[r + 9]]
  );
}
