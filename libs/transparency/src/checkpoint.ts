import { decodeBase64Strict } from './base64';
import { HASH_SIZE } from './hash';
import { openNote, signNote, type NoteSignature, type NoteSigner, type NoteVerifier } from './note';

/** A C2SP tlog-checkpoint: the log's identity, its size and root hash, and optional extension lines. */
export type Checkpoint = {
  /** The log's unique identity (first line), e.g. `audit.example.com/log/acme`. */
  origin: string;
  /** Number of leaves. */
  size: number;
  /** RFC 9162 root hash of those leaves (32 bytes). */
  rootHash: Buffer;
  /** Opaque non-empty lines after the root hash; empty for this platform's own checkpoints. */
  extensions: string[];
};

/** Why a checkpoint body was refused; the message names the line. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** The checkpoint's note text: origin, decimal size, base64 root hash, extension lines, each ending in a newline. */
export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin === '' || /[\n]/.test(c.origin)) throw new CheckpointError('the origin must be one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new CheckpointError(`the tree size ${String(c.size)} is not a non-negative integer`);
  if (c.rootHash.length !== HASH_SIZE) throw new CheckpointError(`the root hash has ${c.rootHash.length} bytes, not ${HASH_SIZE}`);
  c.extensions.forEach((line, i) => {
    if (line === '' || line.includes('\n')) throw new CheckpointError(`extension line ${i + 1} must be one non-empty line`);
  });
  return [c.origin, String(c.size), c.rootHash.toString('base64'), ...c.extensions].map((l) => `${l}\n`).join('');
}

/**
 * Parses a checkpoint's note text strictly: every line ends in a newline, the size is decimal with
 * no sign or leading zero (and at most 2^53 − 1, the largest this platform counts to), the root hash
 * is canonical padded base64 of 32 bytes, and extension lines are not empty.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new CheckpointError('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointError(`a checkpoint has at least 3 lines (origin, size, root hash), this one ${lines.length}`);
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === '') throw new CheckpointError('line 1 (origin) is empty');
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new CheckpointError(`line 2 (tree size) ${JSON.stringify(sizeText)} is not a decimal integer without leading zeros below 2^53`);
  }
  const rootHash = decodeBase64Strict(rootText);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) throw new CheckpointError(`line 3 (root hash) is not the base64 of ${HASH_SIZE} bytes`);
  extensions.forEach((line, i) => {
    if (line === '') throw new CheckpointError(`line ${i + 4} (extension) is empty`);
  });
  return { origin, size: Number(sizeText), rootHash, extensions };
}

/** A checkpoint signed as a C2SP signed note. */
export function signCheckpoint(c: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(c), signers);
}

/**
 * Opens a signed checkpoint: the note's signatures (throws a `NoteError` unless a known key signed
 * it) and then its body (throws a {@link CheckpointError} when it is not a checkpoint).
 */
export function openCheckpoint(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): { checkpoint: Checkpoint; signatures: NoteSignature[] } {
  const opened = openNote(note, verifiers);
  return { checkpoint: parseCheckpoint(opened.text), signatures: opened.signatures };
}
