import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import type { AuditEvent } from '@audit/contracts';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { AuditEventsWriteRepository } from './audit-events.repository';
import type { Database } from './database';
import { ErasuresRepository } from './erasures.repository';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

const HOUR = 3_600_000;

/**
 * An erasure holds for the events in flight when it runs: a writer batch decoded before it and stored after
 * it, or one whose transaction is still open while it runs, stores the person's events received by the
 * erasure emptied, as the erasure left the others.
 */
describe('erasure of events in flight to the writer (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let writer: AuditEventsWriteRepository;
  let erasures: ErasuresRepository;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('persistence_erasure_flight');
    database = db.database;
    writer = new AuditEventsWriteRepository(database);
    erasures = new ErasuresRepository(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const eventOf = (organizationId: string, userId: string, receivedAt: Date): AuditEvent =>
    canonicalEvent(
      {
        organizationId,
        actionType: 'QUERY_RUN',
        userId,
        user: { email: `${userId}@example.com`, userName: userId },
        ipAddress: '203.0.113.7',
        responseTimeMs: 12,
        pageName: 'Reports',
        queryName: 'q',
        resourceName: 'db',
        metadata: { who: userId },
      },
      receivedAt,
    );

  interface Stored {
    id: string;
    userId: string | null;
    ipAddress: string | null;
    responseTimeMs: number | null;
    pageName: string | null;
    queryName: string | null;
    resourceName: string | null;
    metadata: unknown;
  }
  const storedOf = (organizationId: string) =>
    db.query<Stored>(
      `SELECT id, "userId", "ipAddress", "responseTimeMs", "pageName", "queryName", "resourceName", metadata
         FROM audit_trail_events WHERE "organizationId" = $1`,
      [organizationId],
    );
  const emptied = (id: string): Stored => ({ id, userId: null, ipAddress: null, responseTimeMs: null, pageName: null, queryName: null, resourceName: null, metadata: {} });
  const whole = (e: AuditEvent): Stored => ({
    id: e.id,
    userId: e.userId,
    ipAddress: e.ipAddress,
    responseTimeMs: e.responseTimeMs,
    pageName: e.pageName,
    queryName: e.queryName,
    resourceName: e.resourceName,
    metadata: e.metadata,
  });
  const byId = (rows: Stored[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  const usersOf = (organizationId: string) =>
    db.query<{ id: string; email: string | null }>('SELECT id, email FROM users WHERE "organizationId" = $1 ORDER BY id', [organizationId]);

  it('stores emptied an event received before an erasure that ran before it was stored, and later events whole', async () => {
    const org = 'org_flight_late';
    const before = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    const other = eventOf(org, 'bystander', new Date(Date.now() - HOUR));
    await erasures.eraseUser(randomUUID(), org, 'victim', 'test');
    const after = eventOf(org, 'victim', new Date(Date.now() + HOUR));

    expect(await writer.writeBatch([before, other, after])).toBe(3);

    expect(byId(await storedOf(org))).toEqual(byId([emptied(before.id), whole(other), whole(after)]));
    // The snapshot of the erased event is not put back; the later event's is new activity.
    expect(await usersOf(org)).toEqual([
      { id: 'bystander', email: 'bystander@example.com' },
      { id: 'victim', email: 'victim@example.com' },
    ]);
  });

  it('does not put back the snapshot of a person whose only events in the batch were erased', async () => {
    const org = 'org_flight_snapshot';
    const before = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    await erasures.eraseUser(randomUUID(), org, 'victim', 'test');
    await writer.writeBatch([before]);
    expect(await storedOf(org)).toEqual([emptied(before.id)]);
    expect(await usersOf(org)).toEqual([]);
  });

  /**
   * A trigger that sleeps makes the other side's transaction stay open while the one under test runs: a
   * real Postgres race, held open long enough to be certain, not left to chance.
   */
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

  it('empties the events of a writer batch still uncommitted when the erasure runs', async () => {
    const org = 'org_flight_open_batch';
    const event = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    const restore = await slowDown('audit_event_ids', 0.6);
    try {
      const writing = writer.writeBatch([event]);
      await sleep(200); // the batch's INSERT has begun and sleeps, its row not yet committed
      await erasures.eraseUser(randomUUID(), org, 'victim', 'test');
      await writing;
    } finally {
      await restore();
    }
    expect(await storedOf(org)).toEqual([emptied(event.id)]);
  });

  it('empties the events of a writer batch that starts while the erasure is uncommitted', async () => {
    const org = 'org_flight_open_erasure';
    const event = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    const restore = await slowDown('erasures', 0.6);
    try {
      const erasing = erasures.eraseUser(randomUUID(), org, 'victim', 'test');
      await sleep(200); // the erasure has emptied what was stored and sleeps before it commits
      await writer.writeBatch([event]);
      await erasing;
    } finally {
      await restore();
    }
    expect(await storedOf(org)).toEqual([emptied(event.id)]);
  });

  it('property: whatever the interleaving of batches and erasures, each event is stored once, emptied exactly when erased', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // Each event: whose, and whether it was received before the erasures or after them.
        fc.array(fc.record({ victim: fc.boolean(), before: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        // How the events are split into batches (with duplicates: redeliveries) and where the erasures fall.
        fc.array(fc.oneof(fc.constant<'erase'>('erase'), fc.array(fc.nat(), { minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (specs, steps, concurrently) => {
          const org = `org_flight_p${run++}`;
          const now = Date.now();
          const events = specs.map((s) => ({ ...s, event: eventOf(org, s.victim ? 'victim' : 'bystander', new Date(now + (s.before ? -HOUR : HOUR))) }));
          const ops = [...steps, 'erase' as const].map((step) =>
            step === 'erase' ? () => erasures.eraseUser(randomUUID(), org, 'victim', 'test') : () => writer.writeBatch(step.map((i) => events[i % events.length].event)),
          );
          // Every event is delivered at last, as the bus redelivers until acknowledged.
          ops.push(() => writer.writeBatch(events.map((e) => e.event)));
          if (concurrently) await Promise.all(ops.map((op) => op()));
          else for (const op of ops) await op();

          const expected = events
            .filter((e, i) => events.findIndex((o) => o.event.id === e.event.id) === i)
            .map((e) => (e.victim && e.before ? emptied(e.event.id) : whole(e.event)));
          expect(byId(await storedOf(org))).toEqual(byId(expected));
        },
      ),
      { numRuns: 25 },
    );
  });
});
