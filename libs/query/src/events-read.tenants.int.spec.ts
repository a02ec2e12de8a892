import { Logger } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { AuditEventsWriteRepository, type Database } from '@audit/persistence';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import type { EventFilter } from '@audit/event-filter';
import { EventsReadRepository } from './events-read.repository';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

/**
 * Event ids and user ids are the emitters' own, so two organizations may use the same ones. Written by
 * the writer's repository and read back by the events API's: each organization reads its own event
 * under the shared id, and its own user's e-mail beside it, in a page, by id and in the user list.
 */
describe('reads of two organizations sharing an event id and a user id (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let reads: EventsReadRepository;
  const ACME = 'acme_t';
  const GLOBEX = 'globex_t';
  let acme: AuditEvent;
  let globex: AuditEvent;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('query_tenants');
    database = db.database;
    reads = new EventsReadRepository(database);
    const writer = new AuditEventsWriteRepository(database);

    acme = canonicalEvent({
      organizationId: ACME,
      actionType: 'CREATE_GROUP',
      userId: 'u-1',
      user: { email: 'ada@acme.io', userName: 'Ada' },
      pageName: 'acme page',
      metadata: { group: 'acme admins' },
      createdAt: '2026-05-01T10:00:00Z',
    });
    // The same id and user id, from another organization, a little later and in another batch.
    globex = { ...acme, organizationId: GLOBEX, user: { email: 'bob@globex.io', userName: 'Bob' }, pageName: 'globex page', metadata: { group: 'globex ops' }, createdAt: '2026-05-01T11:00:00.000Z' };
    expect(await writer.writeBatch([acme])).toBe(1);
    expect(await writer.writeBatch([globex])).toBe(1);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('GET /v1/events/:id: each organization reads its own event under the shared id, with its own user', async () => {
    expect(await reads.findOne(ACME, acme.id)).toMatchObject({ organizationId: ACME, pageName: 'acme page', metadata: { group: 'acme admins' }, user: { email: 'ada@acme.io', userName: 'Ada' } });
    expect(await reads.findOne(GLOBEX, acme.id)).toMatchObject({ organizationId: GLOBEX, pageName: 'globex page', metadata: { group: 'globex ops' }, user: { email: 'bob@globex.io', userName: 'Bob' } });
    expect(await reads.findOne('initech_t', acme.id)).toBeNull();
  });

  it('GET /v1/events and /v1/users: each organization sees one event and its own user', async () => {
    const page = async (org: string) => (await reads.page(org, { actionTypes: [] }, 10)).items.map((i) => [i.id, i.pageName, i.user?.email]);
    expect(await page(ACME)).toEqual([[acme.id, 'acme page', 'ada@acme.io']]);
    expect(await page(GLOBEX)).toEqual([[acme.id, 'globex page', 'bob@globex.io']]);
    expect(await reads.users(ACME, undefined, 10)).toEqual([{ id: 'u-1', email: 'ada@acme.io', userName: 'Ada' }]);
    expect(await reads.users(GLOBEX, undefined, 10)).toEqual([{ id: 'u-1', email: 'bob@globex.io', userName: 'Bob' }]);
  });

  it("a search's rows by id: each organization reads its own row under the shared id, and a third none", async () => {
    const rows = async (org: string) =>
      [...(await reads.summariesByIds(org, { actionTypes: [] }, [acme.id], new Date('2026-05-01T00:00:00Z'), new Date('2026-05-02T00:00:00Z'))).values()].map((r) => [r.id, r.pageName, r.user?.email]);
    expect(await rows(ACME)).toEqual([[acme.id, 'acme page', 'ada@acme.io']]);
    expect(await rows(GLOBEX)).toEqual([[acme.id, 'globex page', 'bob@globex.io']]);
    expect(await rows('initech_t')).toEqual([]);
  });

  /** The plan Postgres caches for the first statement `read` sends (its generic plan, forced), as EXPLAIN prints it. */
  const genericPlanOf = async (read: () => Promise<unknown>): Promise<string> => {
    const spy = jest.spyOn(database, 'read');
    try {
      await read();
      const [sql, params] = spy.mock.calls[0];
      return await database.transaction(async (q) => {
        await q.query('SET LOCAL plan_cache_mode = force_generic_plan');
        await q.query(`PREPARE planned AS ${sql}`);
        const values = (params as unknown[]).map((v) =>
          Array.isArray(v) ? `'{${v.map(String).join(',')}}'` : v instanceof Date ? `'${v.toISOString()}'::timestamptz` : `'${String(v)}'`,
        );
        const text = (await q.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE planned(${values.join(', ')})`)).rows.map((r) => r['QUERY PLAN']).join('\n');
        await q.query('DEALLOCATE planned');
        return text;
      });
    } finally {
      spy.mockRestore();
    }
  };

  it("a search's rows by id are read by the primary key in the plan Postgres caches for the prepared statement", async () => {
    const plan = await genericPlanOf(() => reads.summariesByIds(ACME, { actionTypes: [] }, [acme.id], new Date('2026-03-01T00:00:00Z'), new Date('2026-06-01T00:00:00Z')));
    // The generic plan (what Postgres keeps after five runs when it costs no more) guessed a time range holds
    // a few rows of the organization and read every one of them by ("organizationId", "createdAt").
    expect(plan).toContain('$1');
    expect(plan).toMatch(/_pkey/);
    expect(plan).not.toMatch(/organizationId_createdAt/);
  });

  it("a search's Postgres tail finds its organization's events received after the mark, and its plans read them by (organization, receivedAt)", async () => {
    const keys = async (org: string, after: string, filter: EventFilter = { actionTypes: [] }) => (await reads.recentKeys(org, filter, new Date(after), 10)).map((k) => k.id);
    expect(await keys(ACME, '2000-01-01T00:00:00Z')).toEqual([acme.id]);
    expect(await keys(GLOBEX, '2000-01-01T00:00:00Z', { actionTypes: ['CREATE_GROUP'] })).toEqual([acme.id]);
    expect(await keys(ACME, '2000-01-01T00:00:00Z', { actionTypes: ['DELETE_GROUP'] })).toEqual([]);
    expect(await keys(ACME, '2999-01-01T00:00:00Z')).toEqual([]);
    // Through the "receivedAt" BRIN, an empty tail still scanned each partition's whole BRIN and rechecked every
    // organization's events of the newest block ranges (3-4 ms a page at 10M events); the cached generic plan
    // and a custom one must both probe the ("organizationId", "receivedAt") index of each partition instead.
    const generic = await genericPlanOf(() => reads.recentKeys(ACME, { actionTypes: ['CREATE_GROUP'] }, new Date(), 51));
    expect(generic).toContain('$1');
    expect(generic).toMatch(/org_received_idx/);
    expect(generic).not.toMatch(/brin|receivedAt_idx|Seq Scan on audit_trail_events_y/);
  });

  it("the README's organization-safe join shows each event with its own organization's user", async () => {
    const rows = await db.query(
      `select u.email, u."userName", a."actionType", a.metadata
       from audit_trail_events a join users u on a."userId" = u.id and u."organizationId" = a."organizationId"
       where a."actionType" = 'CREATE_GROUP' order by u.email`,
    );
    expect(rows).toEqual([
      { email: 'ada@acme.io', userName: 'Ada', actionType: 'CREATE_GROUP', metadata: { group: 'acme admins' } },
      { email: 'bob@globex.io', userName: 'Bob', actionType: 'CREATE_GROUP', metadata: { group: 'globex ops' } },
    ]);
  });
});
