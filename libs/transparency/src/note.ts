import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64Strict } from './base64';

/** Why a signed note or a note key was refused. */
export type NoteErrorCode =
  | 'malformed-note' // not the signed-note syntax (the message says where)
  | 'malformed-key' // a signer or verifier key string that is not `name+keyid+base64`
  | 'key-id-mismatch' // a key whose id is not the hash of its name and public key
  | 'unknown-algorithm' // a key of a signature algorithm other than Ed25519 (0x01)
  | 'ambiguous-key' // two known verifiers with the same name and key id
  | 'invalid-signature' // a signature by a known key that does not verify
  | 'unverified'; // no signature by any known key

/** A typed refusal of a note or key; `code` says which rule, the message names the line or field. */
export class NoteError extends Error {
  override readonly name = 'NoteError';
  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Signature algorithm byte of Ed25519 keys in golang.org/x/mod/sumdb/note. */
const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 '; // an em dash and a space
const MAX_SIGNATURES = 100;

// DER wrappers that make node's crypto accept raw Ed25519 keys (RFC 8410).
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** A key that signs notes: its name, key id and the Ed25519 signing function. */
export type NoteSigner = { readonly name: string; readonly keyId: number; sign(message: Buffer): Buffer };

/** A key that verifies notes; `key` is its verifier key string (`name+keyid+base64`). */
export type NoteVerifier = { readonly name: string; readonly keyId: number; readonly key: string; verify(message: Buffer, signature: Buffer): boolean };

/** One signature line of a note. */
export type NoteSignature = { name: string; keyId: number; base64: string };

/** A note whose signatures were checked: `signatures` verified, `unverified` by keys not known. */
export type OpenedNote = { text: string; signatures: NoteSignature[]; unverified: NoteSignature[] };

/**
 * A key name as the signed-note format allows: non-empty, no Unicode white space, no `+`.
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s\u0085+]/u.test(name) && isWellFormed(name);
}

/** Key id: the first 4 bytes (big-endian) of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). */
export function keyIdOf(name: string, publicKey: Uint8Array): number {
  return createHash('sha256').update(name).update('\n').update(Buffer.from([ALG_ED25519])).update(publicKey).digest().readUInt32BE(0);
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

/** Verifier key string `<name>+<hex keyid>+<base64(0x01 ‖ public key)>`. */
export function verifierKeyOf(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError('malformed-key', `the key name ${JSON.stringify(name)} is empty or has a space or a '+'`);
  if (publicKey.length !== 32) throw new NoteError('malformed-key', `an Ed25519 public key has 32 bytes, not ${publicKey.length}`);
  return `${name}+${hex8(keyIdOf(name, publicKey))}+${Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]).toString('base64')}`;
}

function publicKeyOfSeed(seed: Buffer): { privateKey: KeyObject; publicKey: Buffer } {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: spki.subarray(SPKI_ED25519.length) };
}

/** Signer key string `PRIVATE+KEY+<name>+<hex keyid>+<base64(0x01 ‖ 32-byte seed)>`, and its verifier key. */
export function signerKeyOf(name: string, seed: Uint8Array): { signerKey: string; verifierKey: string } {
  if (seed.length !== 32) throw new NoteError('malformed-key', `an Ed25519 seed has 32 bytes, not ${seed.length}`);
  const { publicKey } = publicKeyOfSeed(Buffer.from(seed));
  const verifierKey = verifierKeyOf(name, publicKey);
  const signerKey = `PRIVATE+KEY+${name}+${hex8(keyIdOf(name, publicKey))}+${Buffer.concat([Buffer.from([ALG_ED25519]), seed]).toString('base64')}`;
  return { signerKey, verifierKey };
}

/** A fresh Ed25519 key pair for `name`, as signer and verifier key strings. */
export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length);
  return signerKeyOf(name, seed);
}

/** Splits `name+keyid+base64(alg ‖ key)` and checks everything but the key's length. */
function parseKeyTail(kind: string, text: string): { name: string; keyId: number; key: Buffer } {
  // The base64 key may itself hold '+': split at the first two only, as the reference does.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new NoteError('malformed-key', `a ${kind} key is name+keyid+key`);
  const [name, hexId, b64] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (!isValidKeyName(name)) throw new NoteError('malformed-key', `the ${kind} key's name ${JSON.stringify(name)} is empty or has a space`);
  if (!/^[0-9a-f]{8}$/.test(hexId)) throw new NoteError('malformed-key', `the ${kind} key's id ${JSON.stringify(hexId)} is not 8 lower-case hex digits`);
  const key = decodeBase64Strict(b64);
  if (key === undefined || key.length === 0) throw new NoteError('malformed-key', `the ${kind} key's key material is not standard base64`);
  if (key[0] !== ALG_ED25519) throw new NoteError('unknown-algorithm', `the ${kind} key's algorithm ${key[0]} is not Ed25519 (1)`);
  if (key.length !== 33) throw new NoteError('malformed-key', `the ${kind} key has ${key.length - 1} bytes, not 32`);
  return { name, keyId: parseInt(hexId, 16), key: key.subarray(1) };
}

