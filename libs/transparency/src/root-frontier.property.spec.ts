import fc from 'fast-check';
import { CompactRange } from './compact-range';
import { ProofError } from './errors';
import { leafHash, leafHashLatin1, rootOf } from './hash';
import { RootFrontier } from './root-frontier';

const leavesArb = (min: number, max: number) => fc.array(fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)), { minLength: min, maxLength: max });

describe('RootFrontier (the latin1 root verify log rebuilds)', () => {
  it('gives the root of every prefix that rootOf gives, continuing from any stored frontier', () => {
    fc.assert(
      fc.property(leavesArb(0, 60), leavesArb(0, 70), (before, after) => {
        const stored = CompactRange.empty().append(before.map(leafHash)).range;
        const frontier = RootFrontier.fromNodes(before.length, stored.nodes());
        expect(frontier.root().equals(rootOf(before.map(leafHash)))).toBe(true);
        after.forEach((leaf, i) => {
          frontier.append(leafHashLatin1(leaf));
          expect(frontier.size).toBe(before.length + i + 1);
          expect(frontier.root().equals(rootOf([...before, ...after.slice(0, i + 1)].map(leafHash)))).toBe(true);
        });
      }),
    );
  });

  it('refuses subtree hashes that are not the frontier of a tree of that size', () => {
    fc.assert(
      fc.property(leavesArb(1, 40), fc.integer({ min: 1, max: 3 }), (leaves, delta) => {
        const nodes = CompactRange.empty().append(leaves.map(leafHash)).range.nodes();
        const size = leaves.length + delta;
        // The frontier's subtrees (their levels and indices) determine the size: another size has another frontier.
        expect(() => RootFrontier.fromNodes(size, nodes)).toThrow(ProofError);
      }),
    );
  });
});
