import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import type { AuditEvent } from '@audit/contracts';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { AuditEventsScanRepository, type StoredEventRow, type StoredEventsScope } from './audit-events-scan.repository';
import { AuditEventsWriteRepository } from './audit-events.repository';
import type { Database } from './database';
import { pgFailureKind } from './pg-errors';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const DAY = 86_400_000;
const NOW = new Date();
const START = NOW.getTime() - 40 * DAY;

describe('AuditEventsScanRepository (real Postgres)', () => {
  let db: MigratedTestDatabase;
  // One connection: a scan after a failed one succeeds only if the dead connection was not pooled again.
  let database: Database;
  let scans: AuditEventsScanRepository;
  let stored: AuditEvent[];

  beforeAll(async () => {
    db = await createMigratedTestDatabase('persistence_scan', { PG_POOL_SIZE: '1' });
    database = db.database;
    scans = new AuditEventsScanRepository(database);
    stored = Array.from({ length: 60 }, (_, i) =>
      canonicalEvent(
        {
          organizationId: ['a', 'b', 'c'][i % 3],
          actionType: 'LOGIN',
          userId: `u${i % 4}`,
          user: { email: `u${i % 4}@${['a', 'b', 'c'][i % 3]}.test`, userName: `User ${i % 4}` },
          createdAt: new Date(START + i * (13 * 3_600_000)).toISOString(),
        },
        NOW,
      ),
    );
    await new AuditEventsWriteRepository(database).writeBatch(stored);
  });

  afterAll(async () => {
    await db?.close();
  });

  const scanAll = async (scope: StoredEventsScope, pageSize: number): Promise<StoredEventRow[]> => {
    const rows: StoredEventRow[] = [];
    await scans.scan(scope, pageSize, async (page) => {
      expect(page.length).toBeLessThanOrEqual(pageSize);
      rows.push(...page);
    });
    return rows;
  };

  it('counts and pages exactly the events of any scope, each with its own organization’s user', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(undefined, 'a', 'b', 'c', 'none'),
        fc.option(fc.integer({ min: -2, max: 42 }), { nil: undefined }),
        fc.integer({ min: 1, max: 25 }),
        async (organizationId, sinceDays, pageSize) => {
          const since = sinceDays === undefined ? undefined : new Date(START + sinceDays * DAY);
          const expected = stored
            .filter((e) => (organizationId === undefined || e.organizationId === organizationId) && (since === undefined || Date.parse(e.createdAt) >= since.getTime()))
            .map((e) => ({ id: e.id, organizationId: e.organizationId, email: e.user?.email ?? null }))
            .sort((x, y) => x.id.localeCompare(y.id));
          expect(await scans.count({ organizationId, since })).toBe(expected.length);
          const rows = await scanAll({ organizationId, since }, pageSize);
          expect(rows.map((r) => ({ id: r.id, organizationId: r.organizationId, email: r.email })).sort((x, y) => x.id.localeCompare(y.id))).toEqual(expected);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('fails a scan whose connection dies mid-cursor with a transient error, and the next scan is whole', async () => {
    const failure = await scans
      .scan({}, 5, async () => {
        await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'FETCH%' AND pid <> pg_backend_pid()`);
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).not.toBeNull();
    expect(pgFailureKind(failure)).toBe('transient');
    expect(await scanAll({}, 7)).toHaveLength(stored.length);
  });
});
