import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readBatchCaps, type BatchCaps } from '@audit/messaging';
import { readConfig, type EnvReader } from '@audit/platform';
import { generateNoteKey, isValidKeyName, NoteError, parseSignerKey, signerKeyOf, type NoteSigner } from '@audit/transparency';

/** The sealer's signing key: the signer, and its verifier key string (`name+keyid+base64`) that verifies its checkpoints. */
export interface SealKey {
  signer: NoteSigner;
  verifierKey: string;
}

export interface SealerConfig {
  /** The shortest time between two checkpoints of one organization (SEAL_INTERVAL). */
  sealIntervalMs: number;
  /** Each organization's log origin is `<originPrefix>/<organizationId>` (SEAL_LOG_ORIGIN). */
  originPrefix: string;
  key: SealKey;
  /** SEALER_BATCH_SIZE, SEALER_BATCH_BYTES, SEALER_FLUSH_INTERVAL. */
  batch: BatchCaps;
  /**
   * SEAL_RECEIVED_MARGIN: how long after its `receivedAt` an event may still reach AUDIT_EVENTS (a request's
   * look-ups and publish timeout, a batched read record) plus the clock skew between hosts; the checkpoints'
   * `received-through` time stays this far behind what the sealer has seen (see received-through-bound.ts).
   */
  receivedMarginMs: number;
  /**
   * SEALER_ACK_WAIT: the `sealer` consumer's ack wait (CONSUMER_ACK_WAIT is every other consumer's). Longer
   * than theirs: the sealer's batches are five times the writer's, so when it is behind it holds tens of
   * thousands of messages, and at a 5 s ack wait it kept each alive with a `working()` every 1.7 s, which cost
   * nats-server and the sealer more than the sealing itself (bench:seal-cpu). The price: the messages a crashed
   * sealer held come back this much later (sealed late, never lost nor sealed twice).
   */
  ackWaitMs: number;
}

export const SEALER_CONFIG = Symbol('SEALER_CONFIG');

/**
 * SEAL_PRIVATE_KEY (a signer key `PRIVATE+KEY+<name>+<keyid>+<base64>`), else the one in SEAL_KEY_FILE
 * (default `.data/seal-key`), generated there on first start (mode 0600) under the name SEAL_KEY_NAME.
 */
export const readSealerConfig = (source: Record<string, string | undefined> = process.env): SealerConfig =>
  readConfig((env) => {
    const originPrefix = env.string('SEAL_LOG_ORIGIN', 'audit-trail/log');
    if (/\s/u.test(originPrefix)) env.problem(`SEAL_LOG_ORIGIN must be one word with no white space (got "${originPrefix}")`);
    return {
      sealIntervalMs: env.duration('SEAL_INTERVAL', '5s'),
      originPrefix,
      key: readSealKey(env),
      // Larger batches than the writer's: the log's Postgres work is mostly per statement and commit (one
      // transaction per organization and batch), about a fifth to a quarter less of it per event at 5000 than at 1000.
      // A longer flush interval than the writer's too: a sealer that keeps up cuts a batch per interval, and at
      // 50 ms that was a few hundred events over every organization's log; at 500 ms its Postgres backends spent
      // about a third less CPU per event (12 against 19 µs at 2000 events/s), for half a second of the
      // accept-to-sealed budget (10 s).
      batch: readBatchCaps(env, 'SEALER', { maxBatchMessages: 5000, maxBatchBytes: 8 * 1024 * 1024, flushIntervalMs: 500 }),
      receivedMarginMs: readReceivedMargin(env),
      ackWaitMs: env.timer('SEALER_ACK_WAIT', '30s', { min: 1_000 }),
    };
  }, source);

/** Kept apart (and last) so the other settings' parsing is untouched by it. */
function readReceivedMargin(env: EnvReader): number {
  const margin = env.duration('SEAL_RECEIVED_MARGIN', '1m');
  // No margin would vouch for an event whose publish is still under way: never safe.
  if (margin <= 0) env.problem(`SEAL_RECEIVED_MARGIN must be longer than 0 (got ${margin} ms)`);
  return margin;
}

/** A placeholder that signs nothing, returned with a recorded problem so every bad variable is named at once. */
const NO_KEY: SealKey = {
  signer: { name: 'invalid', keyId: 0, sign: () => Buffer.alloc(0) },
  verifierKey: '',
};

function readSealKey(env: EnvReader): SealKey {
  const name = env.string('SEAL_KEY_NAME', 'audit-trail');
  if (!isValidKeyName(name)) {
    env.problem(`SEAL_KEY_NAME must be a signed-note key name: no white space and no '+' (got "${name}")`);
    return NO_KEY;
  }
  const inline = env.optional('SEAL_PRIVATE_KEY');
  if (inline !== undefined) return parseKey(env, 'SEAL_PRIVATE_KEY', inline);
  const file = env.string('SEAL_KEY_FILE', '.data/seal-key');
  try {
    return parseKey(env, `SEAL_KEY_FILE (${file})`, localKey(file, name));
  } catch (error) {
    env.problem(`SEAL_KEY_FILE (${file}) cannot be read or created: ${(error as Error).message}`);
    return NO_KEY;
  }
}

function parseKey(env: EnvReader, variable: string, text: string): SealKey {
  try {
    const signer = parseSignerKey(text);
    // The seed is the field after PRIVATE+KEY+<name>+<keyid>+ (base64 may itself hold '+'), past its algorithm byte.
    const fieldStart = text.split('+', 4).join('+').length + 1;
    const seed = Buffer.from(text.slice(fieldStart), 'base64').subarray(1);
    return { signer, verifierKey: signerKeyOf(signer.name, seed).verifierKey };
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    env.problem(`${variable} is not a signer key PRIVATE+KEY+<name>+<keyid>+<base64 Ed25519 seed>: ${error.message}`);
    return NO_KEY;
  }
}

/** The key kept in `file`, created there on first use so restarts (and `npm start`) keep signing with it. */
function localKey(file: string, name: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const { signerKey } = generateNoteKey(name);
  try {
    writeFileSync(file, `${signerKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process of this deployment created it first: use that one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8').trim();
  }
  return signerKey;
}
