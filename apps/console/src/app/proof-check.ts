import canonicalize from 'canonicalize';
import type { EventDetail, EventProof } from '@audit/contracts';

/** What the browser concluded about an event, checked with WebCrypto alone (SHA-256 and Ed25519). */
export type ProofVerdict =
  | { status: 'verified'; treeSize: number; signedAt: string; keyName: string; keyId: string; erased: boolean }
  | { status: 'failed'; reason: string };

const b64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const sha256 = async (bytes: Uint8Array): Promise<Uint8Array> => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

class Refused extends Error {}

/** A signed-note verifier key `name+hexkeyid+base64(0x01 ‖ Ed25519 public key)`, as /v1/log/keys lists it. */
async function importVerifier(text: string): Promise<{ name: string; id: string; key: CryptoKey }> {
  // The name and the key id hold no '+'; the base64 after them may (split at the first two only).
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  const [name, id, material] = second < 0 ? [text, '', ''] : [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  const raw = b64(material);
  if (!name || !/^[0-9a-f]{8}$/.test(id ?? '') || raw.length !== 33 || raw[0] !== 1) throw new Refused(`the key ${text} is not an Ed25519 verifier key`);
  const pub = raw.subarray(1);
  const expected = hex((await sha256(concat(utf8(name), utf8('\n'), raw))).subarray(0, 4));
  if (expected !== id) throw new Refused(`the key ${name} does not have the id ${id}`);
  return { name, id, key: await crypto.subtle.importKey('raw', pub as BufferSource, { name: 'Ed25519' }, false, ['verify']) };
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to from a leaf hash. */
async function rootFromInclusion(index: number, size: number, leafHash: Uint8Array, proof: Uint8Array[]): Promise<Uint8Array> {
  if (index >= size) throw new Refused(`leaf ${index} is not in a tree of ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new Refused('the inclusion proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Refused('the inclusion proof is too short');
  return r;
}

const CONTENT = ['userId', 'user', 'ipAddress', 'responseTimeMs', 'pageName', 'queryName', 'resourceName', 'metadata'] as const;

/**
 * Checks an event against its proof the way docs/transparency.md describes, in the browser: the
 * checkpoint's Ed25519 signature by one of the log's keys, the leaf's inclusion in the checkpoint's
 * tree, and the event as shown (identity, times and content with the proof's salt and user snapshot)
 * against the leaf's fields and commitment.
 */
export async function checkEventProof(event: EventDetail, proof: EventProof, verifierKeys: string[]): Promise<ProofVerdict> {
  try {
    const note = proof.checkpoint.note;
    const split = note.indexOf('\n\n');
    if (split < 0) throw new Refused('the checkpoint is not a signed note');
    const body = note.slice(0, split + 1);
    const [origin, sizeText, rootText] = body.slice(0, -1).split('\n');
    if (!origin || String(proof.treeSize) !== sizeText) throw new Refused("the checkpoint's size is not the proof's");
    const keys = await Promise.all(verifierKeys.map(importVerifier));
    let signer: { name: string; id: string } | undefined;
    for (const line of note.slice(split + 2).split('\n').filter(Boolean)) {
      const [dash, name, sig] = line.split(' ');
      if (dash !== '\u2014' || !sig) continue;
      const raw = b64(sig);
      const key = keys.find((k) => k.name === name && k.id === hex(raw.subarray(0, 4)));
      if (key && (await crypto.subtle.verify({ name: 'Ed25519' }, key.key, raw.subarray(4) as BufferSource, utf8(body) as BufferSource))) signer = key;
    }
    if (!signer) throw new Refused('the checkpoint is not signed by any of the log’s keys');
    const leaf = b64(proof.leaf);
    const root = await rootFromInclusion(proof.leafIndex, proof.treeSize, await sha256(concat(Uint8Array.of(0), leaf)), proof.inclusionProof.map(b64));
    if (!equal(root, b64(rootText ?? ''))) throw new Refused('the inclusion proof does not lead to the signed root');
    const sealed = JSON.parse(new TextDecoder().decode(leaf)) as Record<string, string>;
    const changed = (['id', 'organizationId', 'actionType', 'createdAt', 'receivedAt'] as const).filter(
      (f) => (f === 'createdAt' || f === 'receivedAt' ? new Date(event[f]).toISOString() : event[f]) !== sealed[f],
    );
    if (changed.length > 0) throw new Refused(`its ${changed.join(', ')} ${changed.length > 1 ? 'are' : 'is'} not what was sealed`);
    let erased = false;
    if (proof.salt === null) {
      erased = true;
      const kept = CONTENT.filter((f) => f !== 'user' && f !== 'metadata' && event[f] !== null);
      if (kept.length > 0 || Object.keys(event.metadata ?? {}).length > 0) throw new Refused('its content is there without the salt it was sealed with');
    } else {
      const content = Object.fromEntries(CONTENT.map((f) => [f, f === 'user' ? proof.user : event[f]]));
      const commitment = await sha256(utf8(canonicalize({ v: 1, salt: proof.salt, content }) ?? ''));
      if (!equal(commitment, b64(sealed.commitment ?? ''))) throw new Refused('its content is not what was sealed');
    }
    return { status: 'verified', treeSize: proof.treeSize, signedAt: proof.checkpoint.signedAt, keyName: signer.name, keyId: signer.id, erased };
  } catch (error) {
    return { status: 'failed', reason: error instanceof Refused ? error.message : `the proof could not be checked: ${(error as Error).message}` };
  }
}
