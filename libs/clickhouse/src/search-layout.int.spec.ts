import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import fc from 'fast-check';
import { compileClickHouse, IP_V4_EXPRESSION, IP_V6_EXPRESSION, parseSearch } from '@audit/search';
import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { sampleEvent } from '@audit/testing-pipeline';
import type { ClickHouse } from './clickhouse.service';
import { encodeEventRow } from './encoded-event-row';
import { ClickHouseEventsRepository, toClickHouseRow } from './events.repository';
import { CLICKHOUSE_MIGRATIONS_DIR, loadMigrations, migrateClickHouse } from './migrator';

/** An erasure's time after every sample event's receipt (November 2026): it covers them all. */
const ERASED_AFTER_SAMPLES = new Date(Date.UTC(2027, 0, 1));

/** Addresses as events may have stored them: every family and spelling, and what no reader takes. */
const ODD = [
  '10.1.2.3', '010.1.2.3', '255.255.255.255', '0.0.0.0', '256.1.1.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4/8',
  '::ffff:10.1.2.3', '::FFFF:10.1.2.3', '0:0:0:0:0:ffff:10.1.2.3', '::ffff:010.1.2.3', '2001:db8::1', '2001:DB8:0:0:0:0:0:2',
  '::', '::1', 'fe80::1%eth0', 'gggg::1', '1::2::3', '12345::1', ':1', '1:', '1:2:3:4:5:6:7:8:9', '', 'not an ip', null,
];
/** More of them, generated: the extended IPv4 forms (octal, hex, fewer parts) and IPv6 in all its forms. */
const generated = (): string[] => fc.sample(fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), fc.string({ maxLength: 12 })), { numRuns: 300, seed: 17 });

