import { Logger } from '@nestjs/common';
import { type Database, LEAF_BYTES, TransparencyLogRepository } from '@audit/persistence';
import { AppError } from '@audit/platform';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase, insertSeedEvents, sealDirectly } from '@audit/testing-pipeline';
import { generateNoteKey, leafHash, parseLeafBytes, rootOf, verifyConsistency, verifyInclusion } from '@audit/transparency';
import { LogReads } from './log-reads';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const ORG = 'org_purged';
const SIZE = 13;
const KEPT_FROM = 6;

/**
 * Consistency and inclusion proofs after retention purged a prefix of the log: from every tree size at or
 * past the purged prefix they still verify; from a size inside it (whose hashes the purge dropped) the
 * answer is a 400 naming `first`, never a 500.
 */
describe('LogReads over a log whose first leaves retention purged (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let reads: LogReads;
  const roots: Buffer[] = [];
  const events = Array.from({ length: SIZE }, (_, i) => canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: `u-${i}`, metadata: { i } }));

  beforeAll(async () => {
    db = await createMigratedTestDatabase('log_reads_purged');
    database = db.database;
    const key = generateNoteKey('audit.test').signerKey;
    await sealDirectly(database, ORG, events.slice(0, 5), key);
    await sealDirectly(database, ORG, events.slice(5), key);
    // Only the events from KEPT_FROM on are still stored: the purge drops the leaves before them.
    await insertSeedEvents(
      (sql, params) => db.query(sql, params),
      events.slice(KEPT_FROM).map((e) => ({ id: e.id, organizationId: ORG, actionType: e.actionType, createdAt: new Date(e.createdAt), responseTimeMs: null })),
    );
    const leaves = await db.query<{ leaf: Buffer }>(`SELECT ${LEAF_BYTES('l')} AS leaf FROM log_leaves l WHERE l."organizationId" = $1 ORDER BY l."leafIndex"`, [ORG]);
    const hashes = leaves.map((l) => leafHash(l.leaf));
    for (let n = 0; n <= SIZE; n++) roots.push(rootOf(hashes.slice(0, n)));
    const log = new TransparencyLogRepository(database);
    expect(await log.pruneAfterPurge(ORG)).toEqual({ purgedBefore: KEPT_FROM, leaves: KEPT_FROM });
    reads = new LogReads(log);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('proves every pair of sizes from the purged prefix on (and from 0); from inside it, proves or refuses naming first', async () => {
    const refused: string[] = [];
    for (let first = 0; first <= SIZE; first++) {
      for (let second = first; second <= SIZE; second++) {
        const answer = await reads.consistency(ORG, first, second).catch((error: unknown) => error);
        if (answer instanceof Error) {
          expect({ first, answer }).toMatchObject({ first: expect.any(Number), answer: expect.any(AppError) });
          expect(first > 0 && first < KEPT_FROM).toBe(true);
          expect(answer).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'first', reason: expect.stringContaining(`is below ${KEPT_FROM}`) }] });
          refused.push(`${first}..${second}`);
          continue;
        }
        const proof = (answer as { proof: string[] }).proof.map((h) => Buffer.from(h, 'base64'));
        expect(() => verifyConsistency(first, second, roots[first], roots[second], proof)).not.toThrow();
      }
    }
    // From 1 to the whole tree needs the purged leaf 1's own hash, which only the purged prefix held.
    expect(refused).toContain(`1..${SIZE}`);
  });

  it('still proves every remaining event, and no longer knows the purged ones', async () => {
    for (const [i, e] of events.entries()) {
      if (i < KEPT_FROM) {
        await expect(reads.eventProof(ORG, e.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        continue;
      }
      const proof = await reads.eventProof(ORG, e.id);
      const leaf = Buffer.from(proof.leaf, 'base64');
      expect(parseLeafBytes(leaf).id).toBe(e.id);
      verifyInclusion(i, SIZE, leafHash(leaf), proof.inclusionProof.map((h) => Buffer.from(h, 'base64')), roots[SIZE]);
    }
  });
});
