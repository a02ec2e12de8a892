import { hash } from 'node:crypto';
import { decodeBase64Strict } from './base64';
import { BUNDLE_RANGE_LEAVES, bundleHeaderLine, proofLine, READABLE_BUNDLE_VERSIONS, sealedEventLine } from './bundle-format';
import { readV1EventLine } from './bundle-v1';
import { canonicalJson } from './canonical-json';
import { CheckpointError, openCheckpoint, type Checkpoint } from './checkpoint';
import { CollectedLeaves, type LeafVerdict } from './collected-leaves';
import { HASH_SIZE, leafHashLatin1 } from './hash';
import { commitmentText, CONTENT_FIELDS, isEmptyContent, LEAF_VERSION, LeafError, parseLeafBytes, type ContentField, type LeafV1 } from './leaf';
import { FailureList } from './failure-list';
import { LineSplitter } from './line-splitter';
import { isLogOriginOf } from './log-origin';
import type { CheckpointCheck, LogVerificationReport } from './log-verifier';
import { rangedMultiInclusion, verifyMultiInclusion, type LeafRange } from './multi-proof';
import { NoteError, type NoteVerifier } from './note';
import { receivedThroughOf, unsealedClaimFault } from './received-through';

/**
 * The longest line read, 256 MiB: room for a proof line of 5.7 million hashes, far above any event line
 * (metadata is at most 32 KiB). A longer line fails unread instead of filling the memory.
 */
export const MAX_BUNDLE_LINE_BYTES = 256 * 2 ** 20;

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const INDEX_MARK = latin1('{"leafIndex":');
const LEAF_MARK = latin1(',"leaf":');
const OPENING_MARK = latin1('},"opening":');
// The leaf's JCS frame: its members in JCS order, each string's closing quote with the next member's name.
const ACTION_TYPE_MARK = latin1('{"actionType":"');
const COMMITMENT_MARK = latin1('","commitment":"');
const CREATED_AT_MARK = latin1('","createdAt":"');
const ID_MARK = latin1('","id":"');
const V_MARK = latin1('","v":1}');
/** Characters of a leaf time (`toISOString`, years 0000–9999). */
const TIME_CHARS = 24;
const NULL = latin1('null');
const PROOF_MARK = latin1('{"proof":[');
const RANGES_MARK = latin1('],"ranges":[');
/** Characters of a base64 SHA-256 (the commitment, a proof hash). */
const HASH_BASE64 = 44;
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

const HEADER_KEYS = ['bundle', 'organizationId', 'checkpoint'];
const SEALED_KEYS = ['leafIndex', 'leaf', 'opening'];
const PENDING_KEYS = ['leafIndex', 'event'];
const OPENING_KEYS = ['content', 'salt', 'v'];
const NOT_AS_EXPORTED = 'is not byte for byte the text of its values as exported (white space, escapes, key order or repeated keys differ)';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `value` has these keys and no other (without sorting its keys, once per line). */
function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  let n = 0;
  for (const key in value) if (Object.hasOwn(value, key)) n++;
  return n === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

/** Whether `mark` stands at `at` in `bytes`, before `end`. */
function startsAt(bytes: Buffer, at: number, mark: Buffer, end: number): boolean {
  if (at + mark.length > end) return false;
  for (let i = 0; i < mark.length; i++) if (bytes[at + i] !== mark[i]) return false;
  return true;
}

