import { HASH_SIZE } from './hash';
import type { LeafColumns } from './multi-proof';

/** What a line said of its event before the proof was checked. */
export type LeafVerdict = 'verified' | 'erased' | 'failed';
const VERDICTS: readonly LeafVerdict[] = ['verified', 'erased', 'failed'];

/** `buffer` with room for `needed` bytes (doubled when short). */
function withRoom(buffer: Buffer, needed: number): Buffer {
  if (needed <= buffer.length) return buffer;
  const grown = Buffer.alloc(Math.max(needed, buffer.length * 2));
  buffer.copy(grown);
  return grown;
}

/**
 * The leaves a bundle names, as columns: their indices, their hashes in one buffer, their events' ids in
 * another and what their lines said (an object and a buffer kept per leaf cost a verifier of a million
 * events more in garbage collection than in hashing). The ids and verdicts are read only to name the events
 * of a range whose leaves do not give its proven hash.
 */
export class CollectedLeaves {
  private readonly indices: number[] = [];
  private hashes: Buffer = Buffer.alloc(HASH_SIZE * 4096);
  private ids: Buffer = Buffer.alloc(36 * 4096);
  /** Per leaf, where its id ends in `ids` times 4, plus its verdict's number (one array push per leaf). */
  private readonly marks: number[] = [];
  private idsLength = 0;

  get count(): number {
    return this.indices.length;
  }

  /**
   * A leaf, its hash as a latin1 string (leafHashLatin1), its event's id (the UTF-8 bytes `id[idStart, idEnd)`)
   * and what its line said.
   */
  add(index: number, hash: string, id: Buffer, idStart: number, idEnd: number, verdict: LeafVerdict): void {
    const n = this.indices.length;
    if ((n + 1) * HASH_SIZE > this.hashes.length) this.hashes = withRoom(this.hashes, (n + 1) * HASH_SIZE);
    this.hashes.write(hash, n * HASH_SIZE, HASH_SIZE, 'latin1');
    this.indices.push(index);
    const idAt = this.idsLength;
    const idEndAt = idAt + idEnd - idStart;
    if (idEndAt > this.ids.length) this.ids = withRoom(this.ids, idEndAt);
    // A loop, not Buffer.copy: an id is a few dozen bytes, below the cost of a call into C++.
    const ids = this.ids;
    for (let from = idStart, to = idAt; from < idEnd; ) ids[to++] = id[from++];
    this.idsLength = idEndAt;
    this.marks.push(idEndAt * 4 + (verdict === 'verified' ? 0 : verdict === 'erased' ? 1 : 2));
  }

  /** The leaves in `ranges` (sorted, disjoint [start, end)), in the order added: index, event id, what its line said, and its range. */
  within<R extends { start: number; end: number }>(ranges: readonly R[]): { index: number; eventId: string; verdict: LeafVerdict; range: R }[] {
    const out: { index: number; eventId: string; verdict: LeafVerdict; range: R }[] = [];
    this.indices.forEach((index, i) => {
      let lo = 0;
      let hi = ranges.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (ranges[m].end <= index) lo = m + 1;
        else hi = m;
      }
      if (lo < ranges.length && ranges[lo].start <= index) {
        const mark = this.marks[i];
        const idStart = i === 0 ? 0 : Math.floor(this.marks[i - 1] / 4);
        out.push({ index, eventId: this.ids.toString('utf8', idStart, Math.floor(mark / 4)), verdict: VERDICTS[mark % 4], range: ranges[lo] });
      }
    });
    return out;
  }

  /** The leaves in increasing index order; undefined when two name the same leaf. */
  sorted(): LeafColumns | undefined {
    const { indices } = this;
    const n = indices.length;
    const hashes = this.hashes.subarray(0, n * HASH_SIZE);
    let ascending = true;
    let min = n === 0 ? 0 : indices[0];
    let max = min;
    for (let i = 1; i < n; i++) {
      const index = indices[i];
      if (index <= indices[i - 1]) ascending = false;
      if (index < min) min = index;
      else if (index > max) max = index;
    }
    if (ascending) return { indices, hashes };
    // An export is dense in its span of the tree (a time range, newest first, its leaves in sealing order, so
    // neither ascending nor descending): each leaf goes straight to its slot, which also finds a leaf named
    // twice, in time linear in the span. A sort by comparison took a quarter of a million-event verification.
    const span = max - min + 1;
    const order = span <= 4 * n + 1024 ? placed(indices, min, span) : comparedOrder(indices);
    if (order === undefined) return undefined;
    const sortedIndices = new Array<number>(n);
    const sortedHashes = Buffer.alloc(n * HASH_SIZE);
    const copy = hashCopier(hashes, sortedHashes);
    for (let k = 0; k < n; k++) {
      const i = order[k];
      sortedIndices[k] = indices[i];
      copy(i, k);
    }
    return { indices: sortedIndices, hashes: sortedHashes };
  }
}

/** The positions of `indices` (all in [min, min + span)) in increasing index order, by slot; undefined when one repeats. */
function placed(indices: readonly number[], min: number, span: number): Int32Array | undefined {
  // Slot s holds 1 + the position of index min + s (0: none), so the table needs no fill.
  const slots = new Int32Array(span);
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i] - min;
    if (slots[s] !== 0) return undefined;
    slots[s] = i + 1;
  }
  const order = new Int32Array(indices.length);
  let k = 0;
  for (let s = 0; s < span; s++) if (slots[s] !== 0) order[k++] = slots[s] - 1;
  return order;
}

/** {@link placed} by a comparison sort, for leaves spread thinly over a large tree. */
function comparedOrder(indices: readonly number[]): number[] | undefined {
  const order = Array.from({ length: indices.length }, (_, i) => i);
  order.sort((a, b) => indices[a] - indices[b]);
  for (let k = 1; k < order.length; k++) if (indices[order[k]] === indices[order[k - 1]]) return undefined;
  return order;
}

/**
 * Copies hash `from` of `source` to position `to` of `target`, in 32-bit words when both buffers allow it (byte
 * by byte, a million hashes took about 130 ms more); never by Buffer.copy, whose call into C++ per hash cost
 * more than the copy.
 */
function hashCopier(source: Buffer, target: Buffer): (from: number, to: number) => void {
  const words = HASH_SIZE / 4;
  if (source.byteOffset % 4 === 0 && target.byteOffset % 4 === 0) {
    const s = new Int32Array(source.buffer, source.byteOffset, source.length / 4);
    const t = new Int32Array(target.buffer, target.byteOffset, target.length / 4);
    return (from, to) => {
      for (let w = 0, a = from * words, b = to * words; w < words; w++) t[b + w] = s[a + w];
    };
  }
  return (from, to) => {
    for (let b = 0, a = from * HASH_SIZE, c = to * HASH_SIZE; b < HASH_SIZE; b++) target[c + b] = source[a + b];
  };
}
