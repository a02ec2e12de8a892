import fc from 'fast-check';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  InMemoryHashStore,
  isStoredLevel,
  leafHash,
  MAX_SPAN_WIDTH,
  retainedAfterPurge,
  spansFor,
  TILE_HEIGHT,
  TiledHashStore,
  type NodeSpan,
  type StoredNodeSource,
  type SubtreeNode,
} from './index';

/** The log both ways: every subtree (the reference) and only the stored levels (what a database keeps). */
function buildBoth(leafCount: number, batch: number, seed: number): { full: InMemoryHashStore; tiled: InMemoryHashStore; range: CompactRange } {
  const full = new InMemoryHashStore();
  const tiled = new InMemoryHashStore();
  let range = CompactRange.empty();
  for (let next = 0; next < leafCount; next += batch) {
    const leaves = Array.from({ length: Math.min(batch, leafCount - next) }, (_, i) => leafHash(Buffer.from(`${seed}:${next + i}`)));
    const appended = range.append(leaves);
    full.put(appended.nodes);
    tiled.put(appended.nodes.filter((n) => isStoredLevel(n.level)));
    range = appended.range;
  }
  return { full, tiled, range };
}

/** Counts the source's reads and the hashes they return, to hold a proof to one read of a few tiles. */
class CountingSource implements StoredNodeSource {
  calls = 0;
  returned = 0;
  constructor(private readonly inner: StoredNodeSource) {}
  async readSpans(spans: readonly NodeSpan[]): Promise<SubtreeNode[]> {
    this.calls++;
    const found = await this.inner.readSpans(spans);
    this.returned += found.length;
    return found;
  }
}

/** A purge as the repository does it: the kept frontier hashes are computed before the leaves go, then the rest is pruned. */
async function purge(store: InMemoryHashStore, purgedBefore: number): Promise<void> {
  const ids = retainedAfterPurge(purgedBefore);
  const hashes = await new TiledHashStore(store).getNodes(ids);
  store.put(ids.map((id, i) => ({ ...id, hash: hashes[i] })));
  store.prune(purgedBefore);
}

const sizeArb = fc.integer({ min: 1, max: 1300 });
const tiers = (size: number): number => Math.floor(Math.log2(Math.max(size - 1, 1)) / TILE_HEIGHT) + 1;

