import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import type { AuditEvent } from '@audit/contracts';
import { HealthRegistry } from '@audit/platform';
import { canonicalEvent, createTestDatabase, type TestDatabase } from '@audit/testing';
import { AuditEventsWriteRepository } from './audit-events.repository';
import { readPersistenceConfig } from './config';
import { Database } from './database';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

/**
 * An event id is used once per organization, for all time: a resend with another `createdAt` (the
 * emitter's retry after the bus's dedup window, with `createdAt` defaulted to the time of receipt), a
 * resend after the first was purged, and copies written by concurrent writers are each stored once;
 * another organization's use of the same id is its own event.
 */
describe('event ids in Postgres (registry audit_event_ids, real Postgres)', () => {
  let db: TestDatabase;
  let databases: Database[];
  let writers: AuditEventsWriteRepository[];

  beforeAll(async () => {
    db = await createTestDatabase('persistence_event_ids');
    // Two writer processes' worth of pools: separate connections, so their transactions really interleave.
    databases = [0, 1].map(() => new Database(readPersistenceConfig({ DATABASE_URL: db.url }), new HealthRegistry()));
    for (const database of databases) await database.onModuleInit();
    writers = databases.map((database) => new AuditEventsWriteRepository(database));
  });

  afterAll(async () => {
    for (const database of databases ?? []) await database.onApplicationShutdown();
    await db?.drop();
  });

  const rowsOf = (id: string) =>
    db.query<{ organizationId: string; createdAt: Date; pageName: string | null }>(
      'SELECT "organizationId", "createdAt", "pageName" FROM audit_trail_events WHERE id = $1 ORDER BY "organizationId"',
      [id],
    );
  const resent = (event: AuditEvent, at: string, changes: Partial<AuditEvent> = {}): AuditEvent => ({ ...event, createdAt: at, receivedAt: at, ...changes });

  it('stores an id resent with another createdAt once: the first copy stays', async () => {
    const first = canonicalEvent({ organizationId: 'org_a', actionType: 'LOGIN', pageName: 'first', createdAt: '2026-01-10T00:00:00Z' });
    expect(await writers[0].writeBatch([first])).toBe(1);
    // Months later, in another partition, and changed: still the same event id.
    expect(await writers[0].writeBatch([resent(first, '2026-03-01T12:00:00.000Z', { pageName: 'second' })])).toBe(0);
    // Two copies in one batch, neither stored before.
    const other = canonicalEvent({ organizationId: 'org_a', actionType: 'LOGOUT', pageName: 'first', createdAt: '2026-02-10T00:00:00Z' });
    expect(await writers[0].writeBatch([other, resent(other, '2026-02-11T00:00:00.000Z', { pageName: 'second' })])).toBe(1);

    expect(await rowsOf(first.id)).toEqual([{ organizationId: 'org_a', createdAt: new Date('2026-01-10T00:00:00Z'), pageName: 'first' }]);
    expect(await rowsOf(other.id)).toEqual([{ organizationId: 'org_a', createdAt: new Date('2026-02-10T00:00:00Z'), pageName: 'first' }]);
  });

  it('keeps an id used after retention purged its event: the registry is never purged', async () => {
    const event = canonicalEvent({ organizationId: 'org_a', actionType: 'LOGIN', createdAt: '2026-01-05T00:00:00Z' });
    expect(await writers[0].writeBatch([event])).toBe(1);
    await db.query('DELETE FROM audit_trail_events WHERE id = $1', [event.id]);
    expect(await writers[0].writeBatch([event])).toBe(0);
    expect(await writers[0].writeBatch([resent(event, new Date().toISOString())])).toBe(0);
    expect(await rowsOf(event.id)).toEqual([]);
    expect(await db.query('SELECT "organizationId" FROM audit_event_ids WHERE id = $1', [event.id])).toEqual([{ organizationId: 'org_a' }]);
  });

  it('stores the same id for two organizations, each its own event, in one batch or in two', async () => {
    const mine = canonicalEvent({ organizationId: 'org_a', actionType: 'LOGIN', pageName: 'a', createdAt: '2026-01-07T00:00:00Z' });
    const theirs: AuditEvent = { ...mine, organizationId: 'org_b', pageName: 'b' };
    expect(await writers[0].writeBatch([mine])).toBe(1);
    expect(await writers[0].writeBatch([theirs])).toBe(1);
    const together = canonicalEvent({ organizationId: 'org_a', actionType: 'LOGIN', pageName: 'a', createdAt: '2026-01-08T00:00:00Z' });
    expect(await writers[0].writeBatch([together, { ...together, organizationId: 'org_b', pageName: 'b' }])).toBe(2);

    for (const id of [mine.id, together.id]) {
      expect((await rowsOf(id)).map((r) => [r.organizationId, r.pageName])).toEqual([
        ['org_a', 'a'],
        ['org_b', 'b'],
      ]);
    }
  });

  it('a skipped copy changes no user: a late resend does not put back the snapshot it carried', async () => {
    const login = (email: string, at: string) =>
      canonicalEvent({ organizationId: 'org_u', actionType: 'LOGIN', userId: 'u-9', user: { email, userName: 'Nine' }, createdAt: at });
    const old = login('old@u.io', '2026-01-01T00:00:00Z');
    await writers[0].writeBatch([old]);
    await writers[0].writeBatch([login('new@u.io', '2026-01-02T00:00:00Z')]);
    // The first event again, after the dedup window: its createdAt is the retry's, the newest of all.
    expect(await writers[0].writeBatch([resent(old, '2026-01-03T00:00:00.000Z')])).toBe(0);
    expect(await db.query(`SELECT email FROM users WHERE "organizationId" = 'org_u' AND id = 'u-9'`)).toEqual([{ email: 'new@u.io' }]);
  });

  it('two writers given overlapping copies at once store exactly one row per organization and id', async () => {
    let run = 0;
    const copy = fc.record({ org: fc.constantFrom('x', 'y'), key: fc.nat({ max: 39 }), minutes: fc.nat({ max: 60 * 24 * 90 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(copy, { maxLength: 60 }), { minLength: 2, maxLength: 6 }), async (batches) => {
        run++;
        // A fresh set of ids every run: 40 keys, each a UUID of its own.
        const ids = Array.from({ length: 40 }, () => canonicalEvent({ organizationId: 'o', actionType: 'LOGIN' }).id);
        const base = Date.parse('2026-01-01T00:00:00Z');
        const toEvent = (c: { org: string; key: number; minutes: number }): AuditEvent => {
          const at = new Date(base + c.minutes * 60_000).toISOString();
          return { ...canonicalEvent({ organizationId: `run${run}_${c.org}`, actionType: 'LOGIN', createdAt: at }), id: ids[c.key], receivedAt: at };
        };
        // Batches alternate between the writers and run concurrently; each writer also repeats the other's batches.
        const work = batches.map((batch, i) => writers[i % 2].writeBatch(batch.map(toEvent)));
        const again = batches.map((batch, i) => writers[(i + 1) % 2].writeBatch([...batch].reverse().map(toEvent)));
        const inserted = (await Promise.all([...work, ...again])).reduce((a, b) => a + b, 0);

        const sent = new Set(batches.flat().map((c) => `run${run}_${c.org}/${ids[c.key]}`));
        const stored = await db.query<{ key: string; n: number; same: boolean }>(
          `SELECT a."organizationId" || '/' || a.id AS key, count(*)::int AS n, bool_and(r."createdAt" = a."createdAt") AS same
             FROM audit_trail_events a JOIN audit_event_ids r ON r."organizationId" = a."organizationId" AND r.id = a.id
            WHERE a."organizationId" LIKE $1 GROUP BY 1`,
          [`run${run}\\_%`],
        );
        expect(inserted).toBe(sent.size);
        expect(new Set(stored.map((s) => s.key))).toEqual(sent);
        expect(stored.every((s) => s.n === 1 && s.same)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});