/** Parses a verifier key string `<name>+<hex keyid>+<base64(0x01 ‖ public key)>`. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const { name, keyId, key } = parseKeyTail('verifier', vkey);
  if (keyIdOf(name, key) !== keyId) throw new NoteError('key-id-mismatch', `the verifier key's id ${hex8(keyId)} is not the hash of its name and key`);
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519, key]), format: 'der', type: 'spki' });
  return { name, keyId, key: vkey, verify: (message, signature) => signature.length === 64 && verify(null, message, publicKey, signature) };
}

/** Parses a signer key string `PRIVATE+KEY+<name>+<hex keyid>+<base64(0x01 ‖ seed)>`. */
export function parseSignerKey(skey: string): NoteSigner {
  if (!skey.startsWith('PRIVATE+KEY+')) throw new NoteError('malformed-key', `a signer key starts with PRIVATE+KEY+`);
  const { name, keyId, key: seed } = parseKeyTail('signer', skey.slice('PRIVATE+KEY+'.length));
  const { privateKey, publicKey } = publicKeyOfSeed(seed);
  if (keyIdOf(name, publicKey) !== keyId) throw new NoteError('key-id-mismatch', `the signer key's id ${hex8(keyId)} is not the hash of its name and public key`);
  return { name, keyId, sign: (message) => sign(null, message, privateKey) };
}

function isWellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

/** The note's text rule: well-formed UTF-8 with no control character but the newline. */
function assertNoteText(text: string): void {
  if (!isWellFormed(text)) throw new NoteError('malformed-note', 'the note is not well-formed UTF-8');
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) throw new NoteError('malformed-note', `the note has the control character U+${code.toString(16).padStart(4, '0')} at offset ${i}`);
  }
}

/**
 * Signs `text` (non-empty, ending in a newline) with each signer: the text, a blank line, and one
 * line `— <name> <base64(keyid ‖ signature)>` per signer.
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  assertNoteText(text);
  if (!text.endsWith('\n')) throw new NoteError('malformed-note', 'the note text must end with a newline');
  if (signers.length === 0) throw new NoteError('malformed-note', 'a note needs at least one signer');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((s) => {
    if (!isValidKeyName(s.name)) throw new NoteError('malformed-key', `the signer name ${JSON.stringify(s.name)} is not a valid key name`);
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.keyId);
    return `${SIG_PREFIX}${s.name} ${Buffer.concat([id, s.sign(message)]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/**
 * Parses a signed note and checks every signature by a key in `verifiers` (matched by name and key
 * id). Returns the text and the verified and unverified signatures; throws a {@link NoteError} when
 * the note is malformed, a known key's signature fails, or no known key signed it.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  let msg: string;
  if (typeof note === 'string') {
    msg = note;
  } else {
    try {
      msg = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
    } catch {
      throw new NoteError('malformed-note', 'the note is not well-formed UTF-8');
    }
  }
  assertNoteText(msg);
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed-note', 'the note has no blank line before its signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (block.length === 0) throw new NoteError('malformed-note', 'the note has no signature lines');
  if (!block.endsWith('\n')) throw new NoteError('malformed-note', 'the last signature line does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('malformed-note', `the note has more than ${MAX_SIGNATURES} signatures`);

  const message = Buffer.from(text, 'utf8');
  const opened: OpenedNote = { text, signatures: [], unverified: [] };
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    const where = `signature line ${i + 1}`;
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError('malformed-note', `${where} does not start with an em dash and a space`);
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const [name, b64] = space < 0 ? [rest, ''] : [rest.slice(0, space), rest.slice(space + 1)];
    if (!isValidKeyName(name)) throw new NoteError('malformed-note', `${where} has no valid key name`);
    const raw = decodeBase64Strict(b64);
    if (b64 === '' || raw === undefined || raw.length < 5) throw new NoteError('malformed-note', `${where} has no base64 key id and signature`);
    const keyId = raw.readUInt32BE(0);
    const signature: NoteSignature = { name, keyId, base64: b64 };
    const matches = verifiers.filter((v) => v.name === name && v.keyId === keyId);
    if (matches.length > 1) throw new NoteError('ambiguous-key', `two verifiers are ${name}+${hex8(keyId)}`);
    // Identical repeated lines, and repeated signatures by one key, count once.
    const dedupKey = matches.length === 1 ? `${name}+${keyId}` : line;
    if (seen.has(dedupKey)) return;
    seen.add(dedupKey);
    if (matches.length === 0) {
      opened.unverified.push(signature);
      return;
    }
    if (!matches[0].verify(message, raw.subarray(4))) throw new NoteError('invalid-signature', `the signature of ${name}+${hex8(keyId)} does not verify`);
    opened.signatures.push(signature);
  });
  if (opened.signatures.length === 0) throw new NoteError('unverified', 'no signature on the note is by a known key');
  return opened;
}