describe('a log storing only every TILE_HEIGHT-th level (tiles)', () => {
  it('answers every inclusion and consistency proof exactly as a store of every subtree, in one read of at most two tiles per stored level', async () => {
    await fc.assert(
      fc.asyncProperty(sizeArb, fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), fc.nat(), async (n, batch, a, b, c) => {
        const { full, tiled } = buildBoth(n, batch, a);
        const size = 1 + (b % n);
        const index = c % size;
        const source = new CountingSource(tiled);
        expect(await inclusionProof(new TiledHashStore(source), index, size)).toEqual(await inclusionProof(full, index, size));
        expect(source.calls).toBeLessThanOrEqual(1);
        // The leaf's tile, and the right edge's when the size is not a multiple of the tile.
        expect(source.returned).toBeLessThanOrEqual(2 * 2 ** TILE_HEIGHT * tiers(size));
        const first = a % (size + 1);
        expect(await consistencyProof(new TiledHashStore(tiled), first, size)).toEqual(await consistencyProof(full, first, size));
      }),
      { numRuns: 60 },
    );
  });

  it('loads the appender back (its frontier) from the stored levels', async () => {
    await fc.assert(
      fc.asyncProperty(sizeArb, fc.integer({ min: 1, max: 300 }), async (n, batch) => {
        const { tiled, range } = buildBoth(n, batch, 1);
        expect((await CompactRange.load(new TiledHashStore(tiled), n)).root()).toEqual(range.root());
      }),
      { numRuns: 40 },
    );
  });

  it('keeps every proof of the remaining leaves, and between sizes from the purge point on, after a retention purge', async () => {
    await fc.assert(
      fc.asyncProperty(sizeArb, fc.nat(), fc.nat(), fc.nat(), fc.nat(), async (n, p, b, c, d) => {
        const purgedBefore = p % (n + 1);
        const { full, tiled } = buildBoth(n, 97, 2);
        await purge(tiled, purgedBefore);
        const source = new CountingSource(tiled);
        const store = new TiledHashStore(source);
        if (purgedBefore < n) {
          const size = purgedBefore + 1 + (b % (n - purgedBefore));
          const index = purgedBefore + (c % (size - purgedBefore));
          expect(await inclusionProof(store, index, size)).toEqual(await inclusionProof(full, index, size));
        }
        const second = purgedBefore + (b % (n - purgedBefore + 1));
        const first = purgedBefore + (d % (second - purgedBefore + 1));
        expect(await consistencyProof(store, first, second)).toEqual(await consistencyProof(full, first, second));
        // The stored levels first; the levels between only for a proof that reaches into the purged prefix.
        expect(source.calls).toBeLessThanOrEqual(4);
      }),
      { numRuns: 60 },
    );
  });

  it('reads a log purged while every level was stored, once the unstored levels past the purge point are dropped, and keeps it growing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 900 }), fc.integer({ min: 0, max: 600 }), fc.nat(), fc.nat(), fc.nat(), async (n, more, p, b, c) => {
        const purgedBefore = p % (n + 1);
        const { full: old, range } = buildBoth(n, 61, 3);
        old.prune(purgedBefore);
        // The migration: unstored levels go, except the subtrees starting inside the purged prefix.
        const migrated = new InMemoryHashStore();
        const kept = await old.readSpans(everyLevel(n));
        migrated.put(kept.filter((node) => isStoredLevel(node.level) || node.index * 2 ** node.level < purgedBefore));
        // Then the sealer appends in the new form, from the frontier it loads back.
        const reference = buildBoth(n + more, 61, 3).full;
        let grown = await CompactRange.load(new TiledHashStore(migrated), n);
        expect(grown.root()).toEqual(range.root());
        const appended = grown.append(Array.from({ length: more }, (_, i) => leafHash(Buffer.from(`3:${n + i}`))));
        migrated.put(appended.nodes.filter((node) => isStoredLevel(node.level)));
        grown = appended.range;
        const store = new TiledHashStore(migrated);
        const total = grown.size;
        if (purgedBefore < total) {
          const size = purgedBefore + 1 + (b % (total - purgedBefore));
          const index = purgedBefore + (c % (size - purgedBefore));
          expect(await inclusionProof(store, index, size)).toEqual(await inclusionProof(reference, index, size));
        }
        const first = purgedBefore + (c % (total - purgedBefore + 1));
        expect(await consistencyProof(store, first, total)).toEqual(await consistencyProof(reference, first, total));
      }),
      { numRuns: 40 },
    );
  });

  it('proves through level 16 of a log of 70,000 leaves', async () => {
    const n = 70_000;
    const { full, tiled } = buildBoth(n, 5_000, 4);
    const source = new CountingSource(tiled);
    for (const [index, size] of [
      [0, n],
      [65_535, n],
      [n - 1, n],
      [12_345, 65_537],
    ]) {
      expect(await inclusionProof(new TiledHashStore(source), index, size)).toEqual(await inclusionProof(full, index, size));
    }
    expect(await consistencyProof(new TiledHashStore(tiled), 65_536, n)).toEqual(await consistencyProof(full, 65_536, n));
    expect(await consistencyProof(new TiledHashStore(tiled), 1_000, n - 1)).toEqual(await consistencyProof(full, 1_000, n - 1));
    expect(source.calls).toBe(4);
    // At most two tiles per stored level for each of the four proofs: never a scan.
    expect(source.returned).toBeLessThanOrEqual(4 * 2 * tiers(n) * 2 ** TILE_HEIGHT);
  });

  it('merges the spans it asks for into disjoint runs per level of at most one tile, covering each subtree down to the stored level', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ level: fc.integer({ min: 0, max: 20 }), index: fc.integer({ min: 0, max: 50 }) }), { minLength: 1, maxLength: 12 }), (ids) => {
        const spans = spansFor(ids);
        expect(spansFor(ids, 'stored').every((s) => isStoredLevel(s.level))).toBe(true);
        spans.forEach((s, i) => {
          expect(s.from).toBeLessThan(s.to);
          expect(s.to - s.from).toBeLessThanOrEqual(MAX_SPAN_WIDTH);
          const prev = spans[i - 1];
          if (prev?.level === s.level) expect(prev.to).toBeLessThanOrEqual(s.from);
        });
        for (const { level, index } of ids) {
          const floor = level - (level % TILE_HEIGHT);
          for (let l = floor; l <= level; l++) {
            const from = index * 2 ** (level - l);
            const to = (index + 1) * 2 ** (level - l);
            expect(spans.some((s) => s.level === l && s.from <= from && to <= s.to)).toBe(true);
          }
        }
      }),
    );
  });
});

/** Spans covering every subtree of a tree of `size` leaves, at every level. */
function everyLevel(size: number): NodeSpan[] {
  const spans: NodeSpan[] = [];
  for (let level = 0; 2 ** level <= size; level++) spans.push({ level, from: 0, to: Math.floor(size / 2 ** level) });
  return spans;
}
