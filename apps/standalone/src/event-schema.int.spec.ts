import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TestingModule } from '@nestjs/testing';
import { parse } from 'csv-parse/sync';
import { migrateClickHouse } from '@audit/clickhouse';
import { CLICKHOUSE_EVENT_COLUMNS, CSV_EVENT_COLUMNS, EVENT_FIELDS, POSTGRES_EVENT_COLUMNS } from '@audit/contracts';
import { ExportJobsRepository, ExportWorkerModule } from '@audit/exporter';
import { AuditEventsWriteRepository, PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { bootModules, canonicalEvent, createTestDatabase, testClickHouseEnv, waitFor, type TestClickHouse, type TestDatabase } from '@audit/testing';

/**
 * The event field table (`EVENT_FIELDS`) against the real stores: the columns of the migrated Postgres
 * table, of the migrated ClickHouse table and the header of a real export are exactly what the table
 * declares, in its order. A field added to the contract but forgotten in a migration or the export (or a
 * column added by a migration but not to the table) fails here.
 */
describe('every field of the event table in every store', () => {
  let db: TestDatabase;
  let ch: TestClickHouse;
  let exportDir: string;
  let context: TestingModule;

  beforeAll(async () => {
    db = await createTestDatabase('audit_event_schema');
    ch = testClickHouseEnv('audit_event_schema');
    exportDir = mkdtempSync(path.join(tmpdir(), 'audit-event-schema-'));
    context = await bootModules([PlatformModule, PersistenceModule, ExportWorkerModule], {
      DATABASE_URL: db.url,
      EXPORT_DIR: exportDir,
      EXPORT_POLL_INTERVAL: '100ms',
      LOG_LEVEL: 'warn',
    });
    await migrateClickHouse(await ch.client());
  });

  afterAll(async () => {
    await context?.close();
    await db?.drop();
    await ch?.drop();
    rmSync(exportDir, { recursive: true, force: true });
  });

  it('the Postgres table audit_trail_events has exactly the columns the table declares, in its order', async () => {
    // A partitioned table's own columns (its partitions repeat them).
    const rows = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'audit_trail_events' ORDER BY ordinal_position`,
    );
    expect(rows.map((r) => r.column_name)).toEqual(POSTGRES_EVENT_COLUMNS);
  });

  it('the user snapshot, which audit_trail_events does not hold, has its columns in the users table', async () => {
    const rows = await db.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users'`);
    expect(rows.map((r) => r.column_name)).toEqual(expect.arrayContaining(['organizationId', 'id', 'email', 'userName']));
  });

  it('the ClickHouse table audit_events has exactly the columns the table declares, in its order (besides columns ClickHouse computes from them, such as searchText)', async () => {
    const rows = await ch.query<{ name: string }>(`SELECT name FROM system.columns WHERE database = {db:String} AND table = 'audit_events' AND default_kind != 'MATERIALIZED' ORDER BY position`, { db: ch.database });
    expect(rows.map((r) => r.name)).toEqual(CLICKHOUSE_EVENT_COLUMNS);
  });

  it("an export's CSV header is the table's CSV columns with the user's e-mail and name after userId, and each cell holds its field's stored value", async () => {
    const event = canonicalEvent({
      organizationId: 'schema',
      actionType: 'QUERY_RUN',
      userId: 'u-1',
      user: { email: 'ann@acme.test', userName: 'ann' },
      ipAddress: '10.0.0.1',
      responseTimeMs: 42,
      pageName: 'page',
      queryName: 'query',
      resourceName: 'resource',
      metadata: { query: 'select 1' },
      createdAt: new Date(Date.now() - 60_000),
    });
    await context.get(AuditEventsWriteRepository).writeBatch([event]);
    const job = await context.get(ExportJobsRepository).create({ id: randomUUID(), organizationId: 'schema', requestedBy: null, filters: {} });
    const storageKey = await waitFor('the export to be ready', async () => {
      const [row] = await db.query<{ status: string; storageKey: string }>(`SELECT status, "storageKey" FROM export_jobs WHERE id = $1`, [job.id]);
      return row.status === 'ready' ? row.storageKey : undefined;
    });
    const [header, cells] = parse(gunzipSync(readFileSync(path.join(exportDir, storageKey))).toString('utf8')) as string[][];
    const userAt = CSV_EVENT_COLUMNS.indexOf('userId') + 1;
    expect(header).toEqual([...CSV_EVENT_COLUMNS.slice(0, userAt), 'userEmail', 'userName', ...CSV_EVENT_COLUMNS.slice(userAt)]);
    expect(cells.slice(userAt, userAt + 2)).toEqual(['ann@acme.test', 'ann']);
    // jsonb prints its own spacing, so metadata compares as JSON; every other cell is the value's text.
    const cell = (name: string, text: string): unknown => (name === 'metadata' ? JSON.parse(text) : text);
    const csvFields = EVENT_FIELDS.filter((f) => f.csv !== null);
    const tableCells = [...cells.slice(0, userAt), ...cells.slice(userAt + 2)];
    expect(Object.fromEntries(csvFields.map((f, i) => [f.name, cell(f.name, tableCells[i])]))).toEqual(
      Object.fromEntries(csvFields.map((f) => [f.name, f.name === 'metadata' ? event.metadata : String(event[f.name])])),
    );
  });
});
