import type { AuditEvent } from '@audit/contracts';
import { hash, randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './base64';
import { canonicalJson } from './canonical-json';
import { leafHashLatin1 } from './hash';
import { LeafError } from './errors';

/**
 * The event's content: what a leaf commits to through the salted commitment only, so that erasure
 * can remove it (and its salt) while the leaf, and every proof through it, stays valid.
 */
export const CONTENT_FIELDS = ['userId', 'user', 'ipAddress', 'responseTimeMs', 'pageName', 'queryName', 'resourceName', 'metadata'] as const;

/** The event's identity and times: committed to in the clear in every leaf. */
export const IDENTITY_FIELDS = ['id', 'organizationId', 'actionType', 'createdAt', 'receivedAt'] as const;

export type ContentField = (typeof CONTENT_FIELDS)[number];
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

// Every field of the event contract is either identity or content (schemaVersion is the leaf's `v`):
// a field added to AuditEvent fails this line until it is classified here.
type Unclassified = Exclude<keyof AuditEvent, ContentField | IdentityField | 'schemaVersion'>;
const everyFieldClassified: [Unclassified] extends [never] ? true : Unclassified = true;
void everyFieldClassified;

/** Version of the leaf and commitment formats below. */
export const LEAF_VERSION = 1;
const SALT_BYTES = 32;

/** The sealed leaf object (version 1), whose JCS bytes are the Merkle leaf. */
export type LeafV1 = {
  v: 1;
  id: string;
  organizationId: string;
  actionType: string;
  createdAt: string;
  receivedAt: string;
  /** base64 of SHA-256 over the JCS of {v, salt, content}. */
  commitment: string;
};

export { LeafError };

/** A fresh random 32-byte salt, as standard padded base64 (the form stored with the event). */
export function makeSalt(): string {
  return randomBytes(SALT_BYTES).toString('base64');
}

/**
 * Whether `value` is a time in the one form leaves hold: what `toISOString` writes (UTC, milliseconds,
 * years 0000–9999), `YYYY-MM-DDTHH:mm:ss.sssZ`. Same answer as `new Date(value).toISOString() === value`;
 * the day is checked against its month, which `Date` would roll over. Read character by character: a
 * sealer checks four per event (the leaf's two times, and the log's check that its row gives the leaf back)
 * and a verifier two, and a regular expression's match array and its three substrings were most of the cost.
 */
export function isLeafTime(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const c = value.charCodeAt(i);
    const expected = LEAF_TIME_SEPARATORS[i];
    if (expected === 0 ? c < 0x30 || c > 0x39 : c !== expected) return false;
  }
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  if (digitsAt(value, 11, 2) > 23 || digitsAt(value, 14, 2) > 59 || digitsAt(value, 17, 2) > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

/** The character each position of a leaf time must be (0: any ASCII digit). */
const LEAF_TIME_SEPARATORS: readonly number[] = [...'0000-00-00T00:00:00.000Z'].map((ch) => (ch === '0' ? 0 : ch.charCodeAt(0)));

/** The number the `length` ASCII digits at `at` write (the caller has checked they are digits). */
function digitsAt(value: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) n = n * 10 + value.charCodeAt(i) - 0x30;
  return n;
}

/** The event's times in the one form leaves use (`toISOString`: UTC, milliseconds), from a string or a database Date. */
function isoTime(field: string, value: string | Date): string {
  // Already the one form (a canonical event's times always are): no Date and no new string to make.
  if (typeof value === 'string' && isLeafTime(value)) return value;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new LeafError(`${field} is not a time: ${String(value)}`);
  return date.toISOString();
}

// The content object's members in JCS order, each with its `"name":` text: the commitment is written
// field by field (see canonical-json.ts for why not through `canonicalize`; the property test holds both equal).
const CONTENT_MEMBERS = [...CONTENT_FIELDS].sort().map((field) => ({ field, name: `${JSON.stringify(field)}:` }));

/**
 * JCS of `{"content": {<the 8 content fields>}, "salt": salt, "v": 1}`; every content field present (null is
 * the empty value). A null salt is written as null: what an export shows for content kept without its salt,
 * which no commitment opens.
 */
export function commitmentText(event: Readonly<Record<ContentField, unknown>>, salt: string | null): string {
  let content = '';
  for (const { field, name } of CONTENT_MEMBERS) {
    const value = event[field];
    if (value === undefined) throw new LeafError(`the content field ${field} is missing (null is the empty value)`);
    content += `${content.length > 0 ? ',' : ''}${name}${canonicalJson(value)}`;
  }
  return `{"content":{${content}},"salt":${JSON.stringify(salt)},"v":${LEAF_VERSION}}`;
}

const sha256Base64 = (text: string): string => hash('sha256', text, 'base64');

/**
 * The commitment to the event's content: base64 of SHA-256 over the UTF-8 JCS (RFC 8785) of
 * `{"content": {<the 8 content fields>}, "salt": <base64 salt>, "v": 1}`.
 */
export function commitmentOf(event: Pick<AuditEvent, ContentField>, salt: string): string {
  const saltBytes = decodeBase64Strict(salt);
  if (saltBytes === undefined || saltBytes.length !== SALT_BYTES) throw new LeafError(`salt is not the base64 of ${SALT_BYTES} bytes`);
  return sha256Base64(commitmentText(event, salt));
}

/** The identity and times of an event as a stored row may hold them (times as strings or Dates). */
export type EventIdentity = { id: string; organizationId: string; actionType: string; createdAt: string | Date; receivedAt: string | Date };

/** The leaf object of an event and its commitment. */
export function leafOf(event: EventIdentity, commitment: string): LeafV1 {
  const c = decodeBase64Strict(commitment);
  if (c === undefined || c.length !== 32) throw new LeafError('commitment is not the base64 of 32 bytes');
  return leafWith(event, commitment);
}

/** The leaf object of an event and a commitment known to be well formed. */
function leafWith(event: EventIdentity, commitment: string): LeafV1 {
  for (const field of ['id', 'organizationId', 'actionType'] as const) {
    if (typeof event[field] !== 'string') throw new LeafError(`${field} is not a string`);
  }
  return {
    v: LEAF_VERSION,
    id: event.id,
    organizationId: event.organizationId,
    actionType: event.actionType,
    createdAt: isoTime('createdAt', event.createdAt),
    receivedAt: isoTime('receivedAt', event.receivedAt),
    commitment,
  };
}

/** JCS of a leaf object: its seven members written in JCS (sorted) order. */
export function leafText(leaf: LeafV1): string {
  const s = JSON.stringify;
  return (
    `{"actionType":${s(leaf.actionType)},"commitment":${s(leaf.commitment)},"createdAt":${s(leaf.createdAt)},"id":${s(leaf.id)},` +
    `"organizationId":${s(leaf.organizationId)},"receivedAt":${s(leaf.receivedAt)},"v":${leaf.v}}`
  );
}

/**
 * The Merkle leaf bytes of an event: the UTF-8 JCS of
 * `{"actionType", "commitment", "createdAt", "id", "organizationId", "receivedAt", "v": 1}`.
 */
export function leafBytesOf(event: EventIdentity, commitment: string): Buffer {
  return Buffer.from(leafText(leafOf(event, commitment)), 'utf8');
}

/**
 * What the sealer makes of an event and its freshly drawn salt (32 bytes): the commitment and the leaf
 * bytes, exactly `commitmentOf(event, salt.toString('base64'))` and `leafBytesOf(event, commitment)`
 * without reading back (base64, strictly) the salt and commitment this function itself encoded; with the
 * leaf object those bytes are the JCS of, the commitment's 32 bytes (a log may keep these instead of the bytes), and the
 * leaf hash (`leafHash(leaf)`). Both digests are taken as latin1 strings and made Buffers from Buffer.from's pool:
 * a digest Buffer of Node's own is an ArrayBuffer per call, about 0.4 µs more, and more for the garbage collector.
 */
export function sealEvent(event: AuditEvent, salt: Buffer): { commitment: string; commitmentBytes: Buffer; fields: LeafV1; leaf: Buffer; leafHash: Buffer } {
  if (salt.length !== SALT_BYTES) throw new LeafError(`salt is not ${SALT_BYTES} bytes`);
  const commitmentBytes = Buffer.from(hash('sha256', commitmentText(event, salt.toString('base64')), 'binary'), 'latin1');
  const commitment = commitmentBytes.toString('base64');
  const fields = leafWith(event, commitment);
  const leaf = Buffer.from(leafText(fields), 'utf8');
  return { commitment, commitmentBytes, fields, leaf, leafHash: Buffer.from(leafHashLatin1(leaf), 'latin1') };
}

/**
 * Reads sealed leaf bytes back, strictly: valid UTF-8 JSON of exactly the version-1 fields, in
 * their canonical (JCS) form, so one leaf has one byte form.
 */
export function parseLeafBytes(bytes: Uint8Array): LeafV1 {
  let value: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new LeafError('the leaf is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LeafError('the leaf is not a JSON object');
  const leaf = value as Record<string, unknown>;
  if (leaf.v !== LEAF_VERSION) throw new LeafError(`the leaf's version ${JSON.stringify(leaf.v)} is not ${LEAF_VERSION}`);
  const keys = Object.keys(leaf).sort();
  const expected = ['actionType', 'commitment', 'createdAt', 'id', 'organizationId', 'receivedAt', 'v'];
  if (keys.join() !== expected.join()) throw new LeafError(`the leaf has the fields ${keys.join(', ')}, not ${expected.join(', ')}`);
  for (const field of expected.filter((f) => f !== 'v')) {
    if (typeof leaf[field] !== 'string') throw new LeafError(`the leaf's ${field} is not a string`);
  }
  const commitment = decodeBase64Strict(leaf.commitment as string);
  if (commitment === undefined || commitment.length !== 32) throw new LeafError("the leaf's commitment is not the base64 of 32 bytes");
  for (const field of ['createdAt', 'receivedAt'] as const) {
    if (!isLeafTime(leaf[field])) throw new LeafError(`the leaf's ${field} is not an ISO-8601 UTC time with milliseconds`);
  }
  if (leafText(leaf as LeafV1) !== text) throw new LeafError('the leaf is not in its canonical (RFC 8785) form');
  return leaf as LeafV1;
}

/**
 * The opening of an event's commitment, as an export bundle carries it: the exact text whose SHA-256 is the
 * commitment ({@link commitmentText} of the content and the base64 salt), or null once erased (no salt and
 * every content field empty). Content without its salt is written with `"salt":null` for a verifier to name.
 */
export function openingText(content: Readonly<Record<ContentField, unknown>>, salt: Uint8Array | null): string | null {
  if (salt === null && isEmptyContent(content)) return null;
  return commitmentText(content, salt === null ? null : Buffer.from(salt).toString('base64'));
}

/** A stored event as a verifier reads it back: identity, content (null when erased), commitment and salt. */
export type StoredEventRow = EventIdentity & { [K in ContentField]: AuditEvent[K] | null } & {
  /** base64 commitment kept with the event, also after erasure. */
  commitment: string;
  /** base64 salt; null once the content was erased. */
  salt: string | null;
};

/** What a stored event is, measured against the leaf that was sealed for it. */
export type LeafVerdict =
  | { status: 'verified' }
  | { status: 'content-erased' }
  | {
      status: 'tampered';
      /** Each part that differs: an identity field, `commitment`, `content`, or `salt` (content left without its salt). */
      parts: (IdentityField | 'commitment' | 'content' | 'salt')[];
    };

/** Whether every content field is empty (null, metadata null or {}): what erasure leaves. */
export function isEmptyContent(row: Readonly<Record<ContentField, unknown>>): boolean {
  return CONTENT_FIELDS.every((f) => {
    const value = row[f];
    return value === null || (f === 'metadata' && typeof value === 'object' && Object.keys(value).length === 0);
  });
}

/**
 * Compares a stored event with the leaf sealed for it. `sealedLeaf` is the leaf as the log holds it
 * (read with {@link parseLeafBytes}); the caller proves it (its `leafHash` in an inclusion proof
 * against a signed checkpoint) before trusting this verdict. A log that keeps only leaf hashes can
 * instead compare `leafHash(leafBytesOf(row, row.commitment))` with the proven hash, which tells
 * that the identity or commitment changed but not which.
 *
 * - `verified`: identity, times and commitment are the sealed ones, and the content with its salt
 *   gives the commitment.
 * - `content-erased`: identity and commitment are the sealed ones, the salt is gone and every
 *   content field is empty (null, metadata null or {}): what erasure leaves.
 * - `tampered`: names every part that differs. Content kept without its salt is tampering (it
 *   could be anything and nothing could tell).
 */
export function verifyEventLeaf(row: StoredEventRow, sealedLeaf: LeafV1): LeafVerdict {
  const parts: (IdentityField | 'commitment' | 'content' | 'salt')[] = [];
  for (const field of IDENTITY_FIELDS) {
    let value: string;
    try {
      value = field === 'createdAt' || field === 'receivedAt' ? isoTime(field, row[field]) : row[field];
    } catch {
      value = '';
    }
    if (value !== sealedLeaf[field]) parts.push(field);
  }
  if (row.commitment !== sealedLeaf.commitment) parts.push('commitment');
  if (row.salt === null) {
    if (!isEmptyContent(row)) parts.push('salt');
  } else {
    let commitment: string | undefined;
    try {
      commitment = commitmentOf(row as Pick<AuditEvent, ContentField>, row.salt);
    } catch {
      commitment = undefined;
    }
    if (commitment !== sealedLeaf.commitment) parts.push('content');
  }
  if (parts.length > 0) return { status: 'tampered', parts };
  return row.salt === null ? { status: 'content-erased' } : { status: 'verified' };
}
