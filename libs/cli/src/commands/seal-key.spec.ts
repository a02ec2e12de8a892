import { openNote, parseSignerKey, parseVerifierKey, signNote } from '@audit/transparency';
import type { CliIo } from '../cli-context';
import { runCli } from '../run-cli';

describe('seal-key', () => {
  const run = async (...args: string[]): Promise<{ code: number; json?: { signerKey: string; verifierKey: string }; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
    const code = await runCli(['seal-key', '--json', ...args], { io });
    return { code, json: code === 0 ? (JSON.parse(stdout) as { signerKey: string; verifierKey: string }) : undefined, stderr };
  };

  it('prints a new signer key and the verifier key that checks what it signs, under the name given', async () => {
    const { signerKey, verifierKey } = (await run('--name', 'audit.example.com')).json!;
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+audit\.example\.com\+[0-9a-f]{8}\+/);
    const note = signNote('audit.example.com/log/acme\n1\nAAAA\n', [parseSignerKey(signerKey)]);
    expect(openNote(note, [parseVerifierKey(verifierKey)]).signatures).toHaveLength(1);
    const first = (await run()).json!.signerKey;
    expect(first).toMatch(/^PRIVATE\+KEY\+audit-trail\+/);
    expect((await run()).json!.signerKey).not.toBe(first);
  });

  it('refuses a name the signed-note format does not allow, as a usage error naming --name', async () => {
    for (const name of ['a b', 'a+b', '']) {
      const { code, stderr } = await run('--name', name);
      expect(code).toBe(2);
      expect(stderr).toContain('--name');
    }
  });
});
