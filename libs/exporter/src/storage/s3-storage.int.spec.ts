import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import S3rver from 's3rver';
import { AuthModule, TokensService } from '@audit/auth';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import {
  createTestDatabase,
  freePort,
  generateEvents,
  parseExport,
  startHttpApp,
  startTestNats,
  waitFor,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';
import { ExportsApiModule, ExportWorkerModule } from '../exporter.modules';
import type { ExportView } from '../exports.service';
import { StoredFileMissingError } from './export-storage';
import { S3ExportStorage } from './s3-storage';

const BUCKET = 'audit-exports';

const collect = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** S3-compatible storage against s3rver, a local S3 implementation started by the test on a free port. */
describe('S3 export storage', () => {
  let server: S3rver;
  let dir: string;
  let endpoint: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'audit-s3rver-'));
    const port = await freePort();
    server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
    await server.run();
    endpoint = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const s3Config = () =>
    ({
      kind: 's3',
      bucket: BUCKET,
      prefix: 'exports/',
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }) as const;

  it('writes a multipart object from a stream, reads it back byte for byte, and removes it', async () => {
    const storage = new S3ExportStorage(s3Config());
    const key = `acme/${randomUUID()}-1.csv.gz`;
    // 20 MiB in 1 MiB chunks: three 8 MiB parts.
    const data = randomBytes(20 * 1024 * 1024);
    const source = Readable.from((function* () {
      for (let at = 0; at < data.length; at += 1024 * 1024) yield data.subarray(at, at + 1024 * 1024);
    })());
    expect(await storage.write(key, source)).toEqual({ sizeBytes: data.length });
    expect((await collect(await storage.read(key))).equals(data)).toBe(true);
    await storage.remove(key);
    await expect(storage.read(key)).rejects.toBeInstanceOf(StoredFileMissingError);
    storage.destroy();
  });

  it('a failing source leaves no object behind', async () => {
    const storage = new S3ExportStorage(s3Config());
    const key = `acme/${randomUUID()}-1.csv.gz`;
    // A source that produces 9 MiB (more than one part) and then fails, as a COPY cut off mid-way would.
    const failing = new Readable({ read: () => undefined });
    failing.push(randomBytes(9 * 1024 * 1024));
    setTimeout(() => failing.destroy(new Error('the database went away')), 50);
    await expect(storage.write(key, failing)).rejects.toThrow();
    await expect(storage.read(key)).rejects.toBeInstanceOf(StoredFileMissingError);
    storage.destroy();
  });

  describe('through the exports API and worker', () => {
    let db: TestDatabase;
    let nats: TestNats;
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      db = await createTestDatabase('audit_exports_s3');
      nats = await startTestNats();
      Object.assign(process.env, {
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        AUTH_JWT_SECRET: 's3-exports-test-secret-s3-exports-test',
        EXPORT_S3_BUCKET: BUCKET,
        EXPORT_S3_ENDPOINT: endpoint,
        EXPORT_S3_FORCE_PATH_STYLE: 'true',
        EXPORT_S3_ACCESS_KEY_ID: 'S3RVER',
        EXPORT_S3_SECRET_ACCESS_KEY: 'S3RVER',
        EXPORT_POLL_INTERVAL: '100ms',
        LOG_LEVEL: 'warn',
      });
      ({ app, url } = await startHttpApp([PlatformModule, MessagingModule, PersistenceModule, AuthModule, ExportsApiModule, ExportWorkerModule]));
    });

    afterAll(async () => {
      await app?.close();
      await nats?.destroy();
      await db?.drop();
      for (const name of ['EXPORT_S3_BUCKET', 'EXPORT_S3_ENDPOINT', 'EXPORT_S3_FORCE_PATH_STYLE', 'EXPORT_S3_ACCESS_KEY_ID', 'EXPORT_S3_SECRET_ACCESS_KEY']) delete process.env[name];
    });

    it('exports into the bucket and serves the download from it', async () => {
      const end = new Date(Date.now() - 3_600_000);
      await generateEvents(db, 'acme', 50_000, end);
      const token = await app.get(TokensService).sign({ organizationId: 'acme', role: 'admin', userId: 'admin-1' }, 600);
      const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
      const created = await fetch(`${url}/v1/exports`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ from: new Date(end.getTime() - 86_400_000).toISOString(), to: end.toISOString(), actionType: 'LOGIN' }),
      });
      expect(created.status).toBe(202);
      const { id } = (await created.json()) as { id: string };
      const job = await waitFor('the S3 export', async () => {
        const { items } = (await (await fetch(`${url}/v1/exports`, { headers })).json()) as { items: ExportView[] };
        return items.find((j) => j.id === id && j.status === 'ready');
      });
      expect(job.rowCount).toBe(12_500);
      const res = await fetch(`${url}${job.downloadUrl}`);
      expect(res.status).toBe(200);
      const { rows } = parseExport(Buffer.from(await res.arrayBuffer()));
      expect(rows).toHaveLength(12_500);
      expect(new Set(rows.map((r) => r[2]))).toEqual(new Set(['LOGIN']));
    });
  });
});
