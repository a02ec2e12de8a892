import { openNote, parseSignerKey, parseVerifierKey, signNote } from '@audit/transparency';
import { createOutput, UsageError } from '../output';
import { sealKeyCommand } from './seal-key';

describe('seal-key', () => {
  const run = (values: Record<string, string | boolean | undefined>): { signerKey: string; verifierKey: string } => {
    let text = '';
    sealKeyCommand(values, createOutput(true, (t) => (text += t)));
    return JSON.parse(text) as { signerKey: string; verifierKey: string };
  };

  it('prints a new signer key and the verifier key that checks what it signs, under the name given', () => {
    const { signerKey, verifierKey } = run({ name: 'audit.example.com' });
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+audit\.example\.com\+[0-9a-f]{8}\+/);
    const note = signNote('audit.example.com/log/acme\n1\nAAAA\n', [parseSignerKey(signerKey)]);
    expect(openNote(note, [parseVerifierKey(verifierKey)]).signatures).toHaveLength(1);
    expect(run({}).signerKey).toMatch(/^PRIVATE\+KEY\+audit-trail\+/);
    expect(run({}).signerKey).not.toBe(run({}).signerKey);
  });

  it('refuses a name the signed-note format does not allow', () => {
    for (const name of ['a b', 'a+b', '']) expect(() => run({ name })).toThrow(UsageError);
  });
});
