import { hash as hashText } from 'node:crypto';
import { decodeBase64Strict } from './base64';
import { CheckpointError, openCheckpoint, type Checkpoint } from './checkpoint';
import { leafHash } from './hash';
import { commitmentText, CONTENT_FIELDS, isLeafTime, LEAF_VERSION, LeafError, leafText, parseLeafBytes, verifyEventLeaf, type ContentField, type StoredEventRow } from './leaf';
import type { CheckpointCheck, EventFailure, LogVerificationReport } from './log-verifier';
import { verifyMultiInclusion, type IndexedLeaf } from './multi-proof';
import { NoteError, type NoteVerifier } from './note';

/**
 * A verifiable export (format `bundle`): JSON lines. The first is the header
 * `{"bundle": 1, "organizationId", "checkpoint": <signed note>}`; then one line per event
 * `{"event": {<the JSON lines export's fields>}, "leafIndex", "leaf", "salt", "user"}` (leafIndex null when
 * no checkpoint covered the event yet); the last is `{"proof": [<base64 hashes>]}`, the multi-leaf
 * inclusion proof of every event's leaf in the checkpoint's tree.
 */
export const BUNDLE_VERSION = 1;

const EVENT_KEYS = ['event', 'leaf', 'leafIndex', 'salt', 'user'];
const ROW_FIELDS = ['id', 'organizationId', 'actionType', 'createdAt', 'receivedAt', ...CONTENT_FIELDS.filter((f) => f !== 'user')];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `value` has these keys and no other (without sorting its keys, once per line). */
function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  let n = 0;
  for (const key in value) if (Object.hasOwn(value, key)) n++;
  return n === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

/**
 * Verifies an export bundle line by line with the public keys alone: the checkpoint's signature, each
 * event's leaf recomputed from its row (and the salt and user snapshot beside it), and every leaf's
 * inclusion in the checkpoint's tree. Never throws on what it is fed: every defect is a failure with
 * its reason, naming the event (or the line) when it can.
 */
export class BundleVerifier {
  private readonly counts = { verified: 0, erased: 0, failed: 0, pending: 0, purged: 0 };
  private readonly failures: EventFailure[] = [];
  private readonly check: CheckpointCheck = { source: 'latest', note: '', size: null, ok: true, reasons: [] };
  private checkpoint: Checkpoint | undefined;
  private organizationId: string | undefined;
  private readonly leaves: IndexedLeaf[] = [];
  private proof: Buffer[] | undefined;
  private lines = 0;
  private ended = false;

  constructor(private readonly keys: readonly NoteVerifier[]) {}

