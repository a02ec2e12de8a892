import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { LEAF_BYTES } from '@audit/persistence';
import { canonicalEvent, runCliProcess, startServiceStores, waitFor, waitForConsumerIdle, type ServiceStores, type TestBus, type TestDatabase } from '@audit/testing';
import { commitmentOf, generateNoteKey, leafBytesOf, leafHash, openCheckpoint, parseLeafBytes, parseSignerKey, parseVerifierKey, rootOf, signCheckpoint } from '@audit/transparency';

jest.setTimeout(180_000);

const PER_ORG = 6;
const CASES = ['clean', 'field', 'deleted', 'inserted', 'swapped', 'truncated', 'resigned'] as const;
type Case = (typeof CASES)[number];
const orgOf = (c: Case) => `tamper_${c}`;

/**
 * The tamper matrix: each case is done directly in Postgres, by someone who can write every table, after
 * the events were sealed and a checkpoint was signed; `verify log`, given only the public key (and for
 * truncation the checkpoint saved earlier), fails with exit code 1 and names the event and why.
 */
describe('verify log: tampering in Postgres after sealing', () => {
  let stores: ServiceStores;
  let db: TestDatabase;
  let bus: TestBus;
  const key = generateNoteKey('audit.test');
  const events = new Map<Case, AuditEvent[]>();
  const saved = new Map<Case, string>();
  let dir: string;

  const verify = (org: string, ...extra: string[]) => runCliProcess(['verify', 'log', '--org', org, '--key', key.verifierKey, ...extra], { DATABASE_URL: db.url });

  beforeAll(async () => {
    stores = await startServiceStores('verify_log');
    ({ db, bus } = stores);
    dir = mkdtempSync(path.join(tmpdir(), 'verify-log-'));
    const services = [await stores.start('writer'), await stores.start('sealer', { SEAL_INTERVAL: '300ms', SEAL_PRIVATE_KEY: key.signerKey })];
    const base = Date.now() - 3_600_000;
    for (const c of CASES) {
      const batch = Array.from({ length: PER_ORG }, (_, i) =>
        canonicalEvent({
          organizationId: orgOf(c),
          actionType: i % 2 === 0 ? 'QUERY_RUN' : 'LOGIN',
          userId: `u-${i}`,
          user: i % 3 === 0 ? null : { email: `u${i}@example.com`, userName: `User ${i}` },
          ipAddress: i % 2 === 0 ? '203.0.113.7' : '2001:db8::1',
          responseTimeMs: i * 10,
          queryName: i % 2 === 0 ? 'getOrders' : null,
          metadata: { query: `select ${i}`, parameters: { id: i } },
          createdAt: new Date(base + i * 1000).toISOString(),
        }),
      );
      events.set(c, batch);
      for (const e of batch) await bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id });
    }
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 60_000);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'sealer', 60_000);
    for (const c of CASES) {
      const [row] = await waitFor(`a checkpoint of ${orgOf(c)}`, async () => {
        const rows = await db.query<{ note: string }>(`SELECT note FROM log_checkpoints WHERE "organizationId" = $1 AND "treeSize" = $2`, [orgOf(c), PER_ORG]);
        return rows.length > 0 ? rows : undefined;
      }, 30_000);
      saved.set(c, row.note);
    }
    // Tampering with a log that keeps growing would race the sealer: the attacker works on a quiet database.
    for (const s of services) await s.kill();
  });

  afterAll(async () => {
    await stores?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const idOf = (c: Case, i: number) => (events.get(c) as AuditEvent[])[i].id;

  it('passes an untouched log: every event verified, exit 0', async () => {
    const result = await verify(orgOf('clean'));
    expect(result.stdout).toContain(`${PER_ORG} verified, 0 erased, 0 failed`);
    expect(result.code).toBe(0);
    const file = path.join(dir, 'clean.checkpoint');
    writeFileSync(file, saved.get('clean') as string);
    expect((await verify(orgOf('clean'), '--checkpoint', file)).code).toBe(0);
  });

  it('names an event whose field was changed', async () => {
    await db.query(`UPDATE audit_trail_events SET "ipAddress" = '198.51.100.9' WHERE id = $1`, [idOf('field', 2)]);
    const result = await verify(orgOf('field'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAILED ${idOf('field', 2)} leaf #\\d+: its content .* is not what was sealed`));
    expect(result.stdout).toContain(`${PER_ORG - 1} verified, 0 erased, 1 failed`);
  });

  it('names an event whose row was deleted', async () => {
    await db.query(`DELETE FROM audit_trail_events WHERE id = $1`, [idOf('deleted', 4)]);
    const result = await verify(orgOf('deleted'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAILED ${idOf('deleted', 4)} leaf #\\d+: the event was sealed but its row is gone`));
  });

  it('names a row inserted outside the pipeline', async () => {
    const forged = canonicalEvent({ organizationId: orgOf('inserted'), actionType: 'LOGIN', userId: 'mallory', createdAt: new Date(Date.now() - 600_000).toISOString() });
    await db.query(
      `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "userId", metadata, "createdAt", "receivedAt") VALUES ($1, $2, 'LOGIN', 'mallory', '{}', $3, $3)`,
      [forged.id, forged.organizationId, forged.createdAt],
    );
    const result = await verify(orgOf('inserted'));
    expect(result.code).toBe(1);
    // Received ten minutes ago, before the received-through time the sealer signed: no pending window excuses it.
    expect(result.stdout).toMatch(new RegExp(`FAILED ${forged.id}: no leaf of the log seals the event, yet it was received at or before \\S+, through which the latest checkpoint holds every event received`));
    expect(result.stdout).toContain(`${PER_ORG} verified, 0 erased, 1 failed`);
  });

  it("names both events when two rows' times are swapped", async () => {
    const [a, b] = [idOf('swapped', 1), idOf('swapped', 3)];
    await db.query(
      `UPDATE audit_trail_events t SET "createdAt" = o."createdAt" FROM audit_trail_events o
       WHERE (t.id, o.id) IN (($1::uuid, $2::uuid), ($2::uuid, $1::uuid))`,
      [a, b],
    );
    const result = await verify(orgOf('swapped'));
    expect(result.code).toBe(1);
    for (const id of [a, b]) expect(result.stdout).toMatch(new RegExp(`FAILED ${id} leaf #\\d+: its createdAt is not the one sealed`));
  });

  it('fails consistency with a saved checkpoint when the newest rows and their leaves were deleted after it was shipped', async () => {
    const org = orgOf('truncated');
    const file = path.join(dir, 'truncated.checkpoint');
    writeFileSync(file, saved.get('truncated') as string);
    const keep = PER_ORG - 2;
    const gone = await db.query<{ eventId: string }>(`SELECT "eventId" FROM log_leaves WHERE "organizationId" = $1 AND "leafIndex" >= $2`, [org, keep]);
    await db.query(`DELETE FROM audit_trail_events WHERE id = ANY($1::uuid[])`, [gone.map((g) => g.eventId)]);
    await db.query(`DELETE FROM log_leaves WHERE "organizationId" = $1 AND "leafIndex" >= $2`, [org, keep]);
    await db.query(`DELETE FROM log_nodes WHERE "organizationId" = $1 AND (index + 1) * (2 ^ level)::bigint > $2`, [org, keep]);
    await db.query(`DELETE FROM log_checkpoints WHERE "organizationId" = $1 AND "treeSize" > $2`, [org, keep]);
    await db.query(`UPDATE log_trees SET size = $2, "sealedSize" = LEAST("sealedSize", $2) WHERE "organizationId" = $1`, [org, keep]);
    // Without the saved checkpoint what is left looks whole (or unsealed): the saved copy is what tells.
    const result = await verify(org, '--checkpoint', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/saved checkpoint \(6 leaves, every event received through \S+\): FAILED: the log holds 4 leaves but this checkpoint covers 6: leaves 4\.\.5 are gone/);
    expect(result.stdout).toContain('FAILED (no event id) leaf #4: leaves 4..5 of the saved checkpoint are gone');
  });

  it('fails the signature when leaves and checkpoints were recomputed and re-signed with another key', async () => {
    const org = orgOf('resigned');
    const mallory = generateNoteKey('audit.test');
    const victim = idOf('resigned', 2);
    const event = (events.get('resigned') as AuditEvent[])[2];
    const [leaf] = await db.query<{ leaf: Buffer; salt: Buffer; user: AuditEvent['user'] }>(
      `SELECT ${LEAF_BYTES('l')} AS leaf, l.salt, l."user" FROM log_leaves l WHERE l."organizationId" = $1 AND l."eventId" = $2`,
      [org, victim],
    );
    const changed = { ...event, user: leaf.user ?? null, ipAddress: '198.51.100.9' };
    const commitment = commitmentOf(changed, leaf.salt.toString('base64'));
    expect(commitment).not.toBe(parseLeafBytes(leaf.leaf).commitment);
    await db.query(`UPDATE audit_trail_events SET "ipAddress" = '198.51.100.9' WHERE id = $1`, [victim]);
    await db.query(`UPDATE log_leaves SET leaf = $3 WHERE "organizationId" = $1 AND "eventId" = $2`, [org, victim, leafBytesOf(event, commitment)]);
    const leaves = await db.query<{ leaf: Buffer }>(`SELECT ${LEAF_BYTES('l')} AS leaf FROM log_leaves l WHERE l."organizationId" = $1 ORDER BY l."leafIndex"`, [org]);
    const root = rootOf(leaves.map((l) => leafHash(l.leaf)));
    const { checkpoint } = openCheckpoint(saved.get('resigned') as string, [parseVerifierKey(key.verifierKey)]);
    const note = signCheckpoint({ ...checkpoint, rootHash: root }, [parseSignerKey(mallory.signerKey)]);
    await db.query(`UPDATE log_checkpoints SET note = $2, "rootHash" = $3 WHERE "organizationId" = $1 AND "treeSize" = $4`, [org, note, root, PER_ORG]);
    await db.query(`UPDATE log_trees SET "rootHash" = $2 WHERE "organizationId" = $1`, [org, root]);
    await db.query(`DELETE FROM log_keys`);
    await db.query(`INSERT INTO log_keys ("verifierKey") VALUES ($1)`, [mallory.verifierKey]);
    const result = await verify(org);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('latest checkpoint: FAILED: its signature does not verify with the given keys');
    expect(result.stdout).toContain(`0 verified, 0 erased, ${PER_ORG} failed`);
  });
});
