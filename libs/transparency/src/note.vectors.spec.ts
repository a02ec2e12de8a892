// Known answers from the reference implementation of signed notes, golang.org/x/mod/sumdb/note
// (note_test.go): its fixed keys, the note it signs and the exact signatures it expects. Only the
// published values are used here, so an implementation we did not write checks ours.
import fc from 'fast-check';
import {
  generateNoteKey,
  keyIdOf,
  NoteError,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signerKeyOf,
  signNote,
  type NoteErrorCode,
} from './index';
import { decodeBase64Strict } from './base64';

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
const PETER = { name: 'PeterNeumann', keyId: 0xc74f20a3, base64: 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=' };
const ENOCH = { name: 'EnochRoot', keyId: 0xaf0cfe78, base64: 'rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=' };

/** The error code `fn` throws, or 'none'. */
function codeOf(fn: () => unknown): NoteErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
}

/** Every proper substring of `key`, and `key` with each character bumped by one code point. */
function manglings(key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= key.length; i++) for (let j = i + 1; j <= key.length; j++) if (i !== 0 || j !== key.length) out.push(key.slice(i, j));
  for (let i = 0; i < key.length; i++) out.push(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
  return out;
}

describe('signed notes against the golang.org/x/mod/sumdb/note vectors', () => {
  it('parses the reference verifier key, with its name and key id', () => {
    const v = parseVerifierKey(PETER_VKEY);
    expect([v.name, v.keyId]).toEqual(['PeterNeumann', 0xc74f20a3]);
  });

  it('refuses every substring and every one-character change of the reference verifier key', () => {
    const accepted = manglings(PETER_VKEY).filter((k) => codeOf(() => parseVerifierKey(k)) === 'none');
    expect(accepted).toEqual([]);
  });

  it('refuses a verifier key of the wrong length and one of an unknown algorithm, even with their key ids adjusted', () => {
    expect(codeOf(() => parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='))).toBe('malformed-key');
    expect(codeOf(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe('unknown-algorithm');
  });

  it('parses the reference signer key and derives the reference verifier key from it', () => {
    const s = parseSignerKey(PETER_SKEY);
    expect([s.name, s.keyId]).toEqual(['PeterNeumann', 0xc74f20a3]);
    const seed = (decodeBase64Strict(PETER_SKEY.slice('PRIVATE+KEY+PeterNeumann+c74f20a3+'.length)) as Buffer).subarray(1);
    expect(signerKeyOf('PeterNeumann', seed)).toEqual({ signerKey: PETER_SKEY, verifierKey: PETER_VKEY });
  });

  it('refuses every substring and every one-character change of the reference signer key', () => {
    const accepted = manglings(PETER_SKEY).filter((k) => codeOf(() => parseSignerKey(k)) === 'none');
    expect(accepted).toEqual([]);
  });

  it('signs the reference note byte for byte as the reference implementation does', () => {
    expect(signNote(TEXT, [parseSignerKey(PETER_SKEY)])).toBe(`${TEXT}\n${PETER_SIG}`);
    expect(codeOf(() => signNote('abc', [parseSignerKey(PETER_SKEY)]))).toBe('malformed-note');
  });

  it('opens the reference note: known keys verified, unknown keys listed as unverified', () => {
    const peter = parseVerifierKey(PETER_VKEY);
    const enoch = parseVerifierKey(ENOCH_VKEY);
    const msg = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(openNote(msg, [peter])).toEqual({ text: TEXT, signatures: [PETER], unverified: [ENOCH] });
    expect(openNote(Buffer.from(msg), [peter, enoch])).toEqual({ text: TEXT, signatures: [PETER, ENOCH], unverified: [] });
    expect(codeOf(() => openNote(msg, []))).toBe('unverified');
    expect(codeOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, peter, enoch]))).toBe('ambiguous-key');
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}`, [enoch, peter, enoch]))).toBe('none');
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, [peter]))).toBe('malformed-note');
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`, [peter]))).toBe('invalid-signature');
  });

  it('counts repeated signatures once and keeps distinct unverified ones', () => {
    const enochABCD = `${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
    const opened = openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${enochABCD}`, [parseVerifierKey(PETER_VKEY)]);
    expect(opened.signatures).toEqual([PETER]);
    expect(opened.unverified).toEqual([ENOCH, { ...ENOCH, base64: enochABCD.slice('\u2014 EnochRoot '.length, -1) }]);
  });

  it.each([
    ['no signature block', TEXT],
    ['a blank line and nothing after', `${TEXT}\n`],
    ['a signature line without its newline', `${TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ['a control character', `\x01${TEXT}\n${PETER_SIG}`],
    ['a name with a space', `${TEXT}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`],
    ['a line after the signatures', `${TEXT}\n${PETER_SIG}Unexpected line.\n`],
    ['a hyphen instead of the em dash', `${TEXT}\n- ${PETER_SIG.slice(2)}`],
  ])('refuses a malformed note: %s', (_, msg) => {
    expect(codeOf(() => openNote(msg, [parseVerifierKey(PETER_VKEY)]))).toBe('malformed-note');
  });

  it('refuses a note that is not UTF-8', () => {
    expect(codeOf(() => openNote(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]), [parseVerifierKey(PETER_VKEY)]))).toBe('malformed-note');
  });

  it('computes key ids as the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)', () => {
    const publicKey = (decodeBase64Strict(PETER_VKEY.split('+')[2]) as Buffer).subarray(1);
    expect(keyIdOf('PeterNeumann', publicKey)).toBe(0xc74f20a3);
  });

  it('a generated key signs notes its verifier opens, and any changed byte of text or signature fails', () => {
    const { signerKey, verifierKey } = generateNoteKey('audit.example/log/acme');
    const signer = parseSignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[ -~]{1,40}$/), { minLength: 1, maxLength: 4 }), fc.nat(), (lines, at) => {
        const text = lines.map((l) => `${l}\n`).join('');
        const note = signNote(text, [signer]);
        expect(openNote(note, [verifier]).text).toBe(text);
        // Change one printable character of the text, or one base64 character of the signature.
        const i = at % note.length;
        const c = note[i];
        if (c === '\n' || c === '\u2014' || c === ' ' || c === '=') return;
        const swapped = note.slice(0, i) + (c === 'A' ? 'B' : 'A') + note.slice(i + 1);
        expect(codeOf(() => openNote(swapped, [verifier]))).not.toBe('none');
      }),
    );
  });
});
