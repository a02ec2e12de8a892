// Known answers from the RFC 6962/9162 reference vectors of transparency-dev/merkle
// (testonly/constants.go and proof/verify_test.go), the tree library of Certificate Transparency
// (formerly google/certificate-transparency-go/merkle). Only the published values are used here.
import {
  CompactRange,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  InMemoryHashStore,
  leafHash,
  ProofError,
  rootFromInclusionProof,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './index';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);

/** NODE_HASHES[level][index]: every complete subtree of the 8-leaf tree. */
const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

/** ROOTS[n]: the root of the tree of the first n leaves. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hex);

/** The frontier (compact range) after each size, as [level, index] of NODE_HASHES. */
const FRONTIERS: [number, number][][] = [[], [[0, 0]], [[1, 0]], [[1, 0], [0, 2]], [[2, 0]], [[2, 0], [0, 4]], [[2, 0], [1, 2]], [[2, 0], [1, 2], [0, 6]], [[3, 0]]];

/** Inclusion vectors: leaf index (0-based here; the source counts from 1), tree size, proof. */
const INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const CONSISTENCY: { first: number; second: number; proof: string[] }[] = [
  { first: 1, second: 1, proof: [] },
  {
    first: 1,
    second: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    first: 6,
    second: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    first: 2,
    second: 5,
    proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'],
  },
  {
    first: 6,
    second: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const SOME_HASH = hex('abacaba000000000000000000000000000000000000000000060061e00123456');

/** The 8-leaf tree appended leaf by leaf, with every emitted subtree kept. */
function referenceTree(): { store: InMemoryHashStore; ranges: CompactRange[] } {
  const store = new InMemoryHashStore();
  const ranges = [CompactRange.empty()];
  for (const input of LEAF_INPUTS) {
    const { range, nodes } = ranges[ranges.length - 1].append([leafHash(input)]);
    store.put(nodes);
    ranges.push(range);
  }
  return { store, ranges };
}

const flip = (proof: readonly Buffer[], i: number, bit: number): Buffer[] =>
  proof.map((p, j) => (j === i ? Buffer.from(p.map((b, k) => (k === 0 ? b ^ bit : b))) : p));

describe('RFC 9162 Merkle tree against the Certificate Transparency reference vectors', () => {
  it('hashes each leaf as SHA-256(0x00 ‖ bytes)', () => {
    expect(LEAF_INPUTS.map((l) => leafHash(l).toString('hex'))).toEqual(NODE_HASHES[0]);
  });

  it('computes the root of every prefix of the 8 leaves, from the list and from the appender', () => {
    const { ranges } = referenceTree();
    for (let n = 0; n <= 8; n++) {
      expect(rootOf(LEAF_INPUTS.slice(0, n).map(leafHash)).toString('hex')).toBe(ROOTS[n].toString('hex'));
      expect(ranges[n].root().toString('hex')).toBe(ROOTS[n].toString('hex'));
      expect(ranges[n].size).toBe(n);
    }
    expect(EMPTY_ROOT.equals(ROOTS[0])).toBe(true);
  });

  it('emits exactly the published complete subtrees, and keeps the published frontier at each size', () => {
    const emitted = CompactRange.empty().append(LEAF_INPUTS.map(leafHash)).nodes;
    const expected = NODE_HASHES.flatMap((row, level) => row.map((h, index) => ({ level, index, hash: h })));
    const byKey = (a: { level: number; index: number }, b: { level: number; index: number }): number => a.level - b.level || a.index - b.index;
    expect(emitted.map((n) => ({ level: n.level, index: n.index, hash: n.hash.toString('hex') })).sort(byKey)).toEqual(expected);

    const { ranges } = referenceTree();
    ranges.forEach((range, size) => {
      expect(range.nodes().map((n) => [n.level, n.index, n.hash.toString('hex')])).toEqual(
        FRONTIERS[size].map(([level, index]) => [level, index, NODE_HASHES[level][index]]),
      );
    });
  });

  it.each(INCLUSION)('generates and verifies the inclusion proof of leaf $index in $size leaves', async ({ index, size, proof }) => {
    const { store } = referenceTree();
    const generated = await inclusionProof(store, index, size);
    expect(generated.map((h) => h.toString('hex'))).toEqual(proof);
    const leaf = leafHash(LEAF_INPUTS[index]);
    expect(() => verifyInclusion(index, size, leaf, generated, ROOTS[size])).not.toThrow();
    expect(rootFromInclusionProof(index, size, leaf, generated).equals(ROOTS[size])).toBe(true);
  });

  it.each(INCLUSION.filter((v) => v.proof.length > 0))('refuses every corruption of the inclusion proof of leaf $index in $size leaves', ({ index, size, proof }) => {
    const p = proof.map(hex);
    const root = ROOTS[size];
    const leaf = leafHash(LEAF_INPUTS[index]);
    const probes: [string, () => void][] = [
      ['index - 1', () => verifyInclusion(index - 1, size, leaf, p, root)],
      ['index + 1', () => verifyInclusion(index + 1, size, leaf, p, root)],
      ['index ^ 2', () => verifyInclusion(index ^ 2, size, leaf, p, root)],
      ['size * 2', () => verifyInclusion(index, size * 2, leaf, p, root)],
      ['size / 2', () => verifyInclusion(index, Math.floor(size / 2), leaf, p, root)],
      ['wrong leaf', () => verifyInclusion(index, size, leafHash(Buffer.from('WrongLeaf')), p, root)],
      ['empty root', () => verifyInclusion(index, size, leaf, p, EMPTY_ROOT)],
      ['random root', () => verifyInclusion(index, size, leaf, p, SOME_HASH)],
      ['trailing garbage', () => verifyInclusion(index, size, leaf, [...p, Buffer.alloc(0)], root)],
      ['trailing root', () => verifyInclusion(index, size, leaf, [...p, root], root)],
      ['preceding garbage', () => verifyInclusion(index, size, leaf, [Buffer.alloc(0), ...p], root)],
      ['preceding root', () => verifyInclusion(index, size, leaf, [root, ...p], root)],
      ['removed component', () => verifyInclusion(index, size, leaf, p.slice(0, -1), root)],
      ...p.map((_, i): [string, () => void] => [`proof[${i}] bit 3 flipped`, () => verifyInclusion(index, size, leaf, flip(p, i, 8), root)]),
    ];
    if (p.length > 1) probes.push(['inserted component', () => verifyInclusion(index, size, leaf, [p[0], SOME_HASH, ...p.slice(1)], root)]);
    const accepted = probes.filter(([, probe]) => {
      try {
        probe();
        return true;
      } catch (error) {
        expect(error).toBeInstanceOf(ProofError);
        return false;
      }
    });
    expect(accepted.map(([name]) => name)).toEqual([]);
  });

  it.each(CONSISTENCY)('generates and verifies the consistency proof from $first to $second leaves', async ({ first, second, proof }) => {
    const { store } = referenceTree();
    const generated = await consistencyProof(store, first, second);
    expect(generated.map((h) => h.toString('hex'))).toEqual(proof);
    expect(() => verifyConsistency(first, second, ROOTS[first], ROOTS[second], generated)).not.toThrow();
  });

  it.each(CONSISTENCY.filter((v) => v.proof.length > 0))('refuses every corruption of the consistency proof from $first to $second leaves', ({ first, second, proof }) => {
    const p = proof.map(hex);
    const [r1, r2] = [ROOTS[first], ROOTS[second]];
    const probes: [string, () => void][] = [
      ['first - 1', () => verifyConsistency(first - 1, second, r1, r2, p)],
      ['first + 1', () => verifyConsistency(first + 1, second, r1, r2, p)],
      ['first ^ 2', () => verifyConsistency(first ^ 2, second, r1, r2, p)],
      ['second * 2', () => verifyConsistency(first, second * 2, r1, r2, p)],
      ['second / 2', () => verifyConsistency(first, Math.floor(second / 2), r1, r2, p)],
      ['wrong first root', () => verifyConsistency(first, second, SOME_HASH, r2, p)],
      ['wrong second root', () => verifyConsistency(first, second, r1, SOME_HASH, p)],
      ['swapped roots', () => verifyConsistency(first, second, r2, r1, p)],
      ['empty proof', () => verifyConsistency(first, second, r1, r2, [])],
      ['trailing garbage', () => verifyConsistency(first, second, r1, r2, [...p, Buffer.alloc(0)])],
      ['trailing first root', () => verifyConsistency(first, second, r1, r2, [...p, r1])],
      ['trailing second root', () => verifyConsistency(first, second, r1, r2, [...p, r2])],
      ['preceding garbage', () => verifyConsistency(first, second, r1, r2, [Buffer.alloc(0), ...p])],
      ['preceding first root', () => verifyConsistency(first, second, r1, r2, [r1, ...p])],
      ['preceding second root', () => verifyConsistency(first, second, r1, r2, [r2, ...p])],
      ['preceding proof[0]', () => verifyConsistency(first, second, r1, r2, [p[0], ...p])],
      ['truncated proof', () => verifyConsistency(first, second, r1, r2, p.slice(0, -1))],
      ...p.map((_, i): [string, () => void] => [`proof[${i}] bit 4 flipped`, () => verifyConsistency(first, second, r1, r2, flip(p, i, 16))]),
    ];
    const accepted = probes.filter(([, probe]) => {
      try {
        probe();
        return true;
      } catch (error) {
        expect(error).toBeInstanceOf(ProofError);
        return false;
      }
    });
    expect(accepted.map(([name]) => name)).toEqual([]);
  });

  it('accepts and refuses the edge cases of the reference verifier', () => {
    const [a, b] = [SOME_HASH, EMPTY_ROOT];
    // Always consistent: the empty tree is a prefix of any tree, and a tree of itself.
    expect(() => verifyConsistency(0, 0, a, a, [])).not.toThrow();
    expect(() => verifyConsistency(0, 1, a, b, [])).not.toThrow();
    expect(() => verifyConsistency(1, 1, b, b, [])).not.toThrow();
    // Same size, different roots; time travel; a proof that must not be empty; one that must be.
    expect(() => verifyConsistency(0, 0, a, b, [])).toThrow(ProofError);
    expect(() => verifyConsistency(1, 1, a, b, [])).toThrow(ProofError);
    expect(() => verifyConsistency(1, 0, a, b, [])).toThrow(ProofError);
    expect(() => verifyConsistency(2, 1, a, b, [])).toThrow(ProofError);
    expect(() => verifyConsistency(1, 2, a, b, [])).toThrow(ProofError);
    expect(() => verifyConsistency(0, 0, b, b, [b])).toThrow(ProofError);
    expect(() => verifyConsistency(0, 1, b, b, [b])).toThrow(ProofError);
    expect(() => verifyConsistency(1, 1, b, b, [b])).toThrow(ProofError);
    // Inclusion in an empty tree, or past the end, never verifies.
    for (const [index, size] of [[0, 0], [1, 0], [2, 1]]) {
      expect(() => verifyInclusion(index, size, SOME_HASH, [], EMPTY_ROOT)).toThrow(ProofError);
    }
    // A single-leaf tree: the leaf hash is the root and the proof is empty.
    const single = leafHash(Buffer.from('data'));
    expect(() => verifyInclusion(0, 1, single, [], single)).not.toThrow();
    expect(() => verifyInclusion(0, 1, single, [], Buffer.alloc(0))).toThrow(ProofError);
  });
});
