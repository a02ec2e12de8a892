import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TestingModule } from '@nestjs/testing';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { bootModules, createTestDatabase, generateEvents, startService, startTestNats, waitFor, type TestDatabase, type TestNats } from '@audit/testing';
import { ExportJobsRepository } from './export-jobs.repository';
import { ExportWorkerModule } from './exporter.modules';

const END = new Date(Date.now() - 3_600_000);

describe('export workers', () => {
  let db: TestDatabase;
  let exportDir: string;
  const filters = (minutes: number) => ({ from: new Date(END.getTime() - minutes * 60_000).toISOString(), to: END.toISOString() });

  beforeAll(async () => {
    db = await createTestDatabase('audit_export_workers');
    exportDir = mkdtempSync(path.join(tmpdir(), 'audit-export-workers-'));
  });

  afterAll(async () => {
    await db?.drop();
    rmSync(exportDir, { recursive: true, force: true });
  });

  describe('in process', () => {
    const contexts: TestingModule[] = [];

    beforeAll(async () => {
      const env = {
        DATABASE_URL: db.url,
        EXPORT_DIR: exportDir,
        EXPORT_POLL_INTERVAL: '100ms',
        EXPORT_WORKER_CONCURRENCY: '3',
        LOG_LEVEL: 'warn',
      };
      // Two worker processes' worth of workers: separate contexts, separate pools, three loops each.
      contexts.push(await bootModules([PlatformModule, PersistenceModule, ExportWorkerModule], env));
      contexts.push(await bootModules([PlatformModule, PersistenceModule, ExportWorkerModule], env));
      await generateEvents(db, 'acme', 20_000, END);
    });

    afterAll(async () => {
      for (const context of contexts) await context.close();
    });

    it('claims each job exactly once however many claim at the same moment', async () => {
      const ids = Array.from({ length: 40 }, () => randomUUID());
      // Parked at 100 attempts, so the running worker loops (3 attempts at most) leave them alone, while the
      // 16 claimers below, on two separate pools, race for them through the repository with a higher bound.
      await db.query(`INSERT INTO export_jobs (id, "organizationId", filters, attempts) SELECT unnest($1::uuid[]), 'race', '{}'::jsonb, 100`, [ids]);
      const repositories = contexts.map((c) => c.get(ExportJobsRepository));
      const claimed: string[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          for (;;) {
            const job = await repositories[i % 2].claim(`claimer-${i}`, 60_000, 1_000);
            if (!job) return;
            expect(job).toMatchObject({ status: 'running', lockedBy: `claimer-${i}`, attempts: 101 });
            claimed.push(job.id);
          }
        }),
      );
      expect(claimed.sort()).toEqual([...ids].sort());
      await db.query(`DELETE FROM export_jobs WHERE "organizationId" = 'race'`);
    });

    it('runs every job once across two workers with three loops each', async () => {
      const jobs = contexts[0].get(ExportJobsRepository);
      const created = await Promise.all(
        Array.from({ length: 24 }, (_, i) => jobs.create({ id: randomUUID(), organizationId: 'acme', requestedBy: null, filters: filters(1 + i) })),
      );
      const rows = await waitFor('every job to be ready', async () => {
        const result = await db.query<{ id: string; status: string; attempts: number; rowCount: string; storageKey: string }>(
          `SELECT id, status, attempts, "rowCount", "storageKey" FROM export_jobs WHERE "organizationId" = 'acme'`,
        );
        return result.every((r) => r.status === 'ready') ? result : undefined;
      });
      expect(rows).toHaveLength(created.length);
      for (const r of rows) {
        expect(r.attempts).toBe(1);
        // One file per job, written by its first (only) attempt.
        expect(r.storageKey).toBe(`acme/${r.id}-1.csv.gz`);
      }
      expect(readdirSync(path.join(exportDir, 'acme')).sort()).toEqual(rows.map((r) => `${r.id}-1.csv.gz`).sort());
      // 100 events a second, 20000 in all: a window of n minutes holds 6000·n of them.
      const byId = new Map(created.map((job, i) => [job.id, Math.min(20_000, (1 + i) * 6_000)]));
      for (const r of rows) expect(Number(r.rowCount)).toBe(byId.get(r.id));
    });
  });

  describe('as processes', () => {
    let nats: TestNats;

    beforeAll(async () => {
      nats = await startTestNats();
    });

    afterAll(async () => {
      await nats?.destroy();
    });

    it('a worker killed mid-export leaves the job to another, which completes it', async () => {
      const env = {
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        AUTH_JWT_SECRET: 'worker-kill-secret-worker-kill-secret',
        EXPORT_DIR: exportDir,
        EXPORT_POLL_INTERVAL: '100ms',
        EXPORT_HEARTBEAT_INTERVAL: '200ms',
        EXPORT_JOB_STALE_AFTER: '1s',
        // The slowest gzip, so the export is still running when the worker is killed.
        EXPORT_GZIP_LEVEL: '9',
      };
      const first = await startService('exporter', env);
      const id = randomUUID();
      try {
        await generateEvents(db, 'big', 300_000, END);
        await db.query(`INSERT INTO export_jobs (id, "organizationId", filters) VALUES ($1, 'big', $2)`, [id, JSON.stringify(filters(60))]);
        const running = await waitFor(
          'the export to be under way',
          async () => {
            const [job] = await db.query<{ status: string; rowCount: string; lockedBy: string }>('SELECT status, "rowCount", "lockedBy" FROM export_jobs WHERE id = $1', [id]);
            return job.status === 'running' && Number(job.rowCount) > 0 ? job : undefined;
          },
          30_000,
          20,
        );
        expect(Number(running.rowCount)).toBeLessThan(300_000);
      } finally {
        await first.kill();
      }
      const [orphan] = await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM export_jobs WHERE id = $1', [id]);
      expect(orphan).toEqual({ status: 'running', attempts: 1 });
      expect(existsSync(path.join(exportDir, 'big', `${id}-1.csv.gz.partial`))).toBe(true);

      const second = await startService('exporter', { ...env, EXPORT_GZIP_LEVEL: '1' });
      try {
        const done = await waitFor(
          'the export to be completed by the second worker',
          async () => {
            const [job] = await db.query<{ status: string; attempts: number; rowCount: string; storageKey: string; error: string | null }>(
              'SELECT status, attempts, "rowCount", "storageKey", error FROM export_jobs WHERE id = $1',
              [id],
            );
            if (job.status === 'failed') throw new Error(job.error ?? 'failed');
            return job.status === 'ready' ? job : undefined;
          },
          60_000,
        );
        expect(done).toMatchObject({ attempts: 2, rowCount: '300000', storageKey: `big/${id}-2.csv.gz` });
        const lines = gunzipSync(readFileSync(path.join(exportDir, done.storageKey))).toString('utf8').split('\r\n');
        expect(lines[lines.length - 1]).toBe('');
        const ids = new Set(lines.slice(1, -1).map((line) => line.slice(0, 36)));
        expect(ids.size).toBe(300_000);
        // The dead attempt's partial file was cleaned up by the attempt that finished.
        expect(readdirSync(path.join(exportDir, 'big'))).toEqual([`${id}-2.csv.gz`]);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    }, 180_000);
  });
});
