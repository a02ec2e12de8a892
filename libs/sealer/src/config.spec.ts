import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { generateNoteKey, openNote, parseVerifierKey, signNote, signerKeyOf } from '@audit/transparency';
import { readSealerConfig } from './config';

describe('readSealerConfig', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'seal-config-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('derives from any SEAL_PRIVATE_KEY the verifier key that checks what it signs (base64 with "+" and "/" included)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom('audit-trail', 'audit.example.com', 'k'), (seed, name) => {
        const { signerKey, verifierKey } = signerKeyOf(name, seed);
        const { key } = readSealerConfig({ SEAL_PRIVATE_KEY: signerKey });
        expect(key.verifierKey).toBe(verifierKey);
        const note = signNote('origin\n1\nAAAA\n', [key.signer]);
        expect(openNote(note, [parseVerifierKey(key.verifierKey)]).signatures).toHaveLength(1);
      }),
      { numRuns: 50 },
    );
  });

  it('generates a key into SEAL_KEY_FILE once (mode 0600, named SEAL_KEY_NAME) and keeps using it', () => {
    const file = path.join(dir, 'nested', 'seal-key');
    const first = readSealerConfig({ SEAL_KEY_FILE: file, SEAL_KEY_NAME: 'audit.example.com' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^PRIVATE\+KEY\+audit\.example\.com\+[0-9a-f]{8}\+\S+\n$/);
    expect(readSealerConfig({ SEAL_KEY_FILE: file }).key.verifierKey).toBe(first.key.verifierKey);
    expect(first.key.verifierKey.startsWith('audit.example.com+')).toBe(true);
  });

  it('prefers SEAL_PRIVATE_KEY to the file, and has the documented defaults', () => {
    const { signerKey, verifierKey } = generateNoteKey('inline');
    const config = readSealerConfig({ SEAL_PRIVATE_KEY: signerKey, SEAL_KEY_FILE: path.join(dir, 'unused') });
    expect(config).toMatchObject({ sealIntervalMs: 5_000, originPrefix: 'audit-trail/log', batch: { maxBatchMessages: 5000, maxBatchBytes: 8 * 1024 * 1024, flushIntervalMs: 500 }, receivedMarginMs: 60_000, ackWaitMs: 30_000 });
    expect(config.key.verifierKey).toBe(verifierKey);
  });

  it('refuses SEALER_ACK_WAIT under 1s (working() signals come every 250 ms at most; a shorter wait redelivered live batches)', () => {
    const file = path.join(dir, 'ack-wait');
    fc.assert(fc.property(fc.integer({ min: 0, max: 999 }), (ms) => expect(() => readSealerConfig({ SEALER_ACK_WAIT: `${ms}ms`, SEAL_KEY_FILE: file })).toThrow(/SEALER_ACK_WAIT must be a duration between 1s and/)));
    expect(readSealerConfig({ SEALER_ACK_WAIT: '1s', SEAL_KEY_FILE: file }).ackWaitMs).toBe(1_000);
  });

  it('names every bad variable at once', () => {
    const bad = () =>
      readSealerConfig({ SEAL_INTERVAL: 'soon', SEAL_LOG_ORIGIN: 'a b', SEAL_PRIVATE_KEY: 'PRIVATE+KEY+x+00000000+AAAA', SEALER_BATCH_SIZE: '0' });
    expect(bad).toThrow(/SEAL_INTERVAL must be a duration/);
    expect(bad).toThrow(/SEAL_LOG_ORIGIN must be one word/);
    expect(bad).toThrow(/SEAL_PRIVATE_KEY is not a signer key/);
    expect(bad).toThrow(/SEALER_BATCH_SIZE must be an integer/);
    expect(() => readSealerConfig({ SEAL_RECEIVED_MARGIN: '0s', SEAL_KEY_FILE: path.join(dir, 'margin') })).toThrow(/SEAL_RECEIVED_MARGIN must be longer than 0/);
    expect(() => readSealerConfig({ SEAL_RECEIVED_MARGIN: 'a while', SEAL_KEY_FILE: path.join(dir, 'margin') })).toThrow(/SEAL_RECEIVED_MARGIN must be a duration/);
    expect(() => readSealerConfig({ SEAL_KEY_NAME: 'has space', SEAL_KEY_FILE: path.join(dir, 'x') })).toThrow(/SEAL_KEY_NAME must be a signed-note key name/);
    // A key whose id is not its own (edited by hand) is refused, not used.
    const { signerKey } = generateNoteKey('audit');
    const tampered = signerKey.replace(/\+([0-9a-f]{8})\+/, (_, id: string) => `+${id === '00000000' ? '00000001' : '00000000'}+`);
    expect(() => readSealerConfig({ SEAL_PRIVATE_KEY: tampered })).toThrow(/SEAL_PRIVATE_KEY is not a signer key/);
  });
});
