import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject } from '@audit/messaging';
import {
  canonicalEvent,
  connectTestBus,
  createTestDatabase,
  freePort,
  runCliProcess,
  startTestNats,
  waitFor,
  WORKSPACE_ROOT,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';

const SECRET = 'exporter-app-secret-exporter-app-secret';

/**
 * The deployable exporter app as its own process: ready with its checks, the exports API end to end,
 * the stdout sink on the real stdout (and nothing else there), and a clean exit on SIGTERM.
 */
describe('exporter app', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let exportDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('audit_exporter_app');
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    exportDir = mkdtempSync(path.join(tmpdir(), 'audit-exporter-app-'));
  });

  afterAll(async () => {
    await bus?.close();
    await nats?.destroy();
    await db?.drop();
    rmSync(exportDir, { recursive: true, force: true });
  });

  it('serves exports, streams events to stdout with nothing else there, and exits 0 on SIGTERM', async () => {
    // Spawned here rather than with startService, to keep stdout and stderr apart from the first byte.
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [path.join(WORKSPACE_ROOT, 'scripts/run.js'), 'apps/exporter/src/main.ts'], {
      cwd: WORKSPACE_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        AUTH_JWT_SECRET: SECRET,
        EXPORT_DIR: exportDir,
        EXPORT_POLL_INTERVAL: '100ms',
        LOG_AUDIT_EVENTS: 'true',
        LOG_LEVEL: 'log',
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor('the exporter to be ready', async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr}`);
        return (await fetch(`${url}/readyz`)).status === 200;
      }, 60_000, 200);
      const ready = (await (await fetch(`${url}/readyz`)).json()) as { checks: Record<string, unknown> };
      expect(Object.keys(ready.checks).sort()).toEqual(['consumer:sink-checkpoints', 'consumer:sink-stdout', 'nats', 'postgres']);

      const events: AuditEvent[] = Array.from({ length: 20 }, (_, i) =>
        canonicalEvent({ organizationId: 'acme', actionType: 'LOGIN', userId: `u${i}`, metadata: { line: 'with\nnewline' } }),
      );
      for (const e of events) await bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id });

      // The export API, as an administrator would use it.
      const token = (JSON.parse((await runCliProcess(['token', '--org', 'acme', '--role', 'admin', '--sub', 'admin-1', '--json'], { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET })).stdout) as { token: string }).token;
      const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
      await db.query(
        `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "userId", metadata, "createdAt", "receivedAt")
         VALUES (gen_random_uuid(), 'acme', 'LOGIN', '=HYPERLINK("x")', '{}', now() - interval '1 hour', now())`,
      );
      const created = await fetch(`${url}/v1/exports`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }),
      });
      expect(created.status).toBe(202);
      const { id } = (await created.json()) as { id: string };
      const job = await waitFor('the export', async () => {
        const { items } = (await (await fetch(`${url}/v1/exports`, { headers })).json()) as { items: Array<{ id: string; status: string; downloadUrl?: string }> };
        return items.find((j) => j.id === id && j.status === 'ready');
      });
      const csv = gunzipSync(Buffer.from(await (await fetch(`${url}${job.downloadUrl}`)).arrayBuffer())).toString();
      expect(csv).toContain(`,"'=HYPERLINK(""x"")",`);

      // Every stdout line is one canonical event: the 20 published, the PAGE_EXPORT this export recorded and a
      // PAGE_VIEW for the download (it is a read of the data); the listings of jobs record nothing.
      const isDownload = (e: AuditEvent): boolean => e.actionType === 'PAGE_VIEW' && e.metadata['exportId'] === id;
      const printed = await waitFor('the download on stdout', () => {
        const parsed = stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditEvent);
        return parsed.some(isDownload) ? parsed : undefined;
      });
      expect(printed.slice(0, 20)).toEqual(events);
      const recorded = printed.slice(20);
      expect(recorded.filter((e) => e.actionType === 'PAGE_EXPORT')).toEqual([expect.objectContaining({ userId: 'admin-1', metadata: { exportId: id, filters: expect.any(Object), format: 'csv' } })]);
      expect(recorded.filter(isDownload)).toEqual([expect.objectContaining({ userId: 'admin-1', pageName: 'audit', metadata: { path: `/v1/exports/${id}/download`, exportId: id } })]);
      expect(recorded).toHaveLength(2);
      expect(stdout.endsWith('\n')).toBe(true);
      // The logs went to stderr.
      expect(stderr).toContain('exporter listening');
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // Nothing but events on stdout, to the end.
    expect(stdout.split('\n').filter((l) => l !== '').every((l) => (JSON.parse(l) as AuditEvent).schemaVersion === 1)).toBe(true);
  }, 120_000);
});
