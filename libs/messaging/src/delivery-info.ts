import type { JsMsg } from '@nats-io/jetstream';

/**
 * The numbers a consumer reads of every delivered message (stream sequence, delivery sequence, the time the
 * stream stored it), read straight from its reply subject.
 *
 * `message.seq` and `message.info` parse the whole subject on first use (nats.js `parseInfo`: a split into a
 * dozen strings, a splice, six parseInts and an object kept with the message): about 1 KB allocated per
 * message, the largest allocation of a stream's consumer after the event's own decoding. These readers scan
 * the subject in place and allocate nothing; a subject they cannot read (not a JetStream ack subject) is
 * left to `message.info`, which throws as before. The spec holds them equal to nats.js for both layouts.
 *
 * Subject layouts (nats.js jsmsg.ts):
 * - `$JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.<delivery seq>.<nanos>.<pending>` (9 tokens)
 * - `$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<deliveries>.<stream seq>.<delivery seq>.<nanos>.<pending>[.<random>]`
 */

const PREFIX = '$JS.ACK.';
/** Token index, in the 11-token layout, of each number read. */
const STREAM_SEQ = 7;
const DELIVERY_SEQ = 8;
const NANOS = 9;

/**
 * Where token `index` (of the 11-token layout) starts in `reply`, a 9-token subject read as one without domain
 * and hash as nats.js reads it; -1 when `reply` is not an ack subject of either layout.
 */
function tokenStart(reply: string, index: number): number {
  if (!reply.startsWith(PREFIX)) return -1;
  let dots = 0;
  for (let i = PREFIX.length; i < reply.length; i++) if (reply.charCodeAt(i) === 46) dots++;
  // After the prefix: 6 dots in the 9-token layout, 8 or 9 in the 11- and 12-token ones.
  const wanted = dots === 6 ? index - 2 : dots === 8 || dots === 9 ? index : -1;
  if (wanted < 2) return -1;
  let at = PREFIX.length;
  for (let token = 2; token < wanted; token++) at = reply.indexOf('.', at) + 1;
  return at;
}

/** The decimal integer written from `at` to the next dot (or the end), without its last `drop` digits; NaN if not digits. */
function integerAt(reply: string, at: number, drop: number): number {
  let end = reply.indexOf('.', at);
  if (end === -1) end = reply.length;
  if (end - at <= drop) return NaN;
  let n = 0;
  for (let i = at; i < end - drop; i++) {
    const digit = reply.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    n = n * 10 + digit;
  }
  return n;
}

function read(message: JsMsg, index: number, drop: number): number | undefined {
  // nats.js's message class has the reply subject (its `info` is parsed from it), its JsMsg type does not
  // declare it: without it, nats.js reads the numbers itself.
  const reply = (message as { reply?: unknown }).reply;
  if (typeof reply !== 'string') return undefined;
  const at = tokenStart(reply, index);
  if (at === -1) return undefined;
  const n = integerAt(reply, at, drop);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `message.seq`, the stream sequence. */
export const streamSequenceOf = (message: JsMsg): number => read(message, STREAM_SEQ, 0) ?? message.seq;

/** `message.info.deliverySequence`, the consumer's delivery sequence. */
export const deliverySequenceOf = (message: JsMsg): number => read(message, DELIVERY_SEQ, 0) ?? message.info.deliverySequence;

/**
 * When the stream stored the message, in whole epoch milliseconds: the nanoseconds without their last six
 * digits (exact, where nats.js's `Number` of the nanoseconds may round up by a millisecond).
 */
export const storedAtMsOf = (message: JsMsg): number => read(message, NANOS, 6) ?? Math.floor(Number(message.info.timestampNanos) / 1e6);
