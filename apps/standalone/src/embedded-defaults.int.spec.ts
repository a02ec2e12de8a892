import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureEmbeddedDefaults, freePort, issueEmitterCredentials } from '@audit/embedded';
import { provisionStreamsAs } from '@audit/messaging';

describe('embedded defaults (npm start without DATABASE_URL / NATS_URL)', () => {
  const saved = { ...process.env };
  let dataDir: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'audit-embedded-'));
    chmodSync(dataDir, 0o755); // Postgres runs as its own user when the tests run as root
    delete process.env.DATABASE_URL;
    delete process.env.NATS_URL;
    delete process.env.AUTH_SECRET_FILE;
    process.env.DATA_DIR = dataDir;
    process.env.EMBEDDED_PG_PORT = String(await freePort());
    process.env.EMBEDDED_NATS_PORT = String(await freePort());
  });

  afterEach(() => {
    process.env = { ...saved };
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts a real Postgres and a JetStream server, reuses them from a second process, and stops them', async () => {
    const first = await ensureEmbeddedDefaults(() => undefined, provisionStreamsAs);
    try {
      expect(first.started).toEqual(['postgres', 'nats']);
      const pg = new Client({ connectionString: process.env.DATABASE_URL });
      await pg.connect();
      const { rows } = await pg.query('select current_database() as db');
      await pg.end();
      expect(rows[0].db).toBe('audit');
      // The server runs with the platform's users: this process is the `platform` user, the streams were
      // provisioned for it, and nothing connects without a password.
      expect(process.env.NATS_USER).toBe('platform');
      expect(process.env.NATS_PROVISION_STREAMS).toBe('false');
      const nc = await connect({ servers: process.env.NATS_URL, user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD });
      const jsInfo = await nc.request('$JS.API.INFO', '');
      await nc.close();
      expect(JSON.parse(new TextDecoder().decode(jsInfo.data))).toMatchObject({ streams: 4 });
      await expect(connect({ servers: process.env.NATS_URL, reconnect: false, timeout: 2_000 })).rejects.toThrow(/Authorization Violation/i);
      // An organization's emitter user, issued on the running server (`npm run cli -- emitter`): it may
      // publish its raw events, acked on its own inbox.
      const emitter = await issueEmitterCredentials(String(process.env.NATS_EMBEDDED_DIR), String(process.env.NATS_URL), 'acme');
      const ec = await connect({ servers: process.env.NATS_URL, user: emitter.user, pass: emitter.password, inboxPrefix: emitter.inboxPrefix });
      const ack = await jetstream(ec).publish('audit.ingest.acme', JSON.stringify({ organizationId: 'acme', actionType: 'LOGIN' }));
      await ec.close();
      expect(ack.stream).toBe('AUDIT_INGEST');
      expect(process.env.AUTH_SECRET_FILE).toBe(path.join(dataDir, 'auth-secret'));

      // A CLI run beside a running platform: the same servers, nothing started twice.
      const urls = { db: process.env.DATABASE_URL, nats: process.env.NATS_URL, password: process.env.NATS_PASSWORD };
      delete process.env.DATABASE_URL;
      delete process.env.NATS_URL;
      delete process.env.NATS_PASSWORD;
      const second = await ensureEmbeddedDefaults(() => undefined, provisionStreamsAs);
      expect(second.started).toEqual([]);
      expect({ db: process.env.DATABASE_URL, nats: process.env.NATS_URL, password: process.env.NATS_PASSWORD }).toEqual(urls);
    } finally {
      await first.stop();
    }
    await expect(connect({ servers: `nats://127.0.0.1:${process.env.EMBEDDED_NATS_PORT}`, reconnect: false, timeout: 1000 })).rejects.toThrow();
  }, 120_000);

  it('leaves configured servers alone', async () => {
    process.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
    process.env.NATS_URL = 'nats://127.0.0.1:4222';
    const result = await ensureEmbeddedDefaults(() => undefined, provisionStreamsAs);
    expect(result.started).toEqual([]);
    expect(process.env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/test');
  });
});
