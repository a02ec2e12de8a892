import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { eventJson, type AuditEvent } from '@audit/contracts';
import { startExport } from '@audit/exporter';
import { eventsSubject, MessagingModule, STREAMS } from '@audit/messaging';
import { AuditEventsWriteRepository, Database, PersistenceModule } from '@audit/persistence';
import { ReceivedThroughBound, SealerModule } from '@audit/sealer';
import { PlatformModule } from '@audit/platform';
import { bootModules, canonicalEvent, startTestPipeline, waitFor, waitForConsumerIdle, type TestPipeline } from '@audit/testing';
import { MemoryExportStorage, runningExportJob } from '@audit/testing-pipeline';
import { generateNoteKey, parseCheckpoint, pendingEventLine, proofLine, receivedThroughOf } from '@audit/transparency';
import type { CliIo } from '../cli-context';
import { runCli } from '../run-cli';

jest.setTimeout(180_000);

const ORG = 'acme_through';
const MINUTE = 60_000;

/** The note's body (before the blank line), parsed. */
const checkpointOf = (note: string) => parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1));

/**
 * The sealer signs `received-through T` into its checkpoints: every event received by T is in the tree it
 * signs. A bundle exported under such a checkpoint whose sealed line is rewritten as "not yet sealed" fails
 * `verify export` (exit 1, naming the event); an event received after the checkpoint stays "not yet sealed".
 */
