import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { Database, readPersistenceConfig } from '@audit/persistence';
import { HealthRegistry } from '@audit/platform';
import { createTestDatabase, generateEvents, parseExport, type TestDatabase } from '@audit/testing';
import type { ExportJob } from './export-jobs.repository';
import { startExport } from './export-runner';
import type { ExportStorage } from './storage';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const END = new Date(Date.now() - 3_600_000);
const ROWS = 20_000;

/** Keeps written objects in memory; `onFirstChunk` runs once the copy is streaming. */
function memoryStorage(onFirstChunk: () => Promise<void> = async () => undefined): ExportStorage & { objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  return {
    kind: 'local',
    objects,
    async write(key: string, body: Readable) {
      const chunks: Buffer[] = [];
      let first = true;
      for await (const chunk of body) {
        if (first) await onFirstChunk();
        first = false;
        chunks.push(chunk as Buffer);
      }
      objects.set(key, Buffer.concat(chunks));
      return { sizeBytes: objects.get(key)?.length ?? 0 };
    },
    read: () => Promise.reject(new Error('not used')),
    remove: async () => undefined,
    removePartial: async () => undefined,
  };
}

const job = (): ExportJob => ({
  id: randomUUID(),
  organizationId: 'acme',
  requestedBy: null,
  filters: { from: new Date(END.getTime() - 24 * 3_600_000).toISOString(), to: END.toISOString() },
  status: 'running',
  rowCount: 0,
  totalRows: null,
  sizeBytes: null,
  progress: 0,
  storageKey: null,
  error: null,
  attempts: 1,
  lockedBy: 'test',
  heartbeatAt: null,
  createdAt: new Date(),
  startedAt: null,
  finishedAt: null,
  expiresAt: null,
});

describe('startExport on the Database gateway', () => {
  let db: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase('audit_export_runner');
    // One connection: the export after the failed one succeeds only if the dead connection was not pooled again.
    database = new Database(readPersistenceConfig({ DATABASE_URL: db.url, PG_POOL_SIZE: '1' }), new HealthRegistry());
    await database.onModuleInit();
    await generateEvents(db, 'acme', ROWS, END);
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  it('fails an export whose connection dies mid-COPY, discards that connection, and the next export is complete', async () => {
    const killCopy = async (): Promise<void> => {
      const killed = await db.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'COPY%' AND pid <> pg_backend_pid()`,
      );
      expect(killed).toEqual([{ ok: true }]);
    };
    const broken = await startExport(database, memoryStorage(killCopy), job(), 1, 1);
    await expect(broken.done).rejects.toThrow();

    const storage = memoryStorage();
    const next = job();
    const running = await startExport(database, storage, next, 1, 1);
    await expect(running.done).resolves.toMatchObject({ rowCount: ROWS });
    expect(running.progress()).toEqual({ rowCount: ROWS, totalRows: ROWS });
    expect(parseExport([...storage.objects.values()][0]).rows).toHaveLength(ROWS);
  });
});
