import { Logger } from '@nestjs/common';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { AuditEventsWriteRepository } from './audit-events.repository';
import { readPersistenceConfig } from './config';
import type { Database } from './database';
import { monthStart, PartitionManager, partitionName } from './partitions';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

describe('PartitionManager (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let partitions: PartitionManager;
  let events: AuditEventsWriteRepository;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('persistence_partitions');
    database = db.database;
    partitions = new PartitionManager(database, readPersistenceConfig({ DATABASE_URL: db.url, PARTITION_MONTHS_AHEAD: '2' }));
    events = new AuditEventsWriteRepository(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const partitionOf = async (id: string): Promise<string> =>
    (await db.query<{ part: string }>('SELECT tableoid::regclass::text AS part FROM audit_trail_events WHERE id = $1', [id]))[0]?.part;
  const all = () => db.query('SELECT * FROM audit_trail_events ORDER BY id');

  it('moves the rows of a month out of the default partition when that month is created', async () => {
    const july = canonicalEvent({ organizationId: 'org_p', actionType: 'LOGIN', createdAt: '2035-07-15T12:00:00.000Z', metadata: { m: 7 } }, new Date('2035-07-15T12:00:00Z'));
    const julyEdge = canonicalEvent({ organizationId: 'org_p', actionType: 'LOGOUT', createdAt: '2035-07-31T23:59:59.999Z' }, new Date('2035-08-01T00:00:00Z'));
    const august = canonicalEvent({ organizationId: 'org_p', actionType: 'LOGIN', createdAt: '2035-08-01T00:00:00.000Z' }, new Date('2035-08-01T00:00:00Z'));
    expect(await events.writeBatch([july, julyEdge, august])).toBe(3);
    for (const e of [july, julyEdge, august]) expect(await partitionOf(e.id)).toBe('audit_trail_events_default');
    const before = await all();

    expect(await partitions.ensureMonth(monthStart(new Date('2035-07-15T00:00:00Z')))).toBe(true);

    expect(await partitionOf(july.id)).toBe('audit_trail_events_y2035m07');
    expect(await partitionOf(julyEdge.id)).toBe('audit_trail_events_y2035m07');
    expect(await partitionOf(august.id)).toBe('audit_trail_events_default');
    expect(await all()).toEqual(before);
    const [attached] = await db.query<{ bound: string }>(
      `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
        WHERE c.relname = 'audit_trail_events_y2035m07' AND i.inhparent = 'audit_trail_events'::regclass`,
    );
    expect(attached?.bound).toMatch(/^FOR VALUES FROM \('2035-07-01 .*'\) TO \('2035-08-01 .*'\)$/);
  });

  it('keeps writes idempotent in the moved partition, and routes new rows of that month to it', async () => {
    const again = canonicalEvent({ organizationId: 'org_p', actionType: 'LOGIN', createdAt: '2035-07-20T00:00:00.000Z' }, new Date('2035-07-20T00:00:00Z'));
    expect(await events.writeBatch([again])).toBe(1);
    expect(await events.writeBatch([again])).toBe(0);
    expect(await partitionOf(again.id)).toBe('audit_trail_events_y2035m07');
  });

  it('is a no-op for a month that exists, and creates an empty month directly', async () => {
    const count = (await all()).length;
    expect(await partitions.ensureMonth(monthStart(new Date('2035-07-01T00:00:00Z')))).toBe(false);
    expect(await partitions.ensureMonth(monthStart(new Date('2036-01-01T00:00:00Z')))).toBe(true);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail_events_y2036m01`);
    expect(n).toBe(0);
    expect((await all()).length).toBe(count);
  });

  it('ensureAhead creates last month through PARTITION_MONTHS_AHEAD months ahead, once', async () => {
    const now = new Date('2030-01-10T00:00:00Z');
    const expected = [-1, 0, 1, 2].map((offset) => partitionName(monthStart(now, offset)));
    expect(expected).toEqual(['audit_trail_events_y2029m12', 'audit_trail_events_y2030m01', 'audit_trail_events_y2030m02', 'audit_trail_events_y2030m03']);
    expect(await partitions.ensureAhead(now)).toEqual(expected);
    expect(await partitions.ensureAhead(now)).toEqual([]);
  });
});
