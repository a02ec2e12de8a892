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
const DELIVERIES = 6;
const STREAM_SEQ = 7;
const DELIVERY_SEQ = 8;
const NANOS = 9;

/**
 * The dots after the prefix of the subject scanned last, and their count: a consumer reads two or three
 * numbers of the same message in a row (its sequences as it arrives), so each subject is scanned once for
 * them. Module state: JavaScript runs one reader at a time, and nothing here is kept past the call.
 */
const dots = new Int32Array(10);
let scanned: string | undefined;
let dotCount = -1;

/** Finds the dots of `reply` after the prefix: 6 in the 9-token layout, 8 or 9 in the others, else -1. */
function scan(reply: string): number {
  if (reply === scanned) return dotCount;
  scanned = reply;
  dotCount = -1;
  if (!reply.startsWith(PREFIX)) return -1;
  let n = 0;
  for (let at = reply.indexOf('.', PREFIX.length); at !== -1; at = reply.indexOf('.', at + 1)) {
    if (n === dots.length) return -1;
    dots[n++] = at;
  }
  if (n === 6 || n === 8 || n === 9) dotCount = n;
  return dotCount;
}

/**
 * The decimal integer of token `index` (of the 11-token layout; a 9-token subject is read as one without
 * domain and hash, as nats.js reads it) without its last `drop` digits, or undefined when `reply` is not an
 * ack subject of either layout or the token is not a safe integer.
 */
function integerOf(reply: string, index: number, drop: number): number | undefined {
  const count = scan(reply);
  if (count === -1) return undefined;
  const token = count === 6 ? index - 2 : index;
  // Token k (k >= 3) starts after the (k - 2)th dot after the prefix and ends at the next dot, or the end.
  const start = dots[token - 3] + 1;
  const end = token - 2 < count ? dots[token - 2] : reply.length;
  if (end - start <= drop) return undefined;
  let n = 0;
  for (let i = start; i < end - drop; i++) {
    const digit = reply.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

function read(message: JsMsg, index: number, drop: number): number | undefined {
  // nats.js's message class has the reply subject (its `info` is parsed from it), its JsMsg type does not
  // declare it: without it, nats.js reads the numbers itself.
  const reply = (message as { reply?: unknown }).reply;
  return typeof reply === 'string' ? integerOf(reply, index, drop) : undefined;
}

/** `message.info.deliveryCount`, how many times the message was delivered (more than 1: `message.redelivered`). */
export const deliveryCountOf = (message: JsMsg): number => read(message, DELIVERIES, 0) ?? message.info.deliveryCount;

/** `message.seq`, the stream sequence. */
export const streamSequenceOf = (message: JsMsg): number => read(message, STREAM_SEQ, 0) ?? message.seq;

/** `message.info.deliverySequence`, the consumer's delivery sequence. */
export const deliverySequenceOf = (message: JsMsg): number => read(message, DELIVERY_SEQ, 0) ?? message.info.deliverySequence;

/**
 * When the stream stored the message, in whole epoch milliseconds: the nanoseconds without their last six
 * digits (exact, where nats.js's `Number` of the nanoseconds may round up by a millisecond).
 */
export const storedAtMsOf = (message: JsMsg): number => read(message, NANOS, 6) ?? Math.floor(Number(message.info.timestampNanos) / 1e6);
