import { decodeBase64Strict } from './base64';
import { leafHashLatin1 } from './hash';
import { CONTENT_FIELDS, LeafError, parseLeafBytes, verifyEventLeaf, type StoredEventRow } from './leaf';

/**
 * Version 1 of the export bundle, written by the exporter until version 2 (commit 2c69eee): the header and
 * the proof line as in bundle-format.ts (`bundleHeaderLine(…, 1)`, `proofLine(proof, null)`), and one line per
 * event `{"event":{<the JSON lines export's fields>},"leafIndex","leaf":"<base64 leaf bytes>","salt","user"}`
 * (leafIndex, leaf, salt and user null when no checkpoint covered the event yet). Auditors keep bundles, so
 * it stays readable; the verifier reads its event lines here, and checks the header, the checkpoint and the
 * proof as for every version.
 */
export const V1_EVENT_KEYS = ['event', 'leaf', 'leafIndex', 'salt', 'user'];
const ROW_FIELDS = ['id', 'organizationId', 'actionType', 'createdAt', 'receivedAt', ...CONTENT_FIELDS.filter((f) => f !== 'user')];

/** The leaf of a sealed event as a version 1 line carries it, beside its salt and user snapshot. */
export type V1SealedEvent = { leafIndex: number; leaf: Uint8Array; salt: Uint8Array | null; user: unknown };

/** A version 1 event line exactly as the exporter wrote it (`eventJson`: the JSON lines export's object as text). */
export function v1EventLine(eventJson: string, sealed: V1SealedEvent | null): string {
  const base64 = (bytes: Uint8Array): string => `"${Buffer.from(bytes).toString('base64')}"`;
  if (sealed === null) return `{"event":${eventJson},"leafIndex":null,"leaf":null,"salt":null,"user":null}\n`;
  return `{"event":${eventJson},"leafIndex":${sealed.leafIndex},"leaf":${base64(sealed.leaf)},"salt":${sealed.salt === null ? 'null' : base64(sealed.salt)},"user":${JSON.stringify(sealed.user ?? null)}}\n`;
}

/**
 * What a version 1 event line says: not yet sealed; verified or erased with its leaf; or failed, with the
 * leaf when it could be read (a real leaf keeps the other events proven).
 */
export type V1Verdict =
  | { status: 'pending' }
  | { status: 'verified' | 'erased'; eventId: string | null; leafIndex: number; leafHash: string }
  | { status: 'failed'; eventId: string | null; leafIndex: number | null; leafHash?: string; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads line `n` of a version 1 bundle (already parsed as a JSON object): the leaf is read back from its
 * base64 and compared with the row beside it field by field (the content through the commitment, with the
 * line's salt and user snapshot), naming each difference. `treeSize` is the checkpoint's (undefined without one).
 */
export function readV1EventLine(value: Record<string, unknown>, n: number, organizationId: string | undefined, treeSize: number | undefined): V1Verdict {
  const event = value.event;
  const eventId = isObject(event) && typeof event.id === 'string' ? event.id : null;
  const fail = (leafIndex: number | null, reason: string, leafHash?: string): V1Verdict => ({ status: 'failed', eventId, leafIndex, leafHash, reason });
  let count = 0;
  for (const key in value) if (Object.hasOwn(value, key)) count++;
  if (!isObject(event) || count !== V1_EVENT_KEYS.length || !V1_EVENT_KEYS.every((k) => Object.hasOwn(value, k))) {
    return fail(null, `line ${n} is not an event line {"event", "leafIndex", "leaf", "salt", "user"}`);
  }
  if (value.leafIndex === null) return { status: 'pending' };
  const leafIndex = value.leafIndex;
  if (typeof leafIndex !== 'number' || !Number.isSafeInteger(leafIndex) || leafIndex < 0 || treeSize === undefined || leafIndex >= treeSize) {
    return fail(null, `line ${n}: leafIndex is not a leaf of the checkpoint's tree`);
  }
  const leafBytes = typeof value.leaf === 'string' ? decodeBase64Strict(value.leaf) : undefined;
  if (leafBytes === undefined) return fail(leafIndex, 'its leaf is not base64');
  let sealed;
  try {
    sealed = parseLeafBytes(leafBytes);
  } catch (error) {
    return fail(leafIndex, `its leaf is unreadable: ${error instanceof LeafError ? error.message : String(error)}`);
  }
  if (value.salt !== null && typeof value.salt !== 'string') return fail(leafIndex, 'its salt is not base64 or null');
  if (value.user !== null && !isObject(value.user)) return fail(leafIndex, 'its user snapshot is not an object or null');
  const missing = ROW_FIELDS.filter((f) => !Object.hasOwn(event, f));
  if (missing.length > 0) return fail(leafIndex, `the event lacks ${missing.join(', ')}`);
  if (event.organizationId !== organizationId) return fail(leafIndex, `the event is of organization ${JSON.stringify(event.organizationId)}, not the bundle's`);
  const leafHash = leafHashLatin1(leafBytes);
  const row = { ...event, user: value.user, commitment: sealed.commitment, salt: value.salt } as unknown as StoredEventRow;
  const verdict = verifyEventLeaf(row, sealed);
  if (verdict.status === 'tampered') return fail(leafIndex, `its ${verdict.parts.join(', ')} ${verdict.parts.length > 1 ? 'are' : 'is'} not what was sealed`, leafHash);
  return { status: verdict.status === 'verified' ? 'verified' : 'erased', eventId, leafIndex, leafHash };
}
