import fc from 'fast-check';
import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { compileClickHouse } from './compile-clickhouse';
import { matches, type SearchableEvent } from './evaluate';
import { IP_V4_COLUMN, IP_V4_EXPRESSION, IP_V6_COLUMN, IP_V6_EXPRESSION } from './ip-columns';
import { parseSearch } from './parser';

/**
 * `ip:` compiled for ClickHouse (range compares on the typed address columns, computed here by the very
 * expressions migration 006 materializes them with; libs/clickhouse checks the table's columns against
 * them) against the meaning in memory,
 * over the spellings an event's address may have: dotted quads (a leading zero too, which the language
 * refuses to read), IPv6 in either case, with or without `::`, IPv4-mapped IPv6, junk and NULL; ranges of
 * either family with every prefix length, and addresses drawn inside them so that most ranges match some.
 */
const NOW = new Date('2026-06-15T12:00:00.000Z');
const event = (ipAddress: string | null): SearchableEvent => ({
  actionType: 'LOGIN',
  userId: null,
  userEmail: null,
  userName: null,
  ipAddress,
  responseTimeMs: null,
  pageName: null,
  queryName: null,
  resourceName: null,
  queryText: null,
  createdAt: NOW.getTime(),
});

const v4Text = (bits: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join('.');

function v6Text(bits: bigint, upper: boolean, compress: boolean): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bits >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  let text = groups.join(':');
  const start = groups.indexOf('0');
  if (compress && start >= 0) {
    let end = start;
    while (end < 8 && groups[end] === '0') end++;
    text = `${groups.slice(0, start).join(':')}::${groups.slice(end).join(':')}`;
  }
  return upper ? text.toUpperCase() : text;
}

/** One address's bits rendered in one of its spellings (some of which the language does not read). */
const spelling = (version: 4 | 6, bits: bigint): fc.Arbitrary<string> =>
  version === 4
    ? fc.constantFrom(v4Text(bits), `0${v4Text(bits)}`, `::ffff:${v4Text(bits)}`, `::FFFF:${v4Text(bits)}`, `0:0:0:0:0:ffff:${v4Text(bits)}`, `::ffff:0${v4Text(bits)}`)
    : fc.tuple(fc.boolean(), fc.boolean()).map(([upper, compress]) => v6Text(bits, upper, compress));

const bitsOf = (version: 4 | 6): fc.Arbitrary<bigint> => fc.bigInt({ min: 0n, max: (1n << (version === 4 ? 32n : 128n)) - 1n });

const range = fc
  .constantFrom<4 | 6>(4, 6)
  .chain((version) => fc.record({ version: fc.constant(version), base: bitsOf(version), prefix: fc.integer({ min: 0, max: version === 4 ? 32 : 128 }) }));

/** Addresses inside the range (its base with random host bits), anywhere in either family, and junk. */
const addresses = (r: { version: 4 | 6; base: bigint; prefix: number }): fc.Arbitrary<Array<string | null>> => {
  const hostBits = BigInt((r.version === 4 ? 32 : 128) - r.prefix);
  const inside = fc.bigInt({ min: 0n, max: (1n << hostBits) - 1n }).chain((host) => spelling(r.version, ((r.base >> hostBits) << hostBits) | host));
  const anywhere = fc.constantFrom<4 | 6>(4, 6).chain((v) => bitsOf(v).chain((bits) => spelling(v, bits)));
  const junk = fc.constantFrom(null, '', 'not an ip', 'fe80::1%eth0', '10.0.0', '1.2.3.4.5', '::ffff:256.1.1.1', 'gggg::1', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::1', ':1', '1:', '::ffff:1.2.3', '1.2.3.4/8', ' 1.2.3.4');
  return fc.array(fc.oneof({ arbitrary: inside, weight: 4 }, { arbitrary: anywhere, weight: 2 }, { arbitrary: junk, weight: 1 }), { minLength: 1, maxLength: 20 });
};

describe('ip: in ClickHouse', () => {
  let ch: TestClickHouse;
  beforeAll(() => {
    ch = testClickHouseEnv('audit_test_ip');
  });
  afterAll(async () => {
    await ch.drop();
  });

  /** The positions of `ips` whose row the compiled search keeps. */
  async function kept(search: string, ips: ReadonlyArray<string | null>): Promise<number[]> {
    const condition = compileClickHouse(parseSearch(search, NOW), new Map());
    const rows = await ch.query<{ i: number }>(
      `SELECT i FROM (SELECT i, ${IP_V4_EXPRESSION} AS ${IP_V4_COLUMN}, ${IP_V6_EXPRESSION} AS ${IP_V6_COLUMN}
         FROM (SELECT t.1 AS i, t.2 AS ipAddress FROM (SELECT arrayJoin(arrayZip(range(length({ips:Array(Nullable(String))})), {ips:Array(Nullable(String))})) AS t)))
       WHERE ${condition.sql} ORDER BY i`,
      { ...condition.params, ips },
    );
    return rows.map((r) => Number(r.i));
  }

  it('keeps exactly the addresses the search means, for any range and spelling, negated too', async () => {
    await fc.assert(
      fc.asyncProperty(
        range.chain((r) => fc.tuple(fc.constant(r), addresses(r))),
        async ([r, ips]) => {
          const cidr = `${r.version === 4 ? v4Text(r.base) : v6Text(r.base, false, true)}/${r.prefix}`;
          for (const search of [`ip:${cidr}`, `-ip:${cidr}`]) {
            const node = parseSearch(search, NOW);
            const expected = ips.flatMap((ip, i) => (matches(node, event(ip)) ? [i] : []));
            expect({ search, ips, kept: await kept(search, ips) }).toEqual({ search, ips, kept: expected });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the in-range addresses of several ranges at once', async () => {
    const ips = ['10.1.2.3', '10.1.3.3', '192.168.0.9', '2001:db8::1', '2001:DB8:0:0:0:0:0:2', '::ffff:10.1.2.3', null];
    expect(await kept('ip:10.1.2.0/24,2001:db8::/32', ips)).toEqual([0, 3, 4]);
  });
});