/** Migrated up to (not including) 006 in a directory of their own, so that rows can be written before it. */
function migrationsBefore006(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-ch-before-006-'));
  for (const m of loadMigrations().filter((m) => m.name < '006')) cpSync(path.join(CLICKHOUSE_MIGRATIONS_DIR, `${m.name}.sql`), path.join(dir, `${m.name}.sql`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function mutationsDone(ch: TestClickHouse): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await ch.query<{ n: number }>("SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = 'audit_events' AND NOT is_done"))[0].n > 0) {
    if (Date.now() > deadline) throw new Error('the migration\'s mutations did not finish within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('migrations 006 and 007: the search layout of audit_events', () => {
  let ch: TestClickHouse;
  let client: ClickHouseClient;
  let repo: ClickHouseEventsRepository;

  beforeAll(async () => {
    ch = testClickHouseEnv('audit_test_layout');
    client = await ch.client();
    repo = new ClickHouseEventsRepository({ client, insertSettings: {} } as unknown as ClickHouse);
  });

  afterAll(async () => {
    await ch?.drop();
  });

  it('ipV4 and ipV6 hold what the search language reads, in rows written before the migration (written into their parts) and after it by the projector', async () => {
    const addresses = [...ODD, ...generated()];
    const events = (org: string, from: number) => addresses.map((ipAddress, i) => sampleEvent(from + i, { organizationId: org, ipAddress }));
    const before = migrationsBefore006();
    try {
      await migrateClickHouse(client, { dir: before.dir });
      await repo.insertExcept(events('org-before', 0).map(toClickHouseRow), new Set());
      // 006 and 007 apply first; any later migration follows them.
      expect((await migrateClickHouse(client)).slice(0, 2)).toEqual(['006_search_layout', '007_ip_keys']);
    } finally {
      before.remove();
    }
    await mutationsDone(ch);
    // The projector's path (TabSeparated lines) and the rebuild's (JSON rows).
    await repo.insertEncodedExcept(events('org-after', 10_000).map(encodeEventRow), new Set());
    await repo.insertExcept(events('org-rebuilt', 20_000).map(toClickHouseRow), new Set());

    // Every part holds the columns: the older ones got them from the migration's mutation, not computed when read.
    const parts = await ch.query<{ column: string; n: number }>(
      `SELECT column, count() AS n FROM system.parts_columns WHERE database = currentDatabase() AND table = 'audit_events' AND active AND column IN ('ipV4', 'ipV6') GROUP BY column ORDER BY column`,
    );
    const [{ n: active }] = await ch.query<{ n: number }>("SELECT count() AS n FROM system.parts WHERE database = currentDatabase() AND table = 'audit_events' AND active");
    expect(parts).toEqual([{ column: 'ipV4', n: active }, { column: 'ipV6', n: active }]);

    const rows = await ch.query<{ o: string; a: string | null; v4: string | null; v6: string | null; e4: string | null; e6: string | null }>(
      `SELECT organizationId AS o, ipAddress AS a, toString(ipV4) AS v4, toString(ipV6) AS v6,
              toString(${IP_V4_EXPRESSION}) AS e4, toString(${IP_V6_EXPRESSION}) AS e6 FROM audit_events ORDER BY id`,
    );
    expect(rows).toHaveLength(3 * addresses.length);
    expect(rows.filter((r) => r.v4 !== r.e4 || r.v6 !== r.e6)).toEqual([]);
    const of = (a: string | null) => rows.filter((r) => r.a === a).map((r) => [r.o, r.v4, r.v6]);
    for (const o of ['org-before', 'org-after', 'org-rebuilt']) {
      expect(of('10.1.2.3')).toContainEqual([o, '10.1.2.3', null]);
      expect(of('::FFFF:10.1.2.3')).toContainEqual([o, null, '::ffff:10.1.2.3']);
      expect(of('010.1.2.3')).toContainEqual([o, null, null]);
      expect(of('fe80::1%eth0')).toContainEqual([o, null, null]);
      expect(of(null)).toContainEqual([o, null, null]);
    }
  });

  it('erasing a user empties the typed address of their events too', async () => {
    await repo.insertExcept([sampleEvent(30_000, { organizationId: 'org-erased', userId: 'gone', ipAddress: '192.0.2.7' })].map(toClickHouseRow), new Set());
    expect(await repo.eraseUser('org-erased', 'gone', ERASED_AFTER_SAMPLES)).toBe(1);
    expect(await ch.query("SELECT ipAddress AS a, ipV4 AS v4 FROM audit_events WHERE organizationId = 'org-erased'")).toEqual([{ a: null, v4: null }]);
  });

  it('erasing a user keeps their events received after the erasure whole: new activity, as Postgres keeps them', async () => {
    const later = sampleEvent(30_001, { organizationId: 'org-erased-later', userId: 'back', receivedAt: new Date(Date.UTC(2027, 1, 1)).toISOString() });
    const earlier = sampleEvent(30_002, { organizationId: 'org-erased-later', userId: 'back' });
    await repo.insertExcept([earlier, later].map(toClickHouseRow), new Set());
    expect(await repo.eraseUser('org-erased-later', 'back', ERASED_AFTER_SAMPLES)).toBe(1);
    expect(await ch.query("SELECT userId AS u FROM audit_events WHERE organizationId = 'org-erased-later' ORDER BY receivedAt")).toEqual([{ u: null }, { u: 'back' }]);
  });

  describe('the user_keys projection', () => {
    const ORG = 'org-users';
    const USERS = 40;
    /** A user's page as the events API asks for it (libs/query, projectedKeysQuery), with or without the projection. */
    const page = (userId: string, projection: boolean) =>
      `SELECT toString(id) AS i, toString(createdAt) AS c FROM audit_events
       WHERE organizationId = '${ORG}' AND (userId IS NOT NULL AND userId IN ['${userId}'])
       ORDER BY createdAt DESC LIMIT 51 SETTINGS optimize_use_projections = ${projection ? 1 : 0}`;
    const pages = async (): Promise<void> => {
      for (const user of ['u0', 'u7', 'u39', 'nobody']) {
        const [withIt, without] = [await ch.query(page(user, true)), await ch.query(page(user, false))];
        expect({ user, rows: withIt }).toEqual({ user, rows: without });
      }
    };
    const usesProjection = async (userId: string): Promise<boolean> => {
      const plan = await ch.query<{ explain: string }>(`EXPLAIN indexes = 1, projections = 1 ${page(userId, true)}`);
      return plan.some((line) => /ReadFromMergeTree \(user_keys\)/.test(line.explain));
    };

    beforeAll(async () => {
      // 120,000 events over 40 users in two months: 15 granules of the table, a user's few of the projection.
      for (let batch = 0; batch < 4; batch++) {
        const events = Array.from({ length: 30_000 }, (_, i) => {
          const n = 100_000 + batch * 30_000 + i;
          return sampleEvent(n, { organizationId: ORG, userId: `u${n % USERS}`, createdAt: new Date(Date.UTC(2026, 9, 1) + n * 43_000).toISOString() });
        });
        await repo.insertEncodedExcept(events.map(encodeEventRow), new Set());
      }
    });

    it("serves a user's page, and gives exactly what the table gives", async () => {
      expect(await usesProjection('u7')).toBe(true);
      await pages();
      expect(await ch.query(page('u7', true))).toHaveLength(51);
    });

    it("stays exact after retention's lightweight delete, an erasure, and a merge that collapses re-inserted rows", async () => {
      await client.command({ query: `DELETE FROM audit_events WHERE organizationId = '${ORG}' AND createdAt < '2026-10-20 00:00:00'` });
      const again = Array.from({ length: 500 }, (_, i) => sampleEvent(200_000 + i, { organizationId: ORG, userId: `u${i % USERS}`, createdAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString() }));
      await repo.insertExcept(again.map(toClickHouseRow), new Set());
      await repo.insertExcept(again.map(toClickHouseRow), new Set());
      await repo.eraseUser(ORG, 'u7', ERASED_AFTER_SAMPLES);
      await pages();
      await client.command({ query: 'OPTIMIZE TABLE audit_events FINAL' });
      await pages();
      expect(await ch.query(page('u7', true))).toEqual([]);
      expect(await usesProjection('u0')).toBe(true);
    });
  });
  describe('the ip_keys projection', () => {
    const ORG = 'org-ips';
    /** IPv4 addresses over 16 /16s and every /24 of them, an IPv6 and no address among them. */
    const address = (n: number): string | null => (n % 11 === 0 ? null : n % 13 === 0 ? `2001:db8::${(n % 4096).toString(16)}` : `10.${n % 16}.${(n * 7) % 256}.${(n * 31) % 256}`);
    /** A page of `ip:` as the events API asks for it (libs/query, projectedKeysQuery: the search compiled by libs/search), with or without the projection. */
    const page = (search: string, projection: boolean): { sql: string; params: Record<string, unknown> } => {
      const condition = compileClickHouse(parseSearch(search, new Date()), new Map());
      return {
        sql: `SELECT toString(id) AS i, toString(createdAt) AS c FROM audit_events WHERE organizationId = '${ORG}' AND ${condition.sql}
              ORDER BY createdAt DESC, id DESC LIMIT 51 SETTINGS optimize_use_projections = ${projection ? 1 : 0}`,
        params: condition.params,
      };
    };
    const SEARCHES = ['ip:10.3.21.0/24', 'ip:10.3.0.0/16', 'ip:10.0.0.0/8', 'ip:10.5.35.155', 'ip:192.0.2.0/24', '-ip:10.3.0.0/16', 'ip:2001:db8::/32', 'ip:10.3.21.0/24,2001:db8::/32'];
    const pages = async (): Promise<void> => {
      for (const search of SEARCHES) {
        const [a, b] = [page(search, true), page(search, false)];
        expect({ search, rows: await ch.query(a.sql, a.params) }).toEqual({ search, rows: await ch.query(b.sql, b.params) });
      }
    };
    /** What the optimizer reads for the search: the projection's name, or the table's. */
    const readFrom = async (search: string): Promise<string[]> => {
      const { sql, params } = page(search, true);
      const plan = await ch.query<{ explain: string }>(`EXPLAIN projections = 1 ${sql}`, params);
      return plan.flatMap((line) => /ReadFromMergeTree \((\w+)\)/.exec(line.explain)?.[1] ?? []);
    };

    beforeAll(async () => {
      // 120,000 events in two months: 15 granules of the table, a /24's one or two of the projection.
      for (let batch = 0; batch < 4; batch++) {
        const events = Array.from({ length: 30_000 }, (_, i) => {
          const n = 300_000 + batch * 30_000 + i;
          return sampleEvent(n, { organizationId: ORG, userId: `u${n % 40}`, ipAddress: address(n), createdAt: new Date(Date.UTC(2026, 9, 1) + n * 43_000).toISOString() });
        });
        await repo.insertEncodedExcept(events.map(encodeEventRow), new Set());
      }
    });

    it('serves a CIDR\'s page from fewer granules, and gives exactly what the table gives', async () => {
      expect(await readFrom('ip:10.3.21.0/24')).toContain('ip_keys');
      const estimate = async (projection: boolean): Promise<number> => {
        const { sql, params } = page('ip:10.3.21.0/24', projection);
        return (await ch.query<{ marks: string }>(`EXPLAIN ESTIMATE ${sql}`, params)).reduce((n, r) => n + Number(r.marks), 0);
      };
      expect(await estimate(true)).toBeLessThan(await estimate(false));
      // A negation or an IPv6 range cannot be read by address from it: the table (or another projection) serves them.
      expect(await readFrom('-ip:10.3.0.0/16')).not.toContain('ip_keys');
      await pages();
      const { sql, params } = page('ip:10.3.0.0/16', true);
      expect(await ch.query(sql, params)).toHaveLength(51);
    });

    it("stays exact after retention's lightweight delete, an erasure, and a merge that collapses re-inserted rows", async () => {
      await client.command({ query: `DELETE FROM audit_events WHERE organizationId = '${ORG}' AND createdAt < '2026-10-20 00:00:00'` });
      const again = Array.from({ length: 500 }, (_, i) => sampleEvent(500_000 + i, { organizationId: ORG, userId: `u${i % 40}`, ipAddress: address(i), createdAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString() }));
      await repo.insertExcept(again.map(toClickHouseRow), new Set());
      await repo.insertExcept(again.map(toClickHouseRow), new Set());
      await repo.eraseUser(ORG, 'u7', ERASED_AFTER_SAMPLES);
      await pages();
      await client.command({ query: 'OPTIMIZE TABLE audit_events FINAL' });
      await pages();
      // The erased user's addresses are gone from the projection too, not only from the table.
      const erased = await ch.query<{ n: string }>(`SELECT count() AS n FROM audit_events WHERE organizationId = '${ORG}' AND userId IS NULL AND ipV4 IS NOT NULL`);
      expect(Number(erased[0].n)).toBe(0);
      expect(await readFrom('ip:10.3.21.0/24')).toContain('ip_keys');
    });
  });
});
