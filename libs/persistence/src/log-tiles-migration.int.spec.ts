import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { HealthRegistry } from '@audit/platform';
import { createTestDatabase, type TestDatabase } from '@audit/testing';
import { CompactRange, consistencyProof, inclusionProof, InMemoryHashStore, leafHash, type SubtreeNode } from '@audit/transparency';
import { readPersistenceConfig } from './config';
import { createDataSource, Database, runMigrations } from './database';
import { MIGRATIONS } from './migrations';
import { LogTiles1765050000000 } from './migrations/1765050000000-log-tiles';
import { TransparencyLogRepository } from './transparency-log.repository';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

const N = 700;
const MORE = 300;
/** org_purged's first leaves went to retention before the migration; org_whole's never did. */
const PURGED_BEFORE = 301;
const leafOf = (org: string, i: number): Buffer => Buffer.from(`{"org":"${org}","i":${i}}`);

/** Every subtree of the org's first `size` leaves, as the code before the migration stored them. */
function reference(org: string, size: number): { store: InMemoryHashStore; range: CompactRange } {
  const store = new InMemoryHashStore();
  const { range, nodes } = CompactRange.empty().append(Array.from({ length: size }, (_, i) => leafHash(leafOf(org, i))));
  store.put(nodes);
  return { store, range };
}

/**
 * Logs written while every interior level was stored (one with a purged prefix, as the old purge left it)
 * upgraded to tiles (every 4th level): every proof the old form gave is still given, byte for byte, and the sealer keeps
 * appending; going back down puts the old form's rows back.
 */
describe('migrating logs to tiles (real Postgres)', () => {
  let db: TestDatabase;
  let database: Database | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_log_tiles');
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  async function writeOldForm(org: string, purgedBefore: number): Promise<SubtreeNode[]> {
    const { store, range } = reference(org, N);
    store.prune(purgedBefore);
    const everyLevel = Array.from({ length: 10 }, (_, level) => ({ level, from: 0, to: Math.floor(N / 2 ** level) }));
    const kept = (await store.readSpans(everyLevel)).filter((n) => n.level > 0 || n.index < purgedBefore);
    for (let i = purgedBefore; i < N; i++) {
      await db.query(`INSERT INTO log_leaves ("organizationId", "leafIndex", "eventId", leaf, salt) VALUES ($1, $2, $3, $4, $5)`, [
        org,
        i,
        randomUUID(),
        leafOf(org, i),
        Buffer.alloc(32),
      ]);
    }
    for (const n of kept) await db.query(`INSERT INTO log_nodes ("organizationId", level, index, hash) VALUES ($1, $2, $3, $4)`, [org, n.level, n.index, n.hash]);
    await db.query(`INSERT INTO log_trees ("organizationId", size, "rootHash", "purgedBefore") VALUES ($1, $2, $3, $4)`, [org, N, range.root(), purgedBefore]);
    return kept.filter((n) => n.level > 0);
  }

  it('keeps every proof from the purge point on, writes one row per 256 leaves after it, and the down migration restores the old rows', async () => {
    const before = createDataSource(db.url, 2, MIGRATIONS.slice(0, MIGRATIONS.indexOf(LogTiles1765050000000)));
    await before.initialize();
    await runMigrations(before);
    await before.destroy();
    const oldRows = { org_purged: await writeOldForm('org_purged', PURGED_BEFORE), org_whole: await writeOldForm('org_whole', 0) };

    database = new Database(readPersistenceConfig({ DATABASE_URL: db.url }), new HealthRegistry());
    await database.onModuleInit();
    const log = new TransparencyLogRepository(database);
    const levels = await db.query<{ level: number }>(`SELECT DISTINCT level FROM log_nodes WHERE "organizationId" = 'org_whole' ORDER BY level`);
    expect(levels).toEqual([{ level: 4 }, { level: 8 }]);

    for (const [org, purgedBefore] of [
      ['org_purged', PURGED_BEFORE],
      ['org_whole', 0],
    ] as const) {
      const full = reference(org, N + MORE).store;
      const store = log.hashStore(org);
      for (const [index, size] of [
        [purgedBefore, N],
        [N - 1, N],
        [511, 600],
        [purgedBefore + 2, purgedBefore + 3],
      ]) {
        expect(await inclusionProof(store, index, size)).toEqual(await inclusionProof(full, index, size));
      }
      for (const first of [purgedBefore, 512, N - 1]) expect(await consistencyProof(store, first, N)).toEqual(await consistencyProof(full, first, N));

      // The sealer appends after the migration, from the frontier read back through the tiles.
      const appended = await log.append(org, [], async ({ head, store: locked }) => {
        const range = await CompactRange.load(locked, head.size);
        expect(range.root()).toEqual(head.rootHash);
        const grown = range.append(Array.from({ length: MORE }, (_, k) => leafHash(leafOf(org, N + k))));
        return {
          leaves: Array.from({ length: MORE }, (_, k) => ({ leafIndex: N + k, eventId: randomUUID(), leaf: leafOf(org, N + k), salt: Buffer.alloc(32), user: null })),
          nodes: grown.nodes,
          head: { size: grown.range.size, rootHash: grown.root },
        };
      });
      expect(appended?.head.size).toBe(N + MORE);
      for (const index of [purgedBefore, 767, N + MORE - 1]) {
        expect(await inclusionProof(store, index, N + MORE)).toEqual(await inclusionProof(full, index, N + MORE));
      }
      expect(await consistencyProof(store, N, N + MORE)).toEqual(await consistencyProof(full, N, N + MORE));
    }
    // The 300 leaves appended completed the stored subtrees (4, 43) … (4, 61), ending 704 … 992, and (8, 2) ending 768: 20 rows in each log.
    expect(
      await db.query(`SELECT "organizationId", level, count(*)::int AS n FROM log_nodes WHERE (index + 1) * 2 ^ level > $1 GROUP BY 1, 2 ORDER BY 1, 2`, [N]),
    ).toEqual([
      { organizationId: 'org_purged', level: 4, n: 19 },
      { organizationId: 'org_purged', level: 8, n: 1 },
      { organizationId: 'org_whole', level: 4, n: 19 },
      { organizationId: 'org_whole', level: 8, n: 1 },
    ]);
    const down = createDataSource(db.url, 2, MIGRATIONS);
    await down.initialize();
    // Down to the one before the tiles: the migrations that came after them are undone first.
    for (let undo = MIGRATIONS.length - MIGRATIONS.indexOf(LogTiles1765050000000); undo > 0; undo--) await down.undoLastMigration({ transaction: 'each' });
    await down.destroy();
    for (const org of ['org_purged', 'org_whole'] as const) {
      const rows = await db.query<{ level: number; index: string; hash: Buffer }>(
        `SELECT level, index, hash FROM log_nodes WHERE "organizationId" = $1 AND level > 0 AND (index + 1) * 2 ^ level <= $2 ORDER BY level, index`,
        [org, N],
      );
      expect(rows.map((r) => ({ level: r.level, index: Number(r.index), hash: r.hash }))).toEqual(oldRows[org]);
    }
  });
});
