import fc from 'fast-check';
import { CheckpointError, formatCheckpoint, generateNoteKey, NoteError, openCheckpoint, parseCheckpoint, parseSignerKey, parseVerifierKey, signCheckpoint } from './index';

const ROOT = Buffer.from('4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4', 'hex');

describe('C2SP tlog-checkpoint', () => {
  it('parses the checkpoint of the go.sum database example (golang.org/x/mod/sumdb/tlog)', () => {
    const text = 'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n';
    const c = parseCheckpoint(text);
    expect(c).toMatchObject({ origin: 'go.sum database tree', size: 123456789012, extensions: [] });
    expect(c.rootHash.toString('base64')).toBe('TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=');
    expect(formatCheckpoint(c)).toBe(text);
  });

  it('formats and parses back any checkpoint, extensions included', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[!-~]{1,60}$/),
        fc.maxSafeNat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.stringMatching(/^[ -~]{1,30}$/), { maxLength: 3 }),
        (origin, size, root, extensions) => {
          const c = { origin, size, rootHash: Buffer.from(root), extensions };
          expect(parseCheckpoint(formatCheckpoint(c))).toEqual(c);
        },
      ),
    );
  });

  it.each([
    ['no final newline', 'o\n5\n' + ROOT.toString('base64')],
    ['two lines', 'o\n5\n'],
    ['an empty origin', '\n5\n' + ROOT.toString('base64') + '\n'],
    ['a leading zero', 'o\n05\n' + ROOT.toString('base64') + '\n'],
    ['a sign', 'o\n+5\n' + ROOT.toString('base64') + '\n'],
    ['a size past 2^53', 'o\n18446744073709551615\n' + ROOT.toString('base64') + '\n'],
    ['a short root hash', 'o\n5\n' + ROOT.subarray(1).toString('base64') + '\n'],
    ['an unpadded root hash', 'o\n5\n' + ROOT.toString('base64').replace(/=+$/, '') + '\n'],
    ['an empty extension line', 'o\n5\n' + ROOT.toString('base64') + '\n\n'],
  ])('refuses a checkpoint with %s', (_, text) => {
    expect(() => parseCheckpoint(text)).toThrow(CheckpointError);
  });

  it('a signed checkpoint opens with its key and fails with another key or a changed size', () => {
    const key = generateNoteKey('audit.example/log/acme');
    const other = generateNoteKey('audit.example/log/acme');
    const checkpoint = { origin: 'audit.example/log/acme', size: 5, rootHash: ROOT, extensions: [] };
    const note = signCheckpoint(checkpoint, [parseSignerKey(key.signerKey)]);
    expect(openCheckpoint(note, [parseVerifierKey(key.verifierKey)]).checkpoint).toEqual(checkpoint);
    expect(() => openCheckpoint(note, [parseVerifierKey(other.verifierKey)])).toThrow(NoteError);
    expect(() => openCheckpoint(note.replace('\n5\n', '\n6\n'), [parseVerifierKey(key.verifierKey)])).toThrow(expect.objectContaining({ code: 'invalid-signature' }));
  });
});
