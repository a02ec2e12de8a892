import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { canonicalEvent, privateClickHousePath, runCliProcess, STACK_JWT_SECRET, startServiceStores, waitFor, waitForConsumerIdle, type ServiceStores, type TestBus, type TestDatabase } from '@audit/testing';
import { TokensService } from '@audit/auth';
import type { EventProof } from '@audit/contracts';
import { generateNoteKey, leafHash, openCheckpoint, parseVerifierKey, verifyInclusion } from '@audit/transparency';

jest.setTimeout(240_000);

const ORG = 'acme_erase';
const DAY = 86_400_000;

/**
 * Erasure and a retention purge on a sealed log: the person's data is gone from Postgres and ClickHouse,
 * the leaves of the purged prefix are gone, and `verify log` still proves every remaining event, counts
 * the erased ones as erased and the purged ones as purged, and fails nothing.
 */
describe('erase and retention keep the log provable', () => {
  let stores: ServiceStores;
  let db: TestDatabase;
  let bus: TestBus;
  const store = privateClickHousePath();
  const key = generateNoteKey('audit.test');
  let env: Record<string, string>;

  // Old events first (the prefix a purge removes), then recent ones, then one old event in the middle of the log.
  const old = (i: number) => new Date(Date.now() - 400 * DAY + i * 1000).toISOString();
  const make = (i: number, createdAt: string) =>
    canonicalEvent({
      organizationId: ORG,
      actionType: 'LOGIN',
      userId: `u-${i % 3}`,
      user: { email: `u${i % 3}@example.com`, userName: `User ${i % 3}` },
      ipAddress: '203.0.113.7',
      responseTimeMs: i,
      pageName: 'home',
      metadata: { i },
      createdAt,
    });
  const early = Array.from({ length: 5 }, (_, i) => make(i, old(i)));
  const recent = Array.from({ length: 9 }, (_, i) => make(10 + i, new Date(Date.now() - 60_000 + i).toISOString()));
  const straggler = make(30, old(30));

  const publish = async (events: AuditEvent[]) => {
    for (const e of events) await bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id });
  };
  const idle = async () => {
    for (const durable of ['writer', 'sealer', 'projector']) await waitForConsumerIdle(bus.jsm, STREAMS.events, durable, 60_000);
  };
  const cli = async (args: string[]) => {
    const result = await runCliProcess(args, env);
    if (result.code !== 0) throw new Error(`${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const sealedThrough = (size: number) =>
    waitFor(`a checkpoint of ${size} leaves`, async () => {
      const rows = await db.query<{ n: string }>(`SELECT max("treeSize") AS n FROM log_checkpoints WHERE "organizationId" = $1`, [ORG]);
      return Number(rows[0].n ?? 0) >= size ? true : undefined;
    }, 30_000);

  beforeAll(async () => {
    stores = await startServiceStores('erase_verify');
    ({ db, bus } = stores);
    env = { ...stores.env, CLICKHOUSE_PATH: store.path, CLICKHOUSE_DATABASE: 'audit' };
    await stores.start('writer', env);
    await stores.start('sealer', { ...env, SEAL_INTERVAL: '300ms', SEAL_PRIVATE_KEY: key.signerKey });
    const projector = await stores.start('projector', env, 120_000);
    await publish([...early, ...recent, straggler]);
    await idle();
    await sealedThrough(15);
    // chDB's directory belongs to one process at a time: the CLI opens it next.
    await projector.kill();
  });

  afterAll(async () => {
    await stores?.close();
    store.remove();
  });

  it("erases u-1's data in both stores, purges the old events, and verify log still passes", async () => {
    const erased = JSON.parse(await cli(['erase', '--org', ORG, '--user', 'u-1', '--json'])) as { events: number; userId: string };
    const ofU1 = [...early, ...recent, straggler].filter((e) => e.userId === 'u-1');
    expect(erased).toMatchObject({ userId: 'u-1', events: ofU1.length });

    const rows = await db.query<{ id: string; userId: string | null; ipAddress: string | null; metadata: object }>(
      `SELECT id, "userId", "ipAddress", metadata FROM audit_trail_events WHERE id = ANY($1::uuid[])`,
      [ofU1.map((e) => e.id)],
    );
    expect(rows.every((r) => r.userId === null && r.ipAddress === null && Object.keys(r.metadata).length === 0)).toBe(true);
    expect(await db.query(`SELECT email, "userName" FROM users WHERE "organizationId" = $1 AND id = 'u-1'`, [ORG])).toEqual([{ email: null, userName: null }]);
    const leaves = await db.query<{ salt: Buffer | null }>(`SELECT salt FROM log_leaves WHERE "eventId" = ANY($1::uuid[])`, [ofU1.map((e) => e.id)]);
    expect(leaves.every((l) => l.salt === null)).toBe(true);
    const inClickHouse = JSON.parse(
      await cli(['sql', `SELECT countIf(userId = 'u-1' OR userEmail = 'u1@example.com' OR userName = 'User 1') AS n, countIf(userId IS NULL AND metadata = '{}') AS emptied FROM audit_events FINAL WHERE organizationId = '${ORG}'`, '--format', 'json']),
    ) as Array<{ n: string; emptied: string }>;
    expect({ n: Number(inClickHouse[0].n), emptied: Number(inClickHouse[0].emptied) }).toEqual({ n: 0, emptied: ofU1.length });

    await cli(['retention', 'set', '--org', ORG, '--days', '30']);
    await cli(['retention', 'run']);
    const left = await db.query<{ n: string; first: string }>(`SELECT count(*) AS n, min("leafIndex") AS first FROM log_leaves WHERE "organizationId" = $1`, [ORG]);
    expect(Number(left[0].first)).toBe(early.length);

    // The erasure and the retention change were recorded as events: let the writer and sealer take them, so the log covers them.
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 60_000);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'sealer', 60_000);
    await sealedThrough(17);
    const result = await runCliProcess(['verify', 'log', '--org', ORG, '--key', key.verifierKey], env);
    const erasedRemaining = ofU1.filter((e) => e !== straggler && !early.includes(e)).length;
    const verifiedRemaining = recent.length - erasedRemaining + 2; // + the erasure's own event and the retention change's
    expect(result.stdout).toContain(`${verifiedRemaining} verified, ${erasedRemaining} erased, 0 failed, 1 purged by retention`);
    expect(result.code).toBe(0);

    // Every remaining event's proof still leads to the signed root: the purged prefix's hashes stayed.
    const query = await stores.start('query', { ...env, AUDIT_READS: 'false' });
    const tokens = new TokensService({ jwtSecret: new TextEncoder().encode(STACK_JWT_SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
    const token = await tokens.sign({ organizationId: ORG, role: 'admin', userId: 'admin-1' }, 3600);
    for (const e of [...recent, straggler]) {
      const res = await fetch(`${query.url}/v1/events/${e.id}/proof`, { headers: { authorization: `Bearer ${token}` } });
      expect({ id: e.id, status: res.status }).toEqual({ id: e.id, status: 200 });
      const proof = (await res.json()) as EventProof;
      const { checkpoint } = openCheckpoint(proof.checkpoint.note, [parseVerifierKey(key.verifierKey)]);
      verifyInclusion(proof.leafIndex, proof.treeSize, leafHash(Buffer.from(proof.leaf, 'base64')), proof.inclusionProof.map((h) => Buffer.from(h, 'base64')), checkpoint.rootHash);
    }

    // The same events as a verifiable export, checked offline with the public key alone.
    const exportDir = mkdtempSync(path.join(tmpdir(), 'bundle-'));
    try {
      const jobId = randomUUID();
      await db.query(`INSERT INTO export_jobs (id, "organizationId", "requestedBy", filters, format) VALUES ($1, $2, 'test', '{}', 'bundle')`, [jobId, ORG]);
      await stores.start('exporter', { ...env, EXPORT_DIR: exportDir, EXPORT_POLL_INTERVAL: '200ms' });
      const [job] = await waitFor('the bundle export', async () => {
        const rows = await db.query<{ status: string; storageKey: string; error: string | null }>(`SELECT status, "storageKey", error FROM export_jobs WHERE id = $1`, [jobId]);
        return rows[0]?.status === 'ready' || rows[0]?.status === 'failed' ? rows : undefined;
      }, 60_000);
      expect({ status: job.status, error: job.error }).toEqual({ status: 'ready', error: null });
      const bundle = await runCliProcess(['verify', 'export', path.join(exportDir, job.storageKey), '--key', key.verifierKey], env);
      expect(bundle.stdout).toContain(`${verifiedRemaining} verified, ${erasedRemaining} erased, 0 failed`);
      expect(bundle.code).toBe(0);
      const other = generateNoteKey('audit.test');
      const forged = await runCliProcess(['verify', 'export', path.join(exportDir, job.storageKey), '--key', other.verifierKey], env);
      expect(forged.code).toBe(1);
      expect(forged.stdout).toContain('its signature does not verify with the given keys');
    } finally {
      rmSync(exportDir, { recursive: true, force: true });
    }
  });
});
