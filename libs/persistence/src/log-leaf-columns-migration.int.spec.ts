import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { HealthRegistry } from '@audit/platform';
import { createTestDatabase, type TestDatabase } from '@audit/testing';
import { CompactRange, inclusionProof, leafBytesOf, leafHash, rootFromInclusionProof } from '@audit/transparency';
import { readPersistenceConfig } from './config';
import { createDataSource, Database, runMigrations } from './database';
import { MIGRATIONS } from './migrations';
import { LogLeafColumns1765100000000 } from './migrations/1765100000000-log-leaf-columns';
import { TransparencyLogRepository, type NewLogLeaf } from './transparency-log.repository';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

const ORG = 'org_leaf_columns';

/** The i-th v1 leaf of ORG with its parts, as the sealer hands it over. */
function v1Leaf(i: number): Omit<NewLogLeaf, 'leafIndex'> {
  const eventId = randomUUID();
  const parts = { actionType: 'QUERY_RUN', commitment: Buffer.alloc(32, i), createdAt: new Date(Date.UTC(2026, 11, 7, 6, 0, 0, i)).toISOString(), receivedAt: new Date(Date.UTC(2026, 11, 7, 6, 0, 1, i)).toISOString() };
  const leaf = leafBytesOf({ id: eventId, organizationId: ORG, ...parts }, parts.commitment.toString('base64'));
  return { eventId, leaf, parts, salt: Buffer.alloc(32, 1), user: null };
}

/**
 * A log written before leaves were kept as their parts (every row with its bytes) goes on after the
 * migration: its old leaves read back byte for byte, new ones are kept as parts, every inclusion proof
 * verifies against the one tree, and going back down writes every leaf's bytes into the rows again.
 */
describe('keeping leaves as their parts (real Postgres)', () => {
  let db: TestDatabase;
  let database: Database | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_leaf_columns');
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  it('reads old leaves as they were, appends new ones as parts, proves both, and the down migration restores every leaf', async () => {
    const before = createDataSource(db.url, 2, MIGRATIONS.slice(0, MIGRATIONS.indexOf(LogLeafColumns1765100000000)));
    await before.initialize();
    await runMigrations(before);
    await before.destroy();
    const old = Array.from({ length: 5 }, (_, i) => v1Leaf(i));
    const oldRange = CompactRange.empty().append(old.map((l) => leafHash(l.leaf)));
    for (const [i, l] of old.entries()) {
      await db.query(`INSERT INTO log_leaves ("organizationId", "leafIndex", "eventId", leaf, salt) VALUES ($1, $2, $3, $4, $5)`, [ORG, i, l.eventId, l.leaf, l.salt]);
    }
    await db.query(`INSERT INTO log_trees ("organizationId", size, "rootHash") VALUES ($1, $2, $3)`, [ORG, old.length, oldRange.root]);

    database = new Database(readPersistenceConfig({ DATABASE_URL: db.url }), new HealthRegistry());
    await database.onModuleInit();
    const log = new TransparencyLogRepository(database);
    const fresh = Array.from({ length: 4 }, (_, i) => v1Leaf(10 + i));
    await log.append(
      ORG,
      fresh.map((l) => l.eventId),
      async ({ head, store }) => {
        const grown = (await CompactRange.load(store, head.size)).append(fresh.map((l) => leafHash(l.leaf)));
        return { leaves: fresh.map((l, k) => ({ ...l, leafIndex: head.size + k })), nodes: grown.nodes, head: { size: grown.range.size, rootHash: grown.root } };
      },
      true,
    );
    const all = [...old, ...fresh];
    const kept = await db.query<{ bytes: boolean }>(`SELECT leaf IS NOT NULL AS bytes FROM log_leaves WHERE "organizationId" = $1 ORDER BY "leafIndex"`, [ORG]);
    expect(kept.map((r) => r.bytes)).toEqual([true, true, true, true, true, false, false, false, false]);
    const [tree] = await db.query<{ rootHash: Buffer }>(`SELECT "rootHash" FROM log_trees WHERE "organizationId" = $1`, [ORG]);
    expect(tree.rootHash).toEqual(CompactRange.empty().append(all.map((l) => leafHash(l.leaf))).root);
    const store = log.hashStore(ORG);
    for (const [i, l] of all.entries()) {
      const start = await log.proofStart(ORG, l.eventId);
      expect(start.leaf?.leaf).toEqual(l.leaf);
      const proof = await inclusionProof(store, i, all.length);
      expect(rootFromInclusionProof(i, all.length, leafHash(l.leaf), proof)).toEqual(tree.rootHash);
    }

    const down = createDataSource(db.url, 2, MIGRATIONS);
    await down.initialize();
    // Every later migration first, then this one, whatever migrations follow it.
    for (let undo = MIGRATIONS.length - MIGRATIONS.indexOf(LogLeafColumns1765100000000); undo > 0; undo--) await down.undoLastMigration({ transaction: 'each' });
    await down.destroy();
    const restored = await db.query<{ leaf: Buffer }>(`SELECT leaf FROM log_leaves WHERE "organizationId" = $1 ORDER BY "leafIndex"`, [ORG]);
    expect(restored.map((r) => r.leaf)).toEqual(all.map((l) => l.leaf));
  });
});
