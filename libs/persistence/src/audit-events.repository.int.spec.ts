import { Logger } from '@nestjs/common';
import { LIMITS, validateEvent, type AuditEvent } from '@audit/contracts';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { AuditEventsWriteRepository } from './audit-events.repository';
import type { Database } from './database';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

describe('AuditEventsWriteRepository (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let events: AuditEventsWriteRepository;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('persistence_events');
    database = db.database;
    events = new AuditEventsWriteRepository(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const stored = async (id: string) =>
    (
      await db.query<Record<string, unknown>>(
        `SELECT id, "organizationId", "actionType", "userId", "ipAddress", "responseTimeMs", "pageName", "queryName", "resourceName",
                metadata, to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
                to_char("receivedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "receivedAt"
           FROM audit_trail_events WHERE id = $1`,
        [id],
      )
    )[0];
  const users = () => db.query('SELECT id, email, "userName", "organizationId" FROM users ORDER BY id, "organizationId"');

  it('stores every column of the event as it is', async () => {
    const event = canonicalEvent({
      organizationId: 'org_r',
      actionType: 'QUERY_RUN',
      userId: 'u-1',
      ipAddress: '2001:db8::1',
      responseTimeMs: 2_147_483_647,
      pageName: 'Page ü',
      queryName: 'q1',
      resourceName: 'db',
      metadata: { query: "select 'x'", parameters: { a: [1, 2, { b: null }] }, emoji: '🔒' },
      createdAt: '2026-04-05T06:07:08.009Z',
    });
    expect(await events.writeBatch([event])).toBe(1);
    expect(await stored(event.id)).toEqual({
      id: event.id,
      organizationId: 'org_r',
      actionType: 'QUERY_RUN',
      userId: 'u-1',
      ipAddress: '2001:db8::1',
      responseTimeMs: 2_147_483_647,
      pageName: 'Page ü',
      queryName: 'q1',
      resourceName: 'db',
      metadata: { query: "select 'x'", parameters: { a: [1, 2, { b: null }] }, emoji: '🔒' },
      createdAt: '2026-04-05T06:07:08.009Z',
      receivedAt: event.receivedAt,
    });
  });

  it('returns the rows really inserted: a repeated id is skipped, within a batch and across batches', async () => {
    const a = canonicalEvent({ organizationId: 'org_r', actionType: 'LOGIN' });
    const b = canonicalEvent({ organizationId: 'org_r', actionType: 'LOGOUT' });
    expect(await events.writeBatch([a, a, b])).toBe(2);
    expect(await events.writeBatch([b, a])).toBe(0);
    expect(await events.writeBatch([])).toBe(0);
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE id IN ($1, $2)', [a.id, b.id]);
    expect(n).toBe(2);
  });

  it('upserts users from snapshots: newest snapshot wins, each organization its own user, absent snapshots change nothing', async () => {
    const snapshot = (userId: string, email: string, createdAt: string, organizationId = 'org_r'): AuditEvent =>
      canonicalEvent({ organizationId, actionType: 'LOGIN', userId, user: { email, userName: email.split('@')[0] }, createdAt });
    // Newest last in time but first in the batch: order in the batch does not matter, createdAt does.
    await events.writeBatch([snapshot('u-2', 'new@x.io', '2026-01-02T00:00:00Z'), snapshot('u-2', 'old@x.io', '2026-01-01T00:00:00Z')]);
    // The same user id in another organization is another user: stored beside, never over, org_r's.
    await events.writeBatch([snapshot('u-2', 'other@y.io', '2026-01-03T00:00:00Z', 'org_other')]);
    await events.writeBatch([canonicalEvent({ organizationId: 'org_r', actionType: 'LOGIN', userId: 'u-3' })]);
    expect(await users()).toEqual([
      { id: 'u-2', email: 'other@y.io', userName: 'other', organizationId: 'org_other' },
      { id: 'u-2', email: 'new@x.io', userName: 'new', organizationId: 'org_r' },
    ]);
  });

  // Whatever the contract accepts, the table must hold: otherwise ingest answers 202 for an event the
  // writer can only dead-letter, and it never reaches the system of record.
  it('stores the largest responseTimeMs the contract accepts, and the contract refuses one more', async () => {
    const event = canonicalEvent({ organizationId: 'org_r', actionType: 'QUERY_RUN', responseTimeMs: LIMITS.maxResponseTimeMs });
    expect(await events.writeBatch([event])).toBe(1);
    const tooSlow = validateEvent({ organizationId: 'org_r', actionType: 'QUERY_RUN', responseTimeMs: LIMITS.maxResponseTimeMs + 1 }, { now: new Date() });
    expect(tooSlow.ok).toBe(false);
  });

  it('never receives a U+0000 character, which Postgres text and jsonb cannot hold: the contract refuses it', () => {
    const withNul = validateEvent({ organizationId: 'org_r', actionType: 'QUERY_RUN', pageName: 'a\u0000b', metadata: { query: 'x\u0000' } }, { now: new Date() });
    expect(withNul.ok ? [] : withNul.errors.map((e) => e.path)).toEqual(['pageName', 'metadata']);
  });
});
