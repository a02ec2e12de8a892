import type { TestingModule } from '@nestjs/testing';
import { Client } from 'pg';
import { ClickHouseModule } from '@audit/clickhouse';
import { monthStart, PartitionManager, partitionName, PersistenceModule, RetentionPoliciesRepository } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { bootModules, createTestDatabase, testClickHouseEnv, waitFor, type TestClickHouse, type TestDatabase } from '@audit/testing';
import { RetentionRunnerModule } from './retention.module';
import { RetentionRunner } from './retention.runner';

jest.setTimeout(600_000);

const DAY = 86_400_000;
const WRITER_APP = 'retention-test-writer';

/**
 * Samples pg_stat_activity: for every writer backend found waiting on a heavyweight lock, how long its
 * current statement has been waiting, measured by Postgres's own clock (like log_lock_waits would report).
 */
class LockWaitMonitor {
  samples = 0;
  waits = 0;
  maxWaitMs = 0;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(private readonly client: Client) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        const { rows } = await this.client.query<{ ms: number }>(
          `SELECT extract(epoch FROM clock_timestamp() - query_start) * 1000 AS ms
           FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND wait_event_type = 'Lock'`,
          [WRITER_APP],
        );
        this.samples++;
        for (const r of rows) {
          this.waits++;
          this.maxWaitMs = Math.max(this.maxWaitMs, Number(r.ms));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** Inserts small batches like the writer does, until stopped: new events, and late events of a kept organization into the month being purged. */
class Writer {
  inserted = { recent: 0, late: 0 };
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly lateMonth: Date,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.client.query(
          `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "createdAt", "receivedAt")
           SELECT gen_random_uuid(), CASE WHEN g = 0 THEN 'keep' ELSE 'bulk' END, 'LOGIN',
                  CASE WHEN g = 0 THEN $1::timestamptz + random() * interval '20 days' ELSE now() END, now()
           FROM generate_series(0, 19) g`,
          [this.lateMonth],
        );
        this.inserted.recent += 19;
        this.inserted.late += 1;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

describe('retention under load and across instances', () => {
  let db: TestDatabase;
  let ch: TestClickHouse;
  let first: TestingModule;
  let second: TestingModule;
  const clients: Client[] = [];

  const connect = async (applicationName: string): Promise<Client> => {
    const client = new Client({ connectionString: db.url, application_name: applicationName });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_retention_load');
    ch = testClickHouseEnv('audit_retention_load');
    const env = { DATABASE_URL: db.url, ...ch.env, AUDIT_RETENTION_DAYS: '30' };
    first = await bootModules([PlatformModule, PersistenceModule, ClickHouseModule, RetentionRunnerModule], env);
    second = await bootModules([PlatformModule, PersistenceModule, ClickHouseModule, RetentionRunnerModule], env);
    await first.get(PartitionManager).ensureAhead();
  });

  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await second?.close();
    await first?.close();
    await ch?.drop();
    await db?.drop();
  });

  it('two instances at once: one acts, the other skips and says so', async () => {
    await db.query(`INSERT INTO audit_trail_events (id, "organizationId", "actionType", "createdAt", "receivedAt") VALUES (gen_random_uuid(), 'two', 'LOGIN', now() - interval '40 days', now())`);
    // Keep the first instance inside its locked section: its policy read waits behind this lock.
    const blocker = await connect('retention-test-blocker');
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE retention_policies IN ACCESS EXCLUSIVE MODE');
    const acting = first.get(RetentionRunner).run();
    await waitFor('the first instance to wait inside its run', async () => {
      const rows = await db.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM retention_policies%'`);
      return rows.length > 0;
    });
    const skipping = await second.get(RetentionRunner).run();
    await blocker.query('COMMIT');
    const acted = await acting;
    expect(skipping.skipped).toMatch(/another retention instance/);
    expect(skipping.outcomes).toEqual([]);
    expect(acted.skipped).toBeNull();
    expect(acted.outcomes).toEqual([expect.objectContaining({ organizationId: 'two', store: 'postgres', rows: 1, ok: true })]);
    expect(await db.query(`SELECT 1 FROM audit_trail_events WHERE "organizationId" = 'two'`)).toEqual([]);
  });

  it('purges a month of 1M rows while a writer inserts: no insert waits on a lock for a second, nothing newer is deleted', async () => {
    const now = new Date();
    const shared = monthStart(new Date(now.getTime() - 100 * DAY)); // 'bulk' (30 days) and 'keep' (400 days): batched deletes
    const whole = monthStart(new Date(now.getTime() - 200 * DAY)); // 'bulk' only: detached and dropped
    await first.get(RetentionPoliciesRepository).setDays('keep', 400);
    const partitions = first.get(PartitionManager);
    await partitions.ensureMonth(shared);
    await partitions.ensureMonth(whole);
    const loadStarted = Date.now();
    await db.query(
      `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "createdAt", "receivedAt")
       SELECT gen_random_uuid(), CASE WHEN g % 1000 = 0 THEN 'keep' ELSE 'bulk' END, 'LOGIN', t, t
       FROM generate_series(0, 999999) g, LATERAL (SELECT $1::timestamptz + (g * interval '2 seconds') AS t) x`,
      [shared],
    );
    await db.query(
      `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "createdAt", "receivedAt")
       SELECT gen_random_uuid(), 'bulk', 'LOGIN', $1::timestamptz + g * interval '20 seconds', now() FROM generate_series(0, 99999) g`,
      [whole],
    );
    await db.query('ANALYZE audit_trail_events');
    process.stderr.write(`loaded 1.1M rows in ${Date.now() - loadStarted} ms\n`);

    const monitor = new LockWaitMonitor(await connect('retention-test-monitor'));
    const writer = new Writer(await connect(WRITER_APP), shared);
    monitor.start();
    writer.start();

    // The instrument first: a lock held for 400 ms in front of the writer must show up as a wait.
    const holder = await connect('retention-test-holder');
    await waitFor('the writer to insert', async () => writer.inserted.recent > 0);
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE audit_trail_events IN ACCESS EXCLUSIVE MODE');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await holder.query('COMMIT');
    await waitFor('the monitor to have seen the held lock', async () => monitor.maxWaitMs >= 250);
    monitor.maxWaitMs = 0;
    monitor.waits = 0;

    const samplesBefore = monitor.samples;
    const insertedBefore = writer.inserted.recent;
    const report = await first.get(RetentionRunner).run({ now });
    await writer.stop();
    await monitor.stop();
    process.stderr.write(
      `purge: ${report.finishedAt.getTime() - report.startedAt.getTime()} ms, ${JSON.stringify(report.outcomes.map((o) => [o.store, o.action, o.partition, o.organizationId, o.rows]))}; ` +
        `writer inserted ${writer.inserted.recent - insertedBefore} recent rows meanwhile; lock-wait samples ${monitor.samples - samplesBefore}, waits seen ${monitor.waits}, longest ${monitor.maxWaitMs.toFixed(1)} ms\n`,
    );

    expect(report.ok).toBe(true);
    expect(report.outcomes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ store: 'postgres', action: 'delete', partition: partitionName(shared), organizationId: 'bulk', rows: 999_000 }),
        expect.objectContaining({ store: 'postgres', action: 'partition_drop', partition: partitionName(whole), organizationId: 'bulk', rows: 100_000 }),
      ]),
    );
    // The instrument was watching throughout, and the writer kept writing.
    expect(monitor.samples - samplesBefore).toBeGreaterThan(20);
    expect(writer.inserted.recent).toBeGreaterThan(insertedBefore);
    expect(monitor.maxWaitMs).toBeLessThan(1_000);

    const counts = await db.query<{ org: string; old: string; recent: string }>(
      `SELECT "organizationId" AS org, count(*) FILTER (WHERE "createdAt" < $1) AS old, count(*) FILTER (WHERE "createdAt" >= $1) AS recent
       FROM audit_trail_events WHERE "organizationId" IN ('bulk', 'keep') GROUP BY 1 ORDER BY 1`,
      [new Date(now.getTime() - 30 * DAY)],
    );
    expect(counts).toEqual([
      { org: 'bulk', old: '0', recent: String(writer.inserted.recent) },
      { org: 'keep', old: String(1_000 + writer.inserted.late), recent: '0' },
    ]);
    expect(await db.query('SELECT to_regclass($1) AS t', [partitionName(whole)])).toEqual([{ t: null }]);
  });
});
