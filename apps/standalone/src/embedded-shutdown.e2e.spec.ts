import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, isListening } from '@audit/embedded';
import { startService } from '@audit/testing';

jest.setTimeout(180_000);

describe('standalone on embedded defaults (npm start)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'audit-standalone-embedded-'));
    chmodSync(dataDir, 0o755); // Postgres runs as its own user when the tests run as root
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops on SIGTERM after draining, and takes its embedded Postgres and nats-server down with it', async () => {
    const pgPort = await freePort();
    const natsPort = await freePort();
    const service = await startService(
      'standalone',
      // Empty URLs: the embedded defaults, whatever the test run's environment sets.
      { DATABASE_URL: '', NATS_URL: '', DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_NATS_PORT: String(natsPort) },
      150_000,
    );
    expect(await isListening(pgPort)).toBe(true);
    expect(await isListening(natsPort)).toBe(true);
    // The platform's own shutdown (consumers drained, then its servers) decides the exit, not a library's signal hook.
    expect(await service.stop()).toBe(0);
    expect(await isListening(natsPort)).toBe(false);
    expect(await isListening(pgPort)).toBe(false);
  });
});