/** Whether the ASCII `text` is the bytes at `at`. */
function equalsAt(bytes: Buffer, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * The list of `"<base64 of 32 bytes>"` items, comma-separated, after the `[` at `open` in `line`, as
 * JSON.stringify writes it: its hashes and where its `]` is; undefined when anything differs.
 */
function hashListAt(line: Buffer, open: number): { hashes: Buffer[]; end: number } | undefined {
  const hashes: Buffer[] = [];
  let at = open + 1;
  if (line[at] === CLOSE_BRACKET) return { hashes, end: at + 1 };
  for (;;) {
    if (at + HASH_BASE64 + 2 >= line.length || line[at] !== QUOTE || line[at + HASH_BASE64 + 1] !== QUOTE) return undefined;
    const bytes = decodeBase64Strict(line.toString('latin1', at + 1, at + 1 + HASH_BASE64));
    if (bytes === undefined || bytes.length !== HASH_SIZE) return undefined;
    hashes.push(bytes);
    at += HASH_BASE64 + 2;
    if (line[at] === CLOSE_BRACKET) return { hashes, end: at + 1 };
    if (line[at] !== COMMA) return undefined;
    at++;
  }
}

/** A JSON value read as a list of base64 SHA-256 hashes, or undefined. */
function hashList(value: unknown): Buffer[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const hashes = value.map((h) => (typeof h === 'string' ? decodeBase64Strict(h) : undefined));
  return hashes.every((h) => h !== undefined && h.length === HASH_SIZE) ? (hashes as Buffer[]) : undefined;
}

/** Whether `line` is exactly `written` (one of bundle-format's lines) without its newline. */
const isAsWritten = (line: Buffer, written: string): boolean => line.equals(Buffer.from(written.slice(0, -1), 'utf8'));

/** A leaf as a line's `leaf` member reads back: the leaf and its JCS text, or why it is not one. */
function readLeaf(value: unknown): { leaf: LeafV1; text: string } | string {
  if (!isObject(value)) return 'its leaf is not a JSON object';
  const text = canonicalJson(value);
  try {
    return { leaf: parseLeafBytes(Buffer.from(text, 'utf8')), text };
  } catch (error) {
    return `its leaf is unreadable: ${error instanceof LeafError ? error.message : String(error)}`;
  }
}

/** What a line's `opening` says against its leaf: erased, or verified with its text; else why it fails. */
function readOpening(opening: unknown, leaf: LeafV1): { status: 'verified' | 'erased'; text: string | null } | string {
  if (opening === null) return { status: 'erased', text: null };
  if (!isObject(opening) || !hasExactly(opening, OPENING_KEYS) || opening.v !== LEAF_VERSION || !isObject(opening.content) || !hasExactly(opening.content, CONTENT_FIELDS)) {
    return `its opening is not {"content": {${CONTENT_FIELDS.join(', ')}}, "salt", "v": ${LEAF_VERSION}}`;
  }
  const content = opening.content as Record<ContentField, unknown>;
  if (opening.salt === null) {
    return isEmptyContent(content) ? 'its opening has no salt (an erased event\'s opening is null)' : 'its content is there without the salt it was sealed with';
  }
  const salt = typeof opening.salt === 'string' ? decodeBase64Strict(opening.salt) : undefined;
  if (salt === undefined || salt.length !== 32) return 'its salt is not the base64 of 32 bytes';
  const text = commitmentText(content, opening.salt as string);
  if (hash('sha256', text, 'base64') !== leaf.commitment) return 'its content is not what was sealed';
  return { status: 'verified', text };
}

/**
 * Verifies an export bundle (bundle-format.ts) as its bytes come, with the public keys alone: the
 * checkpoint's signature, each event's opening against the commitment in its leaf, and every leaf's
 * inclusion in the checkpoint's tree. Never throws on what it is fed: every defect is a failure with its
 * reason, naming the event (or the line) when it can.
 *
 * A sealed line is checked by hashing two slices of its bytes (the leaf and the opening) in the line's
 * fixed frame, without parsing JSON: collision resistance makes bytes that hash to the proven leaf and to
 * its commitment the sealer's own bytes, so a line that passes is byte for byte the line exported. Any
 * line that does not pass is read as JSON to say why, and passes there only if re-writing its values
 * gives its exact bytes back, so no second reading of a line (repeated keys, escapes, another parser)
 * can show anything but what was sealed.
 */
export class BundleVerifier {
  private readonly counts = { verified: 0, erased: 0, failed: 0, pending: 0, purged: 0 };
  private readonly failures = new FailureList();
  private readonly check: CheckpointCheck = { source: 'latest', note: '', size: null, ok: true, reasons: [], receivedThrough: null };
  private checkpoint: Checkpoint | undefined;
  /** The checkpoint's signed `received-through` time (received-through.ts): no line received by then may say it is not yet sealed. */
  private receivedThrough: string | null = null;
  private organizationId: string | undefined;
  /** `","organizationId":<the bundle's>,"receivedAt":"`, as it stands in each of its leaves. */
  private organizationMark: Buffer | undefined;
  private readonly leaves = new CollectedLeaves();
  private proof: Buffer[] | undefined;
  /** The proof line's range hashes (version 3): the events of a range whose leaves differ fail alone. */
  private ranges: Buffer[] | undefined;
  /** The header's version, once read. */
  private version: number | undefined;
  private lines = 0;
  private ended = false;
  private readonly splitter: LineSplitter;
  /** Where the id of the leaf {@link leafFrame} last read ends (its closing quote). */
  private frameIdEnd = 0;
  private readonly fastPath: boolean;

  /**
   * @param options.fastPath false reads every line as JSON (the slow path alone): the tests hold both
   *   paths to the same verdict.
   * @param options.maxLineBytes the longest line read (default {@link MAX_BUNDLE_LINE_BYTES}).
   */
  constructor(
    private readonly keys: readonly NoteVerifier[],
    options: { fastPath?: boolean; maxLineBytes?: number } = {},
  ) {
    this.fastPath = options.fastPath ?? true;
    const maxLineBytes = options.maxLineBytes ?? MAX_BUNDLE_LINE_BYTES;
    this.splitter = new LineSplitter(
      maxLineBytes,
      (bytes, start, end) => this.line(bytes, start, end),
      () => this.fail(null, null, `line ${++this.lines} is longer than ${maxLineBytes} bytes: not read`),
    );
  }

  /** The next bytes of the bundle, cut anywhere. */
  write(chunk: Buffer): void {
    this.splitter.write(chunk);
  }

  finish(): LogVerificationReport {
    const last = this.splitter.end();
    if (last !== undefined) {
      this.line(last, 0, last.length);
      this.fail(null, null, `line ${this.lines} does not end with a newline: the bundle was cut short`);
    }
    if (this.lines === 0) this.fail(null, null, 'the bundle is empty');
    else if (this.proof === undefined) this.fail(null, null, 'the bundle has no proof line: it was cut short');
    const covered = this.leaves.count;
    let why: string | undefined;
    if (this.checkpoint && this.proof && covered > 0) {
      const sorted = this.leaves.sorted();
      if (sorted === undefined) why = 'two events name the same leaf';
      else {
        try {
          if (this.ranges === undefined) verifyMultiInclusion(this.checkpoint.size, sorted, this.proof, this.checkpoint.rootHash);
          else this.failRanges(rangedMultiInclusion(this.checkpoint.size, sorted, this.proof, { rangeLeaves: BUNDLE_RANGE_LEAVES, hashes: this.ranges }, this.checkpoint.rootHash));
        } catch (error) {
          why = `the inclusion proof does not lead to the checkpoint's root: ${(error as Error).message}`;
        }
      }
    } else if (this.checkpoint && this.proof && this.proof.length + (this.ranges?.length ?? 0) > 0 && covered === 0) {
      why = `the proof holds ${this.proof.length + (this.ranges?.length ?? 0)} hashes but no event line is sealed`;
    }
    if (why !== undefined) {
      this.check.ok = false;
      this.check.reasons.push(why);
    }
    // An event counts as proven only when the checkpoint and the proof held.
    const proven = this.check.ok && this.proof !== undefined && (this.checkpoint !== undefined || covered === 0);
    if (!proven) {
      this.counts.failed += this.counts.verified + this.counts.erased;
      this.counts.verified = 0;
      this.counts.erased = 0;
    }
    const ok = this.counts.failed === 0 && this.check.ok;
    return { counts: { ...this.counts }, failures: this.failures.named, unnamedFailures: this.failures.unnamed, checkpoints: [this.check], ok };
  }

  /**
   * The events of the ranges whose leaves do not give their proven hash fail, each named; the others stay
   * proven. Within a range the altered leaf cannot be told from its neighbours (nothing else commits to
   * the leaf's identity and times), so every event the range holds is named with the range.
   */
  private failRanges(differing: readonly LeafRange[]): void {
    for (const { index, eventId, verdict, range } of this.leaves.within(differing)) {
      // An event already failed for its own line keeps that reason alone.
      if (verdict === 'failed') continue;
      this.counts[verdict]--;
      this.fail(
        eventId,
        index,
        `the leaves of range [${range.start}, ${range.end}) do not give the range's proven hash: a leaf there (its identity or times) or the proof was altered`,
      );
    }
  }

  /** One line: `bytes[start, end)`, without its newline. */
  private line(bytes: Buffer, start: number, end: number): void {
    const n = ++this.lines;
    // A view of the line alone, so that no search runs past its end into the rest of the chunk.
    const line = bytes.subarray(start, end);
    if (n === 1) return this.header(line);
    if (this.ended) return this.fail(null, null, `line ${n} follows the proof line`);
    if (line.length === 0) return this.fail(null, null, `line ${n} is empty`);
    // Version 1 lines are read as JSON only: its leaf is base64, and its bundles are few and kept for audits.
    if (this.fastPath && this.version !== 1 && (this.sealedAsExported(line) || this.proofAsExported(line))) return;
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      return this.fail(null, null, `line ${n} is not JSON`);
    }
    if (!isObject(value)) return this.fail(null, null, `line ${n} is not a JSON object`);
    if (Object.hasOwn(value, 'proof')) return this.trailer(value, line, n);
    if (this.version === 1) return this.eventV1(value, n);
    this.event(value, line, n);
  }

  private fail(eventId: string | null, leafIndex: number | null, reason: string): void {
    this.counts.failed++;
    this.failures.add({ eventId, leafIndex, reasons: [reason] });
  }

  private refuseProof(reason: string): void {
    this.check.ok = false;
    this.check.reasons.push(reason);
  }

  private header(line: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      value = undefined;
    }
    if (
      !isObject(value) ||
      !hasExactly(value, HEADER_KEYS) ||
      typeof value.bundle !== 'number' ||
      !READABLE_BUNDLE_VERSIONS.includes(value.bundle) ||
      typeof value.organizationId !== 'string' ||
      (typeof value.checkpoint !== 'string' && value.checkpoint !== null)
    ) {
      const version = isObject(value) ? value.bundle : undefined;
      this.refuseProof(
        typeof version === 'number' && !READABLE_BUNDLE_VERSIONS.includes(version)
          ? `line 1 is a version ${version} bundle header: this verifier reads versions ${READABLE_BUNDLE_VERSIONS.join(', ')} (a newer verifier reads it)`
          : `line 1 is not a bundle header {"bundle": ${READABLE_BUNDLE_VERSIONS.join(' | ')}, "organizationId", "checkpoint"}`,
      );
      return;
    }
    if (!isAsWritten(line, bundleHeaderLine(value.organizationId, value.checkpoint, value.bundle))) this.refuseProof(`line 1 ${NOT_AS_EXPORTED}`);
    this.version = value.bundle;
    this.organizationId = value.organizationId;
    this.organizationMark = Buffer.from(`","organizationId":${JSON.stringify(value.organizationId)},"receivedAt":"`, 'utf8');
    // No checkpoint yet when it was exported: every event line must then say it is not sealed yet.
    if (value.checkpoint === null) return;
    this.check.note = value.checkpoint;
    try {
      this.checkpoint = openCheckpoint(value.checkpoint, this.keys).checkpoint;
      this.check.size = this.checkpoint.size;
    } catch (error) {
      const why = error instanceof NoteError || error instanceof CheckpointError ? error.message : String(error);
      this.refuseProof(`its signature does not verify with the given keys: ${why}`);
      return;
    }
    // Every organization's checkpoints are signed with the same key: another's would vouch for its own log.
    if (!isLogOriginOf(this.checkpoint.origin, value.organizationId)) {
      this.refuseProof(`it is the checkpoint of the log ${JSON.stringify(this.checkpoint.origin)}, not of organization ${JSON.stringify(value.organizationId)}'s (…/${value.organizationId})`);
      return;
    }
    try {
      this.receivedThrough = this.check.receivedThrough = receivedThroughOf(this.checkpoint);
    } catch (error) {
      this.refuseProof(`it is signed, but ${(error as Error).message}`);
    }
  }

  /**
   * The fast path, for a sealed line exactly as exported: `{"leafIndex":<n>,"leaf":<L>,"opening":<O>}` with
   * n a leaf of the checkpoint's tree, L in the leaf's JCS frame (no escape in its strings) with the
   * bundle's organization, and O null (erased) or the text whose SHA-256 is L's commitment. Counts it and
   * keeps L's leaf hash for the proof; false (nothing counted) for anything else, which the slow path reads.
   *
   * The slices are found by their marks without reading L or O as JSON: L runs to the first `},"opening":`
   * (JSON text never holds `,"` inside a string, so in a real leaf it cannot stand earlier). Nothing here
   * counts before the proof in {@link finish} shows each L to be the sealer's leaf at n, which makes the
   * commitment read from it the sealed one and O the sealed opening: the line, made of n, L and O alone, is
   * the exported one. The frame check is not needed for that; it sends a leaf re-encoded with its values
   * kept (escapes, white space, key order) to the slow path, which names its event, where the proof alone
   * would only fail the whole bundle.
   */
  private sealedAsExported(line: Buffer): boolean {
    const checkpoint = this.checkpoint;
    const end = line.length;
    if (checkpoint === undefined || !startsAt(line, 0, INDEX_MARK, end)) return false;
    const digits = INDEX_MARK.length;
    let at = digits;
    let index = 0;
    for (; at < end && at - digits < 16; at++) {
      const digit = line[at] - 0x30;
      if (digit < 0 || digit > 9) break;
      index = index * 10 + digit;
    }
    // Decimal as JSON.stringify writes it: at least one digit, no leading zero.
    if (at === digits || (line[digits] === 0x30 && at - digits > 1) || index >= checkpoint.size || !startsAt(line, at, LEAF_MARK, end)) return false;
    const leafStart = at + LEAF_MARK.length;
    const mark = line.indexOf(OPENING_MARK, leafStart);
    if (mark === -1 || mark + OPENING_MARK.length >= end || line[end - 1] !== CLOSE_BRACE) return false;
    const leafEnd = mark + 1;
    const commitment = this.leafFrame(line, leafStart, leafEnd);
    if (commitment === -1) return false;
    const openingStart = mark + OPENING_MARK.length;
    const openingEnd = end - 1;
    const erased = openingEnd - openingStart === NULL.length && startsAt(line, openingStart, NULL, openingEnd);
    if (!erased && !equalsAt(line, commitment, hash('sha256', line.subarray(openingStart, openingEnd), 'base64'))) return false;
    const idStart = commitment + HASH_BASE64 + CREATED_AT_MARK.length + TIME_CHARS + ID_MARK.length;
    const verdict = erased ? 'erased' : 'verified';
    this.leaves.add(index, leafHashLatin1(line.subarray(leafStart, leafEnd)), line, idStart, this.frameIdEnd, verdict);
    this.counts[verdict]++;
    return true;
  }

  /**
   * Where the commitment starts when `line[start, end)` has the leaf's JCS frame with the bundle's
   * organization and no backslash (so no escape): -1 otherwise. (A raw control character is not JSON: the
   * slow path could not name its event either.)
   */
  private leafFrame(line: Buffer, start: number, end: number): number {
    const organization = this.organizationMark;
    const backslash = line.indexOf(0x5c, start);
    if (organization === undefined || (backslash !== -1 && backslash < end) || !startsAt(line, start, ACTION_TYPE_MARK, end)) return -1;
    const actionTypeEnd = line.indexOf(QUOTE, start + ACTION_TYPE_MARK.length);
    if (actionTypeEnd === -1 || !startsAt(line, actionTypeEnd, COMMITMENT_MARK, end)) return -1;
    const commitment = actionTypeEnd + COMMITMENT_MARK.length;
    const createdAt = commitment + HASH_BASE64 + CREATED_AT_MARK.length;
    if (!startsAt(line, commitment + HASH_BASE64, CREATED_AT_MARK, end) || !startsAt(line, createdAt + TIME_CHARS, ID_MARK, end)) return -1;
    const idEnd = line.indexOf(QUOTE, createdAt + TIME_CHARS + ID_MARK.length);
    if (idEnd === -1 || !startsAt(line, idEnd, organization, end)) return -1;
    this.frameIdEnd = idEnd;
    const receivedAt = idEnd + organization.length;
    return receivedAt + TIME_CHARS + V_MARK.length === end && startsAt(line, receivedAt + TIME_CHARS, V_MARK, end) ? commitment : -1;
  }

  /**
   * The fast path of the last line, exactly as exported: `{"proof":[<hashes>]}`, and `,"ranges":[<hashes>]`
   * before its `}` from version 3 on, each hash `"<base64 of 32 bytes>"`.
   */
  private proofAsExported(line: Buffer): boolean {
    const end = line.length;
    if (!startsAt(line, 0, PROOF_MARK, end)) return false;
    const proof = hashListAt(line, PROOF_MARK.length - 1);
    if (proof === undefined) return false;
    let ranges: { hashes: Buffer[]; end: number } | undefined;
    let at = proof.end;
    if (this.version === 3) {
      // The ranges' list opens where the proof's closes: `],"ranges":[`.
      if (!startsAt(line, at - 1, RANGES_MARK, end)) return false;
      ranges = hashListAt(line, at - 1 + RANGES_MARK.length - 1);
      if (ranges === undefined) return false;
      at = ranges.end;
    }
    if (at + 1 !== end || line[at] !== CLOSE_BRACE) return false;
    this.ended = true;
    this.proof = proof.hashes;
    this.ranges = ranges?.hashes;
    return true;
  }

  /** The last line read as JSON: the proof, or why it is not one. */
  private trailer(value: Record<string, unknown>, line: Buffer, n: number): void {
    this.ended = true;
    // Without a readable header (already refused), the line's own shape says which it is, to add no second refusal.
    const ranged = this.version === undefined ? Object.hasOwn(value, 'ranges') : this.version === 3;
    const proof = hasExactly(value, ranged ? ['proof', 'ranges'] : ['proof']) ? hashList(value.proof) : undefined;
    const ranges = ranged ? hashList(value.ranges) : undefined;
    if (proof === undefined || (ranged && ranges === undefined)) {
      this.refuseProof(`line ${n}: the proof is not ${ranged ? '{"proof", "ranges"}, each' : '{"proof"},'} a list of base64 SHA-256 hashes`);
      this.proof = [];
      return;
    }
    this.proof = proof;
    this.ranges = ranges;
    if (!isAsWritten(line, proofLine(proof, ranges ?? null))) this.refuseProof(`line ${n} (the proof) ${NOT_AS_EXPORTED}`);
  }

  /** A version 1 event line (bundle-v1.ts): its leaf goes to the proof whenever it could be read. */
  private eventV1(value: Record<string, unknown>, n: number): void {
    const verdict = readV1EventLine(value, n, this.organizationId, this.checkpoint?.size);
    if (verdict.status === 'pending') return this.unsealed(value.event, n);
    if (verdict.leafHash !== undefined && verdict.leafIndex !== null) this.collect(verdict.leafIndex, verdict.leafHash, verdict.eventId, verdict.status);
    if (verdict.status === 'failed') this.fail(verdict.eventId, verdict.leafIndex, verdict.reason);
    else this.counts[verdict.status]++;
  }

  /**
   * A line that says its event is not yet sealed: nothing vouches for it, so it is counted apart (pending),
   * unless the checkpoint's signed time shows it must be sealed; then it fails, named.
   */
  private unsealed(event: unknown, n: number): void {
    const why = unsealedClaimFault(event, this.receivedThrough);
    if (why === undefined) {
      this.counts.pending++;
      return;
    }
    const id = isObject(event) && typeof event.id === 'string' ? event.id : null;
    this.fail(id, null, `line ${n}: ${why}`);
  }

  /** A leaf read by the slow path, with its event's id (when it has one) and what its line said. */
  private collect(index: number, hash: string, eventId: string | null, verdict: LeafVerdict): void {
    const id = Buffer.from(eventId ?? '', 'utf8');
    this.leaves.add(index, hash, id, 0, id.length, verdict);
  }

  /** The slow path of an event line: read as JSON, every check named; verified only if its values give its exact bytes back. */
  private event(value: Record<string, unknown>, line: Buffer, n: number): void {
    if (value.leafIndex === null && hasExactly(value, PENDING_KEYS) && isObject(value.event)) return this.unsealed(value.event, n);
    const sealed = readLeaf(value.leaf);
    const named = typeof sealed === 'string' ? (isObject(value.leaf) ? value.leaf.id : isObject(value.event) ? value.event.id : null) : sealed.leaf.id;
    const eventId = typeof named === 'string' ? named : null;
    if (!hasExactly(value, SEALED_KEYS)) {
      return this.fail(eventId, null, `line ${n} is not an event line {"leafIndex", "leaf", "opening"} (or {"leafIndex": null, "event"} when not yet sealed)`);
    }
    const leafIndex = value.leafIndex;
    if (typeof leafIndex !== 'number' || !Number.isSafeInteger(leafIndex) || leafIndex < 0 || this.checkpoint === undefined || leafIndex >= this.checkpoint.size) {
      return this.fail(eventId, null, `line ${n}: leafIndex is not a leaf of the checkpoint's tree`);
    }
    if (typeof sealed === 'string') return this.fail(eventId, leafIndex, sealed);
    const why = this.sealedLineFault(value, line, n, sealed, leafIndex);
    // The leaf goes to the proof whatever the rest of the line says: a real leaf keeps the other events proven.
    this.collect(leafIndex, leafHashLatin1(Buffer.from(sealed.text, 'utf8')), eventId, typeof why === 'string' ? 'failed' : why.status);
    if (typeof why === 'string') this.fail(eventId, leafIndex, why);
    else this.counts[why.status]++;
  }

  /** What a sealed line read as JSON says beside its readable leaf: verified or erased, else why it fails. */
  private sealedLineFault(value: Record<string, unknown>, line: Buffer, n: number, sealed: { leaf: LeafV1; text: string }, leafIndex: number): { status: 'verified' | 'erased' } | string {
    if (sealed.leaf.organizationId !== this.organizationId) return `the event is of organization ${JSON.stringify(sealed.leaf.organizationId)}, not the bundle's`;
    const opened = readOpening(value.opening, sealed.leaf);
    if (typeof opened === 'string') return opened;
    if (!isAsWritten(line, sealedEventLine(leafIndex, sealed.text, opened.text))) return `line ${n} ${NOT_AS_EXPORTED}`;
    return opened;
  }
}
