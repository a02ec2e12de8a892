import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { CompactRange, leafBytesOf, leafHash } from '@audit/transparency';
import type { Database } from './database';
import { LEAF_BYTES, partsGiveLeaf, TransparencyLogRepository, type AppendContext, type NewLogLeaf } from './transparency-log.repository';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

type Stored = { leafIndex: string; eventId: string; leaf: Buffer; salt: Buffer; user: NewLogLeaf['user'] };

/** Text Postgres can hold in text and jsonb (no NUL) and the contract allows (no lone surrogate). */
const storableText = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength }).filter((s) => !s.includes('\u0000'));

/**
 * The repository's append as the sealer uses it: leaves go to Postgres by binary COPY, and a batch assumed
 * fresh skips the look-up of sealed ids, relying on log_leaves' uniqueness to refuse a sealed one.
 */
describe('appending to a log (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let log: TransparencyLogRepository;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('persistence_log_append');
    database = db.database;
    log = new TransparencyLogRepository(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  /** A planner that appends `leaves` after the locked head (skipping sealed ids), keeping what it was shown. */
  function planner(make: Array<Omit<NewLogLeaf, 'leafIndex'>>, seen: AppendContext[] = []) {
    return async (context: AppendContext) => {
      seen.push(context);
      const fresh = make.filter((l) => !context.sealed.has(l.eventId));
      if (fresh.length === 0) return null;
      const range = await CompactRange.load(context.store, context.head.size);
      const grown = range.append(fresh.map((l) => leafHash(l.leaf)));
      return {
        leaves: fresh.map((l, k) => ({ ...l, leafIndex: context.head.size + k })),
        nodes: grown.nodes,
        head: { size: grown.range.size, rootHash: grown.root },
      };
    };
  }

  const leafFor = (eventId: string, i: number): Omit<NewLogLeaf, 'leafIndex'> => ({
    eventId,
    leaf: Buffer.from(`{"i":${i}}`),
    salt: Buffer.alloc(32, i),
    user: null,
  });

  it('stores every column of every leaf as given, whatever the organization, bytes and user snapshot', async () => {
    const leafArb = fc.record({
      eventId: fc.uuid(),
      leaf: fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      salt: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b)),
      user: fc.option(fc.record({ email: storableText(40), userName: storableText(40) }), { nil: null }),
    });
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.uniqueArray(leafArb, { minLength: 1, maxLength: 30, selector: (l) => l.eventId.toLowerCase() }), async (suffix, leaves) => {
        const org = `p-${randomUUID().slice(0, 8)}-${suffix}`.slice(0, 64);
        const written = await log.append(org, leaves.map((l) => l.eventId), planner(leaves), true);
        expect(written?.head.size).toBe(leaves.length);
        const rows = await db.query<Stored>(`SELECT "leafIndex", "eventId", leaf, salt, "user" FROM log_leaves WHERE "organizationId" = $1 ORDER BY "leafIndex"`, [org]);
        expect(rows).toEqual(leaves.map((l, i) => ({ leafIndex: String(i), eventId: l.eventId.toLowerCase(), leaf: l.leaf, salt: l.salt, user: l.user })));
      }),
      { numRuns: 40 },
    );
  });

  /** A v1 leaf of `eventId` in `org` with these members, as the sealer hands it over: its bytes and its parts. */
  const v1Leaf = (org: string, eventId: string, m: { actionType: string; commitment: Buffer; createdAt: string; receivedAt: string }): Omit<NewLogLeaf, 'leafIndex'> => {
    const leaf = leafBytesOf({ id: eventId, organizationId: org, actionType: m.actionType, createdAt: m.createdAt, receivedAt: m.receivedAt }, m.commitment.toString('base64'));
    return { eventId, leaf, salt: Buffer.alloc(32, 7), user: null, parts: m };
  };
  const leafTime = fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString());

  it('a v1 leaf handed over with its parts is kept as them where they give its bytes back, as its bytes otherwise; every read gives the exact bytes and hash', async () => {
    const leafArb = fc.record({
      eventId: fc.uuid().map((id) => id.toLowerCase()),
      actionType: fc.oneof(fc.constantFrom('QUERY_RUN', 'USER_LOGGED_IN', 'APP_DEPLOYED'), fc.stringMatching(/^[A-Za-z0-9_"\\]{1,30}$/)),
      commitment: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b)),
      createdAt: leafTime,
      receivedAt: leafTime,
    });
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.uniqueArray(leafArb, { minLength: 1, maxLength: 20, selector: (l) => l.eventId }), async (suffix, made) => {
        const org = `v1-${randomUUID().slice(0, 8)}-${suffix}`;
        const leaves = made.map(({ eventId, ...m }) => v1Leaf(org, eventId, m));
        await log.append(org, leaves.map((l) => l.eventId), planner(leaves), true);
        const rows = await db.query<{ kept: boolean; leaf: Buffer; hash: Buffer }>(
          `SELECT l.leaf IS NOT NULL AS kept, ${LEAF_BYTES('l')} AS leaf, sha256('\\x00'::bytea || ${LEAF_BYTES('l')}) AS hash FROM log_leaves l WHERE l."organizationId" = $1 ORDER BY l."leafIndex"`,
          [org],
        );
        expect(rows.map((r) => r.leaf.toString('utf8'))).toEqual(leaves.map((l) => l.leaf.toString('utf8')));
        expect(rows.map((r) => r.hash)).toEqual(leaves.map((l) => leafHash(l.leaf)));
        expect(rows.map((r) => r.kept)).toEqual(leaves.map((l) => !partsGiveLeaf(org, l.eventId, l.parts as NonNullable<NewLogLeaf['parts']>)));
        // The proof's read of the first leaf and its hash as proofs compute it.
        const start = await log.proofStart(org, leaves[0].eventId);
        expect(start.leaf?.leaf).toEqual(leaves[0].leaf);
        expect(await log.hashStore(org).getNodes([{ level: 0, index: 0 }])).toEqual([leafHash(leaves[0].leaf)]);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps the parts alone for the usual leaf, and the bytes for one whose parts would not give them back (a year before 1000, an id in capitals)', async () => {
    const org = 'org_leaf_parts';
    const m = { actionType: 'QUERY_RUN', commitment: Buffer.alloc(32, 9), createdAt: '2026-12-07T06:30:00.123Z', receivedAt: '2026-12-07T06:30:00.456Z' };
    const usual = v1Leaf(org, randomUUID(), m);
    const old = v1Leaf(org, randomUUID(), { ...m, createdAt: '0999-01-01T00:00:00.000Z' });
    const upper = v1Leaf(org, randomUUID().toUpperCase(), m);
    await log.append(org, [usual, old, upper].map((l) => l.eventId), planner([usual, old, upper]), true);
    const rows = await db.query<{ leaf: Buffer | null; actionType: string | null; bytes: Buffer }>(
      `SELECT l.leaf, l."actionType", ${LEAF_BYTES('l')} AS bytes FROM log_leaves l WHERE l."organizationId" = $1 ORDER BY l."leafIndex"`,
      [org],
    );
    expect(rows.map((r) => [r.leaf === null, r.actionType])).toEqual([
      [true, 'QUERY_RUN'],
      [false, null],
      [false, null],
    ]);
    expect(rows.map((r) => r.bytes)).toEqual([usual.leaf, old.leaf, upper.leaf]);
  });

  it('a batch wrongly assumed fresh is refused by the unique event id and appended again with the look-up: each id once, no gap', async () => {
    const org = 'org_assumed_fresh';
    const ids = Array.from({ length: 6 }, () => randomUUID());
    const first = ids.slice(0, 4).map(leafFor);
    expect((await log.append(org, ids.slice(0, 4), planner(first), true))?.head.size).toBe(4);

    // Two sealed ids among two new ones, assumed fresh: the first try writes nothing, the second reads the sealed ids.
    const again = ids.slice(2).map((id, k) => leafFor(id, 10 + k));
    const seen: AppendContext[] = [];
    const written = await log.append(org, ids.slice(2), planner(again, seen), true);
    expect(seen.map((c) => ({ sealedRead: c.sealedRead, sealed: [...c.sealed].sort(), size: c.head.size }))).toEqual([
      { sealedRead: false, sealed: [], size: 4 },
      { sealedRead: true, sealed: ids.slice(2, 4).sort(), size: 4 },
    ]);
    expect(written?.leaves.map((l) => [l.leafIndex, l.eventId])).toEqual([
      [4, ids[4]],
      [5, ids[5]],
    ]);
    const rows = await db.query<{ eventId: string; leaf: Buffer }>(`SELECT "eventId", leaf FROM log_leaves WHERE "organizationId" = $1 ORDER BY "leafIndex"`, [org]);
    expect(rows.map((r) => r.eventId)).toEqual(ids);
    // The leaves the failed try sent are nowhere: indexes 2 and 3 still hold the first batch's.
    expect(rows.map((r) => r.leaf.toString())).toEqual(['{"i":0}', '{"i":1}', '{"i":2}', '{"i":3}', '{"i":12}', '{"i":13}']);
    const [tree] = await db.query<{ size: string; rootHash: Buffer }>(`SELECT size, "rootHash" FROM log_trees WHERE "organizationId" = $1`, [org]);
    expect(Number(tree.size)).toBe(6);
    expect(tree.rootHash).toEqual(CompactRange.empty().append(rows.map((r) => leafHash(r.leaf))).root);
  });

  it('refuses an event id that is not a UUID before sending anything (36 characters with a non-hex digit, a misplaced dash, or a non-ASCII character whose low bits spell a hex digit)', async () => {
    for (const id of ['0190a0e4-7c1b-7d3e-8f21-3b6c9d0e1f2g', '0190a0e47-c1b-7d3e-8f21-3b6c9d0e1f2a', '0190a0e4-7c1b-7d3e-8f21-3b6c9d0e1f2\u00e1']) {
      await expect(log.append('org_bad_uuid', [id], planner([leafFor(id, 1)]), true)).rejects.toThrow(/is not a UUID/);
    }
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_leaves WHERE "organizationId" = 'org_bad_uuid'`);
    expect(n).toBe(0);
  });

  it('a failure other than a sealed id is not retried', async () => {
    const org = 'org_bad_salt';
    const seen: AppendContext[] = [];
    const bad = [{ ...leafFor(randomUUID(), 1), salt: Buffer.alloc(31) }];
    await expect(log.append(org, [bad[0].eventId], planner(bad, seen), true)).rejects.toThrow(/31 bytes/);
    expect(seen).toHaveLength(1);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_leaves WHERE "organizationId" = $1`, [org]);
    expect(n).toBe(0);
  });
});