  /** The next line of the bundle (without its newline). */
  addLine(text: string): void {
    this.lines++;
    const line = this.lines;
    if (text === '' && line > 1) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.fail(null, null, `line ${line} is not JSON`);
      return;
    }
    if (!isObject(value)) return this.fail(null, null, `line ${line} is not a JSON object`);
    if (line === 1) return this.header(value);
    if (this.ended) return this.fail(null, null, `line ${line} follows the proof line`);
    if ('proof' in value) return this.trailer(value, line);
    this.event(value, line);
  }

  finish(): LogVerificationReport {
    if (this.lines === 0) this.fail(null, null, 'the bundle is empty');
    if (this.proof === undefined && this.lines > 0) this.fail(null, null, 'the bundle has no proof line: it was cut short');
    const covered = this.leaves;
    if (this.checkpoint && this.proof && covered.length > 0) {
      // Newest first as exported: one descending run, which the sort reverses in one pass.
      const sorted = [...covered].sort((a, b) => a.index - b.index);
      const distinct = sorted.every((l, i) => i === 0 || l.index !== sorted[i - 1].index);
      let why: string | undefined;
      if (!distinct) why = 'two events name the same leaf';
      else {
        try {
          verifyMultiInclusion(this.checkpoint.size, sorted, this.proof, this.checkpoint.rootHash);
        } catch (error) {
          why = `the inclusion proof does not lead to the checkpoint's root: ${(error as Error).message}`;
        }
      }
      if (why !== undefined) {
        this.check.ok = false;
        this.check.reasons.push(why);
      }
    }
    // An event counts as proven only when the checkpoint and the proof held.
    const proven = this.check.ok && this.proof !== undefined && (this.checkpoint !== undefined || covered.length === 0);
    if (!proven) {
      this.counts.failed += this.counts.verified + this.counts.erased;
      this.counts.verified = 0;
      this.counts.erased = 0;
    }
    const ok = this.counts.failed === 0 && this.check.ok;
    return { counts: { ...this.counts }, failures: this.failures, checkpoints: [this.check], ok };
  }

  private fail(eventId: string | null, leafIndex: number | null, reason: string): void {
    this.counts.failed++;
    this.failures.push({ eventId, leafIndex, reasons: [reason] });
  }

  private header(value: Record<string, unknown>): void {
    if (value.bundle !== BUNDLE_VERSION || (typeof value.checkpoint !== 'string' && value.checkpoint !== null) || typeof value.organizationId !== 'string') {
      this.check.ok = false;
      this.check.reasons.push(`line 1 is not a version ${BUNDLE_VERSION} bundle header {"bundle", "organizationId", "checkpoint"}`);
      return;
    }
    this.organizationId = value.organizationId;
    // No checkpoint yet when it was exported: every event line must then say it is not sealed yet.
    if (value.checkpoint === null) return;
    this.check.note = value.checkpoint;
    try {
      this.checkpoint = openCheckpoint(value.checkpoint, this.keys).checkpoint;
      this.check.size = this.checkpoint.size;
    } catch (error) {
      this.check.ok = false;
      const why = error instanceof NoteError || error instanceof CheckpointError ? error.message : String(error);
      this.check.reasons.push(`its signature does not verify with the given keys: ${why}`);
    }
  }

  private trailer(value: Record<string, unknown>, line: number): void {
    this.ended = true;
    const hashes = Array.isArray(value.proof) ? value.proof.map((h) => (typeof h === 'string' ? decodeBase64Strict(h) : undefined)) : [undefined];
    if (hashes.some((h) => h === undefined || h.length !== 32)) {
      this.check.ok = false;
      this.check.reasons.push(`line ${line}: the proof is not a list of base64 SHA-256 hashes`);
      this.proof = [];
      return;
    }
    this.proof = hashes as Buffer[];
  }

  private event(value: Record<string, unknown>, line: number): void {
    const event = value.event;
    const eventId = isObject(event) && typeof event.id === 'string' ? event.id : null;
    if (!isObject(event) || !hasExactly(value, EVENT_KEYS)) {
      return this.fail(eventId, null, `line ${line} is not an event line {"event", "leafIndex", "leaf", "salt", "user"}`);
    }
    if (value.leafIndex === null) {
      this.counts.pending++;
      return;
    }
    const leafIndex = value.leafIndex;
    if (typeof leafIndex !== 'number' || !Number.isSafeInteger(leafIndex) || leafIndex < 0 || this.checkpoint === undefined || leafIndex >= this.checkpoint.size) {
      return this.fail(eventId, null, `line ${line}: leafIndex is not a leaf of the checkpoint's tree`);
    }
    const hash = this.sealedAsExported(event, value);
    if (hash !== undefined) {
      this.leaves.push({ index: leafIndex, hash });
      this.counts.verified++;
      return;
    }
    this.judge(event, value, line, eventId, leafIndex);
  }

  /**
   * The fast path, for the event whose row, salt and user give exactly the leaf beside them: the leaf is
   * rebuilt from the row (two canonical texts, two SHA-256) and compared with the exported one as text,
   * without reading the exported leaf back. Returns its leaf hash, or undefined when anything differs or
   * is unusual (erased content, non-canonical times or base64): then {@link judge} reads the leaf and
   * names what differs. Whatever passes here, `judge` would find verified.
   */
  private sealedAsExported(event: Record<string, unknown>, value: Record<string, unknown>): Buffer | undefined {
    const { salt, user, leaf } = value;
    if (typeof salt !== 'string' || typeof leaf !== 'string' || (user !== null && !isObject(user))) return undefined;
    const { id, organizationId, actionType, createdAt, receivedAt } = event;
    if (typeof id !== 'string' || typeof organizationId !== 'string' || typeof actionType !== 'string') return undefined;
    if (this.organizationId !== undefined && organizationId !== this.organizationId) return undefined;
    if (!isLeafTime(createdAt) || !isLeafTime(receivedAt)) return undefined;
    for (const field of ROW_FIELDS) if (event[field] === undefined) return undefined;
    const saltBytes = decodeBase64Strict(salt);
    if (saltBytes === undefined || saltBytes.length !== 32) return undefined;
    let text: string;
    try {
      const commitment = hashText('sha256', commitmentText({ ...(event as Record<ContentField, unknown>), user }, salt), 'base64');
      text = leafText({ v: LEAF_VERSION, id, organizationId, actionType, createdAt, receivedAt, commitment });
    } catch {
      return undefined;
    }
    // The leaf hash's input is 0x00 ‖ leaf bytes: one buffer serves both the comparison and the hash.
    const prefixed = Buffer.from(`\u0000${text}`, 'utf8');
    if (prefixed.toString('base64', 1) !== leaf) return undefined;
    return hashText('sha256', prefixed, 'buffer');
  }

  /** The slow path: reads the exported leaf back and compares it with the row field by field, naming each difference. */
  private judge(event: Record<string, unknown>, value: Record<string, unknown>, line: number, eventId: string | null, leafIndex: number): void {
    const leafBytes = typeof value.leaf === 'string' ? decodeBase64Strict(value.leaf) : undefined;
    if (leafBytes === undefined) return this.fail(eventId, leafIndex, 'its leaf is not base64');
    let sealed;
    try {
      sealed = parseLeafBytes(leafBytes);
    } catch (error) {
      return this.fail(eventId, leafIndex, `its leaf is unreadable: ${error instanceof LeafError ? error.message : String(error)}`);
    }
    if (value.salt !== null && typeof value.salt !== 'string') return this.fail(eventId, leafIndex, 'its salt is not base64 or null');
    if (value.user !== null && !isObject(value.user)) return this.fail(eventId, leafIndex, 'its user snapshot is not an object or null');
    const missing = ROW_FIELDS.filter((f) => !(f in event));
    if (missing.length > 0) return this.fail(eventId, leafIndex, `the event lacks ${missing.join(', ')}`);
    if (this.organizationId !== undefined && event.organizationId !== this.organizationId) {
      return this.fail(eventId, leafIndex, `the event is of organization ${JSON.stringify(event.organizationId)}, not the bundle's`);
    }
    this.leaves.push({ index: leafIndex, hash: leafHash(leafBytes) });
    const row = { ...event, user: value.user, commitment: sealed.commitment, salt: value.salt } as unknown as StoredEventRow;
    const verdict = verifyEventLeaf(row, sealed);
    if (verdict.status === 'tampered') return this.fail(eventId, leafIndex, `its ${verdict.parts.join(', ')} ${verdict.parts.length > 1 ? 'are' : 'is'} not what was sealed`);
    if (verdict.status === 'verified') this.counts.verified++;
    else this.counts.erased++;
  }
}
