import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, startService, startTestNats, type TestDatabase, type TestNats } from '@audit/testing';

/** The deployable sealer app boots on its own, reports what it depends on, keeps its key private, and stops cleanly on SIGTERM. */
describe('sealer app', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('audit_sealer_app');
    nats = await startTestNats();
    dir = mkdtempSync(path.join(tmpdir(), 'sealer-app-'));
  });

  afterAll(async () => {
    await nats?.destroy();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready with exactly its own checks, generates its key (0600) and lists it, serves metrics, and exits 0 on SIGTERM', async () => {
    const keyFile = path.join(dir, 'keys', 'seal-key');
    const service = await startService('sealer', { DATABASE_URL: db.url, NATS_URL: nats.url, SEAL_KEY_FILE: keyFile, SEAL_KEY_NAME: 'audit.example' });
    try {
      const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect(ready.status).toBe('ready');
      expect(Object.keys(ready.checks).sort()).toEqual(['consumer:sealer', 'nats', 'postgres']);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${service.url}/metrics`)).text()).toContain('audit_process_');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyFile, 'utf8')).toMatch(/^PRIVATE\+KEY\+audit\.example\+[0-9a-f]{8}\+/);
      const keys = await db.query<{ verifierKey: string }>('SELECT "verifierKey" FROM log_keys');
      expect(keys.map((k) => k.verifierKey)).toEqual([expect.stringMatching(/^audit\.example\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/)]);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 90_000);

  it('refuses to start with a signing key that is not one, naming SEAL_PRIVATE_KEY', async () => {
    const started = startService('sealer', { DATABASE_URL: db.url, NATS_URL: nats.url, SEAL_PRIVATE_KEY: 'PRIVATE+KEY+audit+00000000+AAAA' }, 20_000);
    await expect(started).rejects.toThrow(/SEAL_PRIVATE_KEY is not a signer key/);
  }, 60_000);
});
