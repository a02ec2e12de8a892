import fc from 'fast-check';
import { leaves, type SearchNode } from './ast';
import { compileClickHouse } from './compile-clickhouse';
import { compilePostgres } from './compile-postgres';
import { matches, type SearchableEvent } from './evaluate';
import { parseSearch } from './parser';
import { lookupKey, userLookups } from './users';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const resolveAll = (node: SearchNode, ids: string[] = []) => new Map(userLookups(node).map((l) => [lookupKey(l), ids]));

function postgres(node: SearchNode): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = compilePostgres(node, (v) => {
    params.push(v);
    return `$${params.length}`;
  });
  return { sql, params };
}

describe('compiling a search', () => {
  it('never puts a value into the SQL text of either store, whatever it contains', () => {
    const printable = (v: string): boolean => [...v].every((c) => c.charCodeAt(0) >= 0x20 && c !== '"' && c !== '\\');
    const value = fc.string({ minLength: 1, maxLength: 12 }).filter((v) => printable(v) && v.trim() === v && v.length > 0);
    fc.assert(
      fc.property(value, fc.constantFrom('page', 'query', 'resource', 'user', 'text'), (v, qualifier) => {
        const marker = `zq${v}'); DROP TABLE x; --`;
        const text = qualifier === 'text' ? `"${marker}"` : `${qualifier}:"${marker}"`;
        const node = parseSearch(text, NOW);
        const ch = compileClickHouse(node, resolveAll(node, [`id-${marker}`]));
        expect(ch.sql).not.toContain(marker);
        expect(Object.values(ch.params).flat().join('\n')).toContain(marker.toLowerCase().slice(0, 2));
        expect(postgres(node).sql).not.toContain(marker);
      }),
      { numRuns: 300 },
    );
  });

  it('gives ClickHouse typed placeholders and Postgres numbered ones, one per value list', () => {
    const node = parseSearch('action:login,logout ip:10.0.0.0/8 created:>2026-01-01 rt:<2s page:Sales "Rev_"', NOW);
    const ch = compileClickHouse(node, resolveAll(node));
    expect(ch.sql).toContain('actionType IN {s0:Array(String)}');
    // The range as a compare on the typed column of its family (its reading is ruled in the int spec).
    expect(ch.sql).toContain('(ipV4 IS NOT NULL AND (ipV4 BETWEEN {s1:IPv4} AND {s2:IPv4}))');
    expect(ch.sql).not.toContain('ipAddress');
    expect(ch.sql).toContain("createdAt >= {s3:DateTime64(3, 'UTC')}");
    expect(ch.sql).toContain('responseTimeMs < {s4:UInt64}');
    expect(ch.params).toEqual({ s0: ['LOGIN', 'LOGOUT'], s1: '10.0.0.0', s2: '10.255.255.255', s3: '2026-01-02 00:00:00.000', s4: 2000, s5: ['Sales'], s6: '%rev\\_%' });
    // No matching users: the free text is one LIKE the n-gram index can use.
    expect(ch.sql).toContain('searchText LIKE {s6:String}');
    const pg = postgres(node);
    expect(pg.params).toEqual([['LOGIN', 'LOGOUT'], '10.0.0.0/8', new Date('2026-01-02T00:00:00.000Z'), 2000, ['Sales'], '%Rev\\_%']);
  });

  it('compiles ip: of both families to one compare per range on the column of its family', () => {
    const ch = compileClickHouse(parseSearch('ip:10.1.2.3,2001:db8::/32,192.168.0.0/16', NOW), new Map());
    expect(ch.sql).toBe('((ipV4 IS NOT NULL AND (ipV4 BETWEEN {s0:IPv4} AND {s1:IPv4} OR ipV4 BETWEEN {s2:IPv4} AND {s3:IPv4})) OR (ipV6 IS NOT NULL AND (ipV6 BETWEEN {s4:IPv6} AND {s5:IPv6})))');
    expect(ch.params).toEqual({
      s0: '10.1.2.3',
      s1: '10.1.2.3',
      s2: '192.168.0.0',
      s3: '192.168.255.255',
      s4: '2001:db8:0:0:0:0:0:0',
      s5: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
    });
  });

  it('refuses to compile for ClickHouse a user look-up that was not resolved', () => {
    expect(() => compileClickHouse(parseSearch('user:ada@x.io', NOW), new Map())).toThrow(/not resolved/);
  });

  it('asks Postgres once per distinct look-up', () => {
    const node = parseSearch('user:Ada@x.io OR user:ada@X.io ada -ada', NOW);
    expect(userLookups(node)).toEqual([{ kind: 'email', emails: ['ada@x.io'] }, { kind: 'text', text: 'ada' }]);
    expect(leaves(node)).toHaveLength(4);
  });
});

describe('matches (the meaning in memory)', () => {
  const event: SearchableEvent = {
    actionType: 'QUERY_RUN',
    userId: 'u1',
    userEmail: 'Ada@Example.com',
    userName: 'Ada Lovelace',
    ipAddress: '10.1.2.3',
    responseTimeMs: null,
    pageName: 'Sales',
    queryName: 'getOrders',
    resourceName: null,
    queryText: 'select * from orders',
    createdAt: Date.parse('2026-06-01T00:00:00Z'),
  };
  const m = (text: string, e: SearchableEvent = event): boolean => matches(parseSearch(text, NOW), e);

  it.each([
    ['', true],
    ['action:queries', true],
    ['-action:query.*', false],
    ['user:ada@example.COM', true],
    ['user:u2', false],
    ['ip:10.0.0.0/8', true],
    ['ip:::/0', false],
    ['page:sales', false],
    ['page:Sales query:getOrders', true],
    ['created:2026-06-01', true],
    ['created:<2026-06-01', false],
    ['rt:>0', false],
    ['-rt:>0', true],
    ['ORDERS lovelace', true],
    ['"from orders" OR nothing', true],
    ['resource:x OR (page:Sales -user:u1)', false],
  ])('%j → %s', (text, expected) => {
    expect(m(text)).toBe(expected);
  });

  it('never matches an address it cannot read, and compares one family only', () => {
    expect(m('ip:::/0', { ...event, ipAddress: 'fe80::1%eth0' })).toBe(false);
    expect(m('ip:10.0.0.0/8', { ...event, ipAddress: '::ffff:10.1.2.3' })).toBe(false);
    expect(m('ip:::ffff:0:0/96', { ...event, ipAddress: '::ffff:10.1.2.3' })).toBe(true);
  });
});
