import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { ClickHouseEventsRepository, encodeEventRow, migrateClickHouse, ProjectionProgress, toClickHouseRow, type ClickHouse, type ClickHouseEventRow, type EncodedEventRow } from '@audit/clickhouse';
import { isErasedBy, type AuditEvent } from '@audit/contracts';
import { AuditEventsScanRepository, AuditEventsWriteRepository, type Database, ErasuresRepository } from '@audit/persistence';
import { canonicalEvent, ROLLUP_CHECKS, testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { OverlappingInserts } from './overlapping-inserts';
import { ProjectionRebuilder } from './projection-rebuilder';
import { projectionStore } from './projection-store';

jest.setTimeout(300_000);
Logger.overrideLogger(['error']);

const HOUR = 3_600_000;

/**
 * An erasure holds for a projector batch in flight when it runs: the projector's own store (Postgres'
 * erasures, embedded chDB) with its batches held at the two points that matter, so each race is forced,
 * not left to chance: an erasure committed while the batch is decoded but not inserted (its ClickHouse
 * statement runs before the rows are there), and one committed after the insert but before the projector
 * reads the erasures (its ClickHouse statement not run yet when the batch is acknowledged).
 */
describe('erasure of events in flight to the projector (Postgres + embedded chDB)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let erasures: ErasuresRepository;
  let ch: TestClickHouse;
  let clickhouse: ClickHouseEventsRepository;
  let progress: ProjectionProgress;
  let orgs = 0;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('projector_erasure_flight');
    database = db.database;
    erasures = new ErasuresRepository(database);
    ch = testClickHouseEnv();
    const client = await ch.client();
    await migrateClickHouse(client);
    clickhouse = new ClickHouseEventsRepository({ client, insertSettings: {} } as unknown as ClickHouse);
    progress = new ProjectionProgress({ client, insertSettings: {} } as unknown as ClickHouse);
  });

  afterAll(async () => {
    await db?.close();
    await ch?.drop();
  });

  const eventOf = (organizationId: string, userId: string, receivedAt: Date): AuditEvent =>
    canonicalEvent(
      {
        organizationId,
        actionType: 'QUERY_RUN',
        userId,
        user: { email: `${userId}@example.com`, userName: userId },
        ipAddress: `203.0.113.${userId.length}`,
        responseTimeMs: 12,
        pageName: 'Reports',
        queryName: 'q',
        resourceName: 'db',
        metadata: { who: userId },
      },
      receivedAt,
    );

  /** A promise to hold a batch back with, its release, and whether the batch has come to it. */
  const gate = () => {
    let open!: () => void;
    let arrive!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    return { opened, open, arrived, arrive };
  };
  type Gate = ReturnType<typeof gate>;

  /**
   * The projector's store (projectionStore, as ProjectorConsumer builds it), each batch stopping at its
   * gates: `insert` before its rows are inserted, `check` after they are, before the erasures are read.
   */
  const heldProjector = () => {
    const gates = new Map<readonly EncodedEventRow[], { insert: Gate; check: Gate }>();
    const gatesOf = (rows: readonly EncodedEventRow[]) => {
      const held = gates.get(rows);
      if (held === undefined) throw new Error('a batch this projector did not start');
      return held;
    };
    const real = projectionStore(clickhouse, progress, erasures);
    const inserts = new OverlappingInserts({
      ...real,
      complete: async (rows, check, signal) => {
        const held = gatesOf(rows);
        held.insert.arrive();
        await held.insert.opened;
        return real.complete(rows, check, signal);
      },
      eraseCovered: async (rows) => {
        const held = gatesOf(rows);
        held.check.arrive();
        await held.check.opened;
        return real.eraseCovered(rows);
      },
    });
    return {
      /** Starts a batch; it runs its duplicate check and stops at its first gate. */
      start(events: readonly AuditEvent[]) {
        const rows = events.map(encodeEventRow);
        const held = { insert: gate(), check: gate() };
        gates.set(rows, held);
        return { ...held, done: inserts.insertNew(rows) };
      },
    };
  };

  type Row = Pick<ClickHouseEventRow, 'id' | 'userId' | 'userEmail' | 'userName' | 'ipAddress' | 'responseTimeMs' | 'pageName' | 'queryName' | 'resourceName' | 'metadata'>;
  const rowsOf = async (organizationId: string): Promise<Row[]> =>
    ch.query<Row>(
      `SELECT toString(id) AS id, userId, userEmail, userName, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata
       FROM audit_events WHERE organizationId = {org:String} ORDER BY id`,
      { org: organizationId },
    );
  const emptied = (e: AuditEvent): Row => ({
    id: e.id,
    userId: null,
    userEmail: null,
    userName: null,
    ipAddress: null,
    responseTimeMs: null,
    pageName: null,
    queryName: null,
    resourceName: null,
    metadata: '{}',
  });
  /** The event's row as ClickHouse keeps it, the columns read back above. */
  const whole = (e: AuditEvent): Row => {
    const { id, userId, userEmail, userName, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata } = toClickHouseRow(e);
    return { id, userId, userEmail, userName, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata };
  };
  const byId = (rows: Row[]): Row[] => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  /** Each rollup, read back, against the same aggregate computed from audit_events. */
  const expectRollupsConsistent = async (): Promise<void> => {
    for (const check of Object.values(ROLLUP_CHECKS)) expect(await ch.query(check.rollup)).toEqual(await ch.query(check.events));
  };

  /** What `POST /v1/erasures` does (EraseUser): Postgres in one transaction, then ClickHouse. */
  const eraseInPostgres = async (org: string, userId: string) => (await erasures.eraseUser(randomUUID(), org, userId, 'test')).record.erasedAt;
  const eraseInClickHouse = (org: string, userId: string, erasedAt: Date) => clickhouse.eraseUser(org, userId, erasedAt);

  it('empties the events of a batch decoded before an erasure and inserted after its ClickHouse statement', async () => {
    const org = `org-flight-${++orgs}`;
    const before = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    const bystander = eventOf(org, 'bystander', new Date(Date.now() - HOUR));
    const batch = heldProjector().start([before, bystander]);
    await batch.insert.arrived;

    const erasedAt = await eraseInPostgres(org, 'victim');
    // Nothing of the person in ClickHouse yet: the erasure's statement empties nothing.
    expect(await eraseInClickHouse(org, 'victim', erasedAt)).toBe(0);
    const later = eventOf(org, 'victim', new Date(Date.now() + HOUR));
    batch.insert.open();
    batch.check.open();
    await batch.done;
    const next = heldProjector().start([later]);
    next.insert.open();
    next.check.open();
    await next.done;

    expect(byId(await rowsOf(org))).toEqual(byId([emptied(before), whole(bystander), whole(later)]));
    await expectRollupsConsistent();
  });

  it('empties, by the time the batch is done, the events of an erasure committed between its insert and its read of the erasures', async () => {
    const org = `org-flight-${++orgs}`;
    const before = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    const bystander = eventOf(org, 'bystander', new Date(Date.now() - HOUR));
    const batch = heldProjector().start([before, bystander]);
    batch.insert.open();
    await batch.check.arrived;
    expect(byId(await rowsOf(org))).toEqual(byId([whole(before), whole(bystander)]));

    // Committed in Postgres; its own ClickHouse statement has not run yet (it runs after this commit).
    const erasedAt = await eraseInPostgres(org, 'victim');
    batch.check.open();
    await batch.done;
    expect(byId(await rowsOf(org))).toEqual(byId([emptied(before), whole(bystander)]));
    await expectRollupsConsistent();

    // The erasure's own statement then finds nothing left to empty.
    expect(await eraseInClickHouse(org, 'victim', erasedAt)).toBe(0);
    await expectRollupsConsistent();
  });

  it('a rebuild empties the events of an erasure committed while it reloads the snapshot it read before', async () => {
    const org = `org-flight-${++orgs}`;
    const before = eventOf(org, 'victim', new Date(Date.now() - HOUR));
    const bystander = eventOf(org, 'bystander', new Date(Date.now() - HOUR));
    await new AuditEventsWriteRepository(database).writeBatch([before, bystander]);
    const held = gate();
    // The real repository, its reload of each page held at the gate.
    const gated = Object.create(clickhouse) as ClickHouseEventsRepository;
    gated.reload = async (rows) => {
      held.arrive();
      await held.opened;
      return clickhouse.reload(rows);
    };
    const client = await ch.client();
    const rebuilder = new ProjectionRebuilder(new AuditEventsScanRepository(database), { client, insertSettings: {} } as unknown as ClickHouse, gated, progress, erasures);
    const rebuilding = rebuilder.rebuild({ organizationId: org });
    await held.arrived;

    // The rebuild cleared ClickHouse and holds the page its snapshot read whole: the erasure's step empties nothing.
    const erasedAt = await eraseInPostgres(org, 'victim');
    expect(await eraseInClickHouse(org, 'victim', erasedAt)).toBe(0);
    held.open();
    expect(await rebuilding).toMatchObject({ postgres: 2, clickhouse: 2 });

    expect(byId(await rowsOf(org))).toEqual(byId([emptied(before), whole(bystander)]));
    await expectRollupsConsistent();
  });

  it('property: whatever the interleaving of events, batches and erasures, no event received by an erasure keeps its content in ClickHouse', async () => {
    type Step = 'publish-victim' | 'publish-bystander' | 'decode' | 'redeliver' | 'advance' | 'erase-postgres' | 'erase-clickhouse';
    const steps: Step[] = ['publish-victim', 'publish-bystander', 'decode', 'redeliver', 'advance', 'erase-postgres', 'erase-clickhouse'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...steps), { minLength: 1, maxLength: 14 }), async (script) => {
        const org = `org-flight-${++orgs}`;
        const projector = heldProjector();
        const events: AuditEvent[] = [];
        const pending: AuditEvent[] = [];
        /** Batches in flight, oldest first, and how far each got: 0 at its insert gate, 1 at its check gate. */
        const batches: Array<{ held: ReturnType<typeof projector.start>; stage: 0 | 1 }> = [];
        const erasedAt: Date[] = [];
        /** Erasures committed in Postgres whose ClickHouse statement has not run yet. */
        const unfinished: Date[] = [];

        const decode = async (batch: AuditEvent[]): Promise<void> => {
          const held = projector.start(batch);
          batches.push({ held, stage: 0 });
          // The projector holds at most two batches (inFlightBatches), and the first waits at its gate.
          if (batches.length === 1) await held.insert.arrived;
        };
        const advance = async (): Promise<void> => {
          const oldest = batches[0];
          if (oldest.stage === 0) {
            oldest.held.insert.open();
            await oldest.held.check.arrived;
            oldest.stage = 1;
          } else {
            oldest.held.check.open();
            await oldest.held.done;
            batches.shift();
            if (batches.length > 0) await batches[0].held.insert.arrived;
          }
        };
        const finishErasures = async (): Promise<void> => {
          for (const at of unfinished.splice(0)) await eraseInClickHouse(org, 'victim', at);
        };

        for (const step of script) {
          switch (step) {
            case 'publish-victim':
            case 'publish-bystander': {
              const event = eventOf(org, step === 'publish-victim' ? 'victim' : 'bystander', new Date());
              events.push(event);
              pending.push(event);
              break;
            }
            case 'decode':
              if (pending.length > 0 && batches.length < 2) await decode(pending.splice(0));
              break;
            case 'redeliver':
              if (events.length > 0 && batches.length < 2) await decode([...events]);
              break;
            case 'advance':
              if (batches.length > 0) await advance();
              break;
            case 'erase-postgres': {
              const at = await eraseInPostgres(org, 'victim');
              erasedAt.push(at);
              unfinished.push(at);
              break;
            }
            case 'erase-clickhouse':
              await finishErasures();
              break;
            default: {
              const unreachable: never = step;
              throw new Error(`unknown step ${String(unreachable)}`);
            }
          }
        }
        // Every erasure finishes, and the bus delivers every event at last.
        await finishErasures();
        if (pending.length > 0) {
          while (batches.length >= 2) await advance();
          await decode(pending.splice(0));
        }
        while (batches.length > 0) await advance();

        const erased = (e: AuditEvent) => e.userId === 'victim' && erasedAt.some((at) => isErasedBy(e, at));
        expect(byId(await rowsOf(org))).toEqual(byId(events.map((e) => (erased(e) ? emptied(e) : whole(e)))));
        await expectRollupsConsistent();
      }),
      { numRuns: 20 },
    );
  });
});
