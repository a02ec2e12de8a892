import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditEvent } from '@audit/contracts';
import {
  BUNDLE_RANGE_LEAVES,
  bundleHeaderLine,
  CompactRange,
  generateNoteKey,
  InMemoryHashStore,
  leafHash,
  openingText,
  parseSignerKey,
  pendingEventLine,
  proofLine,
  rangeHashes,
  receivedThroughLine,
  sealedEventLine,
  sealEvent,
  signCheckpoint,
} from '@audit/transparency';
import type { CliIo } from '../cli-context';
import { runCli } from '../run-cli';

const KEY = generateNoteKey('audit.test');
const EVENT: AuditEvent = {
  schemaVersion: 1,
  id: '0190f0c8-8a4e-7c3b-9d2a-000000000001',
  organizationId: 'acme',
  actionType: 'LOGIN',
  userId: 'u-1',
  user: { email: 'ada@example.com', userName: 'Ada' },
  ipAddress: '203.0.113.7',
  responseTimeMs: 12,
  pageName: null,
  queryName: null,
  resourceName: null,
  metadata: {},
  createdAt: '2026-03-01T12:00:00.000Z',
  receivedAt: '2026-03-01T12:00:00.250Z',
};

/**
 * The bundle of a log holding EVENT alone, with a checkpoint signed with `extensions`: its one line sealed
 * (as exported) or, as an editor without the key can make it, rewritten as "not yet sealed" with its proof emptied.
 */
async function bundleText(extensions: string[], rewritten: boolean): Promise<string> {
  const salt = randomBytes(32);
  const { leaf } = sealEvent(EVENT, salt);
  const { range, nodes } = CompactRange.empty().append([leafHash(leaf)]);
  const store = new InMemoryHashStore();
  store.put(nodes);
  const note = signCheckpoint({ origin: 'audit-trail/log/acme', size: 1, rootHash: range.root(), extensions }, [parseSignerKey(KEY.signerKey)]);
  const header = bundleHeaderLine('acme', note);
  if (rewritten) return header + pendingEventLine(JSON.stringify(EVENT)) + proofLine([], []);
  return header + sealedEventLine(0, leaf.toString('utf8'), openingText(EVENT, salt)) + proofLine([], await rangeHashes(store, [0], 1, BUNDLE_RANGE_LEAVES));
}

describe('verify export: lines that say their event is not yet sealed', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'verify-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(text: string, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const file = path.join(dir, `${randomBytes(6).toString('hex')}.bundle`);
    writeFileSync(file, text);
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
    const code = await runCli(['verify', 'export', file, '--key', KEY.verifierKey, ...extra], { io });
    return { code, stdout, stderr };
  }

  it('exits 0 for the sealed line, and 3 ("not vouched") when it is rewritten as not yet sealed under a checkpoint that signs no time', async () => {
    const honest = await run(await bundleText([], false));
    expect(honest.code).toBe(0);
    expect(honest.stdout).toContain('1 verified, 0 erased, 0 failed');

    const edited = await run(await bundleText([], true));
    expect(edited.code).toBe(3);
    expect(edited.stdout).toContain('0 verified, 0 erased, 0 failed, 1 not yet sealed, not vouched');
    expect(edited.stderr).toMatch(/^warning: 1 event is not yet sealed: nothing vouches for their lines/m);

    const json = await run(await bundleText([], true), '--json');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, vouched: false, counts: { verified: 0, pending: 1 } });
  });

  it('exits 1 naming the event when the checkpoint signs a received-through time the event was received by', async () => {
    const extensions = [receivedThroughLine(EVENT.receivedAt)];
    const honest = await run(await bundleText(extensions, false));
    expect(honest.code).toBe(0);
    expect(honest.stdout).toContain(`latest checkpoint (1 leaves, every event received through ${EVENT.receivedAt}): ok`);

    const edited = await run(await bundleText(extensions, true));
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain(`FAILED ${EVENT.id}: line 2: it says it is not yet sealed, but it was received at ${EVENT.receivedAt}`);
  });
});
