import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleText, LOG_KEY as KEY, logEventId, logReceivedAt, sealedLog } from '@audit/testing-pipeline';
import { receivedThroughLine } from '@audit/transparency';
import type { CliIo } from '../cli-context';
import { runCli } from '../run-cli';

/** The one event of the log below. */
const EVENT = { id: logEventId(0), receivedAt: logReceivedAt(0) };

/**
 * The bundle of a log holding EVENT alone, with a checkpoint signed with `extensions`: its one line sealed
 * (as exported) or, as an editor without the key can make it, rewritten as "not yet sealed" with its proof emptied.
 */
async function bundleOf(extensions: string[], rewritten: boolean): Promise<string> {
  const log = sealedLog(1, { extensions });
  return bundleText(log, rewritten ? { sealed: [], unsealed: [log.events[0].event] } : { sealed: [0] });
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
    const honest = await run(await bundleOf([], false));
    expect(honest.code).toBe(0);
    expect(honest.stdout).toContain('1 verified, 0 erased, 0 failed');

    const edited = await run(await bundleOf([], true));
    expect(edited.code).toBe(3);
    expect(edited.stdout).toContain('0 verified, 0 erased, 0 failed, 1 not yet sealed, not vouched');
    expect(edited.stderr).toMatch(/^warning: 1 event is not yet sealed: nothing vouches for their lines/m);

    const json = await run(await bundleOf([], true), '--json');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, vouched: false, counts: { verified: 0, pending: 1 } });
  });

  it('exits 1 naming the event when the checkpoint signs a received-through time the event was received by', async () => {
    const extensions = [receivedThroughLine(EVENT.receivedAt)];
    const honest = await run(await bundleOf(extensions, false));
    expect(honest.code).toBe(0);
    expect(honest.stdout).toContain(`latest checkpoint (1 leaves, every event received through ${EVENT.receivedAt}): ok`);

    const edited = await run(await bundleOf(extensions, true));
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain(`FAILED ${EVENT.id}: line 2: it says it is not yet sealed, but it was received at ${EVENT.receivedAt}`);
  });
});