describe('the sealer signs received-through, and verify export holds bundles to it', () => {
  let pipeline: TestPipeline;
  const key = generateNoteKey('audit.test');
  const dir = mkdtempSync(path.join(tmpdir(), 'verify-through-'));

  beforeAll(async () => {
    pipeline = await startTestPipeline('sealer_received_through', [MessagingModule, PersistenceModule, SealerModule], {
      SEAL_INTERVAL: '300ms',
      SEAL_RECEIVED_MARGIN: '2s',
      SEAL_PRIVATE_KEY: key.signerKey,
    });
  });

  afterAll(async () => {
    await pipeline?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function verifyExport(text: string): Promise<{ code: number; stdout: string }> {
    const file = path.join(dir, `${randomBytes(6).toString('hex')}.bundle`);
    writeFileSync(file, text);
    let stdout = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stdout += t) };
    const code = await runCli(['verify', 'export', file, '--key', key.verifierKey], { io });
    return { code, stdout };
  }

  const publish = async (events: readonly AuditEvent[]): Promise<void> => {
    for (const e of events) await pipeline.bus.js.publish(eventsSubject(e.organizationId, e.actionType), eventJson(e), { msgID: e.id });
  };

  const checkpoints = () =>
    pipeline.db.query<{ treeSize: string; note: string }>(`SELECT "treeSize", note FROM log_checkpoints WHERE "organizationId" = $1 ORDER BY "treeSize"`, [ORG]);

  it('signs a time every event received by which is in the tree, and a bundle under it fails a sealed line rewritten as not yet sealed', async () => {
    const now = Date.now();
    // Received ten minutes ago (as a bus event held back by ingest would be), created hours apart so one export window holds one of them.
    const receivedAt = (i: number) => new Date(now - 10 * MINUTE + i);
    const created = (hours: number) => new Date(now - hours * 60 * MINUTE).toISOString();
    const sealed = [
      canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: 'u-a', createdAt: created(2) }, receivedAt(0)),
      canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: 'u-b', createdAt: created(3) }, receivedAt(1)),
      canonicalEvent({ organizationId: ORG, actionType: 'LOGOUT', userId: 'u-c', createdAt: created(3) }, receivedAt(2)),
    ];
    const database = pipeline.app.get(Database);
    await new AuditEventsWriteRepository(database).writeBatch(sealed);
    await publish(sealed);
    await waitForConsumerIdle(pipeline.bus.jsm, STREAMS.events, 'sealer');
    // One more event once those are acked: its checkpoint is signed with the three behind the ack floor.
    await publish([canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: 'u-d', createdAt: created(3) })]);

    const latest = await waitFor(
      'a checkpoint of 4 leaves that vouches for the three events',
      async () => {
        const rows = await checkpoints();
        const last = rows.at(-1);
        if (!last || Number(last.treeSize) !== 4) return undefined;
        const through = receivedThroughOf(checkpointOf(last.note));
        return through !== null && through >= sealed[2].receivedAt ? { note: last.note, through } : undefined;
      },
      30_000,
    );
    // T can be stood by in every checkpoint signed: each event received by it has a leaf inside that checkpoint's tree.
    for (const row of await checkpoints()) {
      const through = receivedThroughOf(checkpointOf(row.note));
      if (through === null) continue;
      const leaves = await pipeline.db.query<{ leafIndex: string }>(
        `SELECT l."leafIndex" FROM log_leaves l JOIN audit_trail_events e ON e.id = l."eventId" WHERE l."organizationId" = $1 AND e."receivedAt" <= $2`,
        [ORG, through],
      );
      const vouched = sealed.filter((e) => e.receivedAt <= through).length;
      expect(leaves.length).toBe(vouched);
      for (const leaf of leaves) expect(Number(leaf.leafIndex)).toBeLessThan(Number(row.treeSize));
    }
    // Received after the checkpoint was signed, and not in the log yet.
    const later = canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: 'u-later', createdAt: new Date(Date.parse(sealed[0].createdAt) + 1000).toISOString() });
    expect(later.receivedAt > latest.through).toBe(true);
    await new AuditEventsWriteRepository(database).writeBatch([later]);

    const storage = new MemoryExportStorage();
    const from = new Date(Date.parse(sealed[0].createdAt) - 1000);
    const run = await startExport(database, storage, runningExportJob(ORG, { from, to: new Date(from.getTime() + 5000) }, 'bundle'), 1, 1);
    await expect(run.done).resolves.toMatchObject({ rowCount: 2 });
    const text = gunzipSync(storage.only()).toString('utf8');
    expect(text).toContain(latest.note.split('\n')[3]);

    const honest = await verifyExport(text);
    expect(honest.stdout).toContain(`every event received through ${latest.through}`);
    expect(honest.stdout).toMatch(/1 verified, 0 erased, 0 failed/);
    expect(honest.stdout).not.toContain('FAILED');
    // Only the later event is unvouched: "not yet sealed", exit 3, not a failure.
    expect(honest.code).toBe(3);

    // What an editor without the key can make: the sealed line of the first event turned into "not yet
    // sealed", and the proof (of no sealed line now) emptied.
    const lines = text.split('\n').filter((l) => l !== '');
    const sealedLine = lines.findIndex((l) => l.startsWith('{"leafIndex":') && !l.startsWith('{"leafIndex":null'));
    expect(sealedLine).toBeGreaterThan(0);
    lines[sealedLine] = pendingEventLine(eventJson(sealed[0])).trimEnd();
    lines[lines.length - 1] = proofLine([], lines[lines.length - 1].includes('"ranges"') ? [] : null).trimEnd();
    const edited = await verifyExport(`${lines.join('\n')}\n`);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain(`FAILED ${sealed[0].id}`);
    expect(edited.stdout).toMatch(/it says it is not yet sealed, but it was received at/);
    expect(edited.stdout).not.toContain(`FAILED ${later.id}`);
  });

  it("reads what the time needs with the sealer's own bus permissions (a replica connected as the sealer user)", async () => {
    const replica = await bootModules([PlatformModule, MessagingModule, PersistenceModule, SealerModule], {
      DATABASE_URL: pipeline.db.url,
      ...pipeline.nats.env('sealer'),
      NATS_PROVISION_STREAMS: 'false',
      SEAL_INTERVAL: '1h',
      SEAL_RECEIVED_MARGIN: '2s',
      SEAL_PRIVATE_KEY: key.signerKey,
    });
    try {
      const bound = replica.get(ReceivedThroughBound);
      const floor = await bound.readFloor();
      expect(floor).not.toBeNull();
      expect(floor?.ackFloor).toBeGreaterThanOrEqual(4);
      const through = floor && bound.receivedThrough(floor, ORG);
      expect(through).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    } finally {
      await replica.close();
    }
  });
});
