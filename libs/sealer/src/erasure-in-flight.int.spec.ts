import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import type { AuditEvent } from '@audit/contracts';
import { AuditEventsWriteRepository, type Database, ErasuresRepository, TransparencyLogRepository } from '@audit/persistence';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { LogAppender } from './log-appender';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

const HOUR = 3_600_000;

/**
 * An erasure holds for the log too when events are in flight: a sealer that lags (appends after the
 * erasure), one whose append is still open while the erasure runs, and one ahead of the writer (it sealed
 * an event the erasure could not find in the events table yet) all end with no salt and no `user`
 * snapshot kept for the person's events received by the erasure; the leaves themselves stay.
 */
describe('erasure of events in flight to the log (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let writer: AuditEventsWriteRepository;
  let erasures: ErasuresRepository;
  let appender: LogAppender;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('sealer_erasure_flight');
    database = db.database;
    writer = new AuditEventsWriteRepository(database);
    erasures = new ErasuresRepository(database);
    appender = new LogAppender(new TransparencyLogRepository(database));
  });

  afterAll(async () => {
    await db?.close();
  });

  const eventOf = (organizationId: string, userId: string, receivedAt: Date): AuditEvent =>
    canonicalEvent({ organizationId, actionType: 'LOGIN', userId, user: { email: `${userId}@example.com`, userName: userId }, metadata: { who: userId } }, receivedAt);
  const erase = (org: string) => erasures.eraseUser(randomUUID(), org, 'victim', 'test');

  /** Each leaf of the organization: its event, and whether it keeps a salt and a snapshot. */
  const leavesOf = (organizationId: string) =>
    db.query<{ eventId: string; salt: boolean; user: boolean }>(
      `SELECT "eventId", salt IS NOT NULL AS salt, "user" IS NOT NULL AS "user" FROM log_leaves WHERE "organizationId" = $1 ORDER BY "eventId"`,
      [organizationId],
    );
  const kept = (id: string) => ({ eventId: id, salt: true, user: true });
  const erased = (id: string) => ({ eventId: id, salt: false, user: false });
  const sorted = <T extends { eventId: string }>(rows: T[]) => [...rows].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));

  it('a sealer lagging behind the erasure appends the erased event without salt or snapshot, a later one with them', async () => {
    const org = 'org_seal_late';
    const before = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    const other = eventOf(org, 'bystander', new Date(Date.now() - HOUR));
    await writer.writeBatch([before, other]);
    await erase(org);
    const after = eventOf(org, 'victim', new Date(Date.now() + HOUR));
    await appender.append(org, [before, other, after]);
    expect(await leavesOf(org)).toEqual(sorted([erased(before.id), kept(other.id), kept(after.id)]));
  });

  it('a sealer ahead of the writer: the leaf loses its salt once the lagging writer stores the event emptied', async () => {
    const org = 'org_seal_ahead';
    const before = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    await appender.append(org, [before]);
    await erase(org); // the events table does not hold the event yet: the erasure cannot find its leaf
    await writer.writeBatch([before]);
    expect(await leavesOf(org)).toEqual([erased(before.id)]);
  });

  /** A trigger that sleeps holds the other side's transaction open while the one under test runs. */
  const slowDown = async (table: string, seconds: number): Promise<() => Promise<void>> => {
    const name = `slow_${table}`;
    await db.query(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${seconds}); RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
    return async () => {
      await db.query(`DROP TRIGGER ${name} ON ${table}`);
      await db.query(`DROP FUNCTION ${name}()`);
    };
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('empties a leaf whose append is still uncommitted when the erasure runs', async () => {
    const org = 'org_seal_open_append';
    const event = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    await writer.writeBatch([event]);
    const restore = await slowDown('log_leaves', 0.6);
    try {
      const appending = appender.append(org, [event]);
      await sleep(200);
      await erase(org);
      await appending;
    } finally {
      await restore();
    }
    expect(await leavesOf(org)).toEqual([erased(event.id)]);
  });

  it('empties a leaf appended while the erasure is uncommitted', async () => {
    const org = 'org_seal_open_erasure';
    const event = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    await writer.writeBatch([event]);
    const restore = await slowDown('erasures', 0.6);
    try {
      const erasing = erase(org);
      await sleep(200);
      await appender.append(org, [event]);
      await erasing;
    } finally {
      await restore();
    }
    expect(await leavesOf(org)).toEqual([erased(event.id)]);
  });

  it('property: whatever the interleaving of writes, appends and erasures, each event is sealed once and keeps its salt exactly when not erased', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ victim: fc.boolean(), before: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        fc.array(
          fc.oneof(
            fc.constant({ kind: 'erase' as const, picks: [] as number[] }),
            fc.record({ kind: fc.constantFrom('write' as const, 'seal' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        fc.boolean(),
        async (specs, steps, concurrently) => {
          const org = `org_seal_p${run++}`;
          const now = Date.now();
          const events = specs.map((s) => ({ ...s, event: eventOf(org, s.victim ? 'victim' : 'bystander', new Date(now + (s.before ? -HOUR : HOUR))) }));
          const pick = (picks: number[]) => picks.map((i) => events[i % events.length].event);
          const ops = [...steps, { kind: 'erase' as const, picks: [] }].map((step) =>
            step.kind === 'erase' ? () => erase(org) : step.kind === 'write' ? () => writer.writeBatch(pick(step.picks)) : () => appender.append(org, pick(step.picks)),
          );
          // Every event reaches both the writer and the sealer at last, as the bus redelivers until acknowledged.
          const all = events.map((e) => e.event);
          ops.push(() => writer.writeBatch(all), () => appender.append(org, all));
          // The appender's cached frontier is per organization and process: concurrent appends of one log
          // serialize on its tree lock, as two sealers' do.
          if (concurrently) await Promise.all(ops.map((op) => op()));
          else for (const op of ops) await op();

          const expected = events
            .filter((e, i) => events.findIndex((o) => o.event.id === e.event.id) === i)
            .map((e) => (e.victim && e.before ? erased(e.event.id) : kept(e.event.id)));
          expect(await leavesOf(org)).toEqual(sorted(expected));
        },
      ),
      { numRuns: 25 },
    );
  });
});
