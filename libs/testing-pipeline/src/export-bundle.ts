import { randomBytes } from 'node:crypto';
import type { AuditEvent, EventDetail, EventProof } from '@audit/contracts';
import {
  BUNDLE_RANGE_LEAVES,
  bundleHeaderLine,
  CompactRange,
  commitmentOf,
  generateNoteKey,
  inclusionProof,
  InMemoryHashStore,
  leafBytesOf,
  leafHash,
  multiInclusionProof,
  openingText,
  parseSignerKey,
  pendingEventLine,
  proofLine,
  rangeHashes,
  sealedEventLine,
  signCheckpoint,
  v1EventLine,
  type LogEntry,
  type VerifiedRow,
} from '@audit/transparency';

/** The organization of every fixture log. */
export const LOG_ORG = 'acme';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
/** The key fixture logs are signed with unless a spec passes another. */
export const LOG_KEY = generateNoteKey('audit.test');

/** Event `i` of a fixture log: its id (a UUID that shows its index), created `i` s after T0 and received 5 ms later. */
export const logEventId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
export const logCreatedAt = (i: number): string => new Date(T0 + i * 1000).toISOString();
export const logReceivedAt = (i: number): string => new Date(T0 + i * 1000 + 5).toISOString();

/** A canonical event a fixture log seals: its text holds what a line must carry byte for byte (quotes, U+2028, a backslash, an emoji). */
export function logEvent(i: number): AuditEvent {
  return {
    schemaVersion: 1,
    id: logEventId(i),
    organizationId: LOG_ORG,
    actionType: 'LOGIN',
    userId: `u-${i}`,
    user: { email: `u${i}@example.com`, userName: `Ü "${i}"\u2028` },
    ipAddress: '203.0.113.7',
    responseTimeMs: i,
    pageName: null,
    queryName: null,
    resourceName: null,
    metadata: { i, path: '/a\\b', emoji: '😀' },
    createdAt: logCreatedAt(i),
    receivedAt: logReceivedAt(i),
  };
}

/** One sealed event of a fixture log: the event as stored now, its leaf, its salt (null once erased) and its opening. */
export interface SealedLogEvent {
  readonly event: AuditEvent;
  readonly leaf: Buffer;
  /** The salted commitment to the content sealed (also in the leaf). */
  readonly commitment: string;
  readonly salt: Buffer | null;
  readonly opening: string | null;
}

/** A log as the sealer keeps it: every event's leaf, the store of subtree hashes, and a signed checkpoint. */
export interface SealedLog {
  readonly events: readonly SealedLogEvent[];
  readonly store: InMemoryHashStore;
  /** The signed checkpoint (a note) of the first `signed` leaves. */
  readonly note: string;
  readonly signed: number;
  /** The key that signed the note; `verifierKey` checks it. */
  readonly key: { signerKey: string; verifierKey: string };
}

export interface SealedLogOptions {
  /** Checkpoint extension lines (e.g. receivedThroughLine(...)), signed with the rest of the body. */
  extensions?: string[];
  /** Indices of events sealed, then erased: content cleared, salt gone, the leaf still committing to the old content. */
  erased?: readonly number[];
  /** How many leaves the checkpoint covers (default all): the others are sealed after it. */
  signed?: number;
  key?: { signerKey: string; verifierKey: string };
  /** The events to seal (default logEvent(i)). */
  event?: (i: number) => AuditEvent;
}

/**
 * `size` events sealed one leaf each, in order, as the sealer does (salted commitment, RFC 9162 leaf hashes),
 * and a checkpoint of the first `signed` of them. For the specs of everything that reads a log or an
 * export bundle: the verifiers, `verify export`, the console's proof check.
 */
export function sealedLog(size: number, options: SealedLogOptions = {}): SealedLog {
  const { extensions = [], erased = [], signed = size, key = LOG_KEY, event: eventOf = logEvent } = options;
  const store = new InMemoryHashStore();
  let range = CompactRange.empty();
  let signedRoot = range.root();
  const events = Array.from({ length: size }, (_, i): SealedLogEvent => {
    const sealed = eventOf(i);
    const salt = randomBytes(32);
    const commitment = commitmentOf(sealed, salt.toString('base64'));
    const leaf = leafBytesOf(sealed, commitment);
    const appended = range.append([leafHash(leaf)]);
    range = appended.range;
    store.put(appended.nodes);
    if (i + 1 === signed) signedRoot = range.root();
    if (!erased.includes(i)) return { event: sealed, leaf, commitment, salt, opening: openingText(sealed, salt) };
    // Erasure clears the content and forgets the salt; the leaf (identity and commitment) stays.
    const cleared: AuditEvent = { ...sealed, userId: null, user: null, ipAddress: null, responseTimeMs: null, metadata: {} };
    return { event: cleared, leaf, commitment, salt: null, opening: openingText(cleared, null) };
  });
  const note = signCheckpoint({ origin: `audit-trail/log/${LOG_ORG}`, size: signed, rootHash: signedRoot, extensions }, [parseSignerKey(key.signerKey)]);
  return { events, store, note, signed, key };
}

export interface BundleOptions {
  /** 1, 2 or 3 (the current one, with range hashes). */
  version?: 1 | 2 | 3;
  /** Indices of the events written as sealed lines, in the order given (the exporter writes newest first). */
  sealed: readonly number[];
  /** Events written first as lines that say they are not yet sealed. */
  unsealed?: readonly AuditEvent[];
}

/**
 * The export bundle of `log` (text, before gzip) as the exporter writes it: header with the checkpoint,
 * the unsealed lines, the sealed lines, then the proof of the sealed ones alone (and in version 3 their
 * range hashes), which is also what an editor recomputes after rewriting lines.
 */
export async function bundleText(log: SealedLog, { version = 3, sealed, unsealed = [] }: BundleOptions): Promise<string> {
  const size = log.signed;
  const sorted = [...sealed].sort((a, b) => a - b);
  // Version 1 carried the user snapshot beside the event's JSON lines object, not in it.
  const v1Json = (event: AuditEvent): string => JSON.stringify({ ...event, user: undefined });
  let text = bundleHeaderLine(LOG_ORG, log.note, version);
  for (const event of unsealed) text += version === 1 ? v1EventLine(v1Json(event), null) : pendingEventLine(JSON.stringify(event));
  for (const i of sealed) {
    const { event, leaf, salt, opening } = log.events[i];
    text += version === 1 ? v1EventLine(v1Json(event), { leafIndex: i, leaf, salt, user: event.user }) : sealedEventLine(i, leaf.toString('utf8'), opening);
  }
  const proof = sorted.length === 0 ? [] : await multiInclusionProof(log.store, sorted, size);
  const ranges = version === 3 ? (sorted.length === 0 ? [] : await rangeHashes(log.store, sorted, size, BUNDLE_RANGE_LEAVES)) : null;
  return text + proofLine(proof, ranges);
}

/** The log's events as `verify log` reads them from Postgres: rows with Date times, beside each leaf and salt. */
export function logEntries(log: SealedLog): LogEntry[] {
  return log.events.map(({ event, leaf, salt }, i) => ({ leafIndex: i, eventId: event.id, leaf, salt, user: event.user, row: rowOf(event) }));
}

/** The event's row of audit_trail_events as the pg driver returns it (times as Dates). */
function rowOf(e: AuditEvent): VerifiedRow {
  return {
    id: e.id,
    organizationId: e.organizationId,
    actionType: e.actionType,
    userId: e.userId,
    ipAddress: e.ipAddress,
    responseTimeMs: e.responseTimeMs,
    pageName: e.pageName,
    queryName: e.queryName,
    resourceName: e.resourceName,
    metadata: e.metadata,
    createdAt: new Date(e.createdAt),
    receivedAt: new Date(e.receivedAt),
  };
}

/** Event `i` as `GET /v1/events/:id` answers it, and its proof as `GET /v1/events/:id/proof` does. */
export async function eventWithProof(log: SealedLog, i: number): Promise<{ event: EventDetail; proof: EventProof }> {
  const { event, leaf, commitment, salt } = log.events[i];
  const detail: EventDetail = {
    id: event.id,
    organizationId: event.organizationId,
    actionType: event.actionType,
    userId: event.userId,
    user: event.user,
    ipAddress: event.ipAddress,
    responseTimeMs: event.responseTimeMs,
    pageName: event.pageName,
    queryName: event.queryName,
    resourceName: event.resourceName,
    metadata: event.metadata,
    createdAt: event.createdAt,
    receivedAt: event.receivedAt,
  };
  const root = CompactRange.empty()
    .append(log.events.slice(0, log.signed).map((e) => leafHash(e.leaf)))
    .range.root();
  const proof: EventProof = {
    eventId: event.id,
    leafIndex: i,
    treeSize: log.signed,
    leaf: leaf.toString('base64'),
    commitment,
    salt: salt === null ? null : salt.toString('base64'),
    user: salt === null ? null : event.user,
    inclusionProof: (await inclusionProof(log.store, i, log.signed)).map((h) => h.toString('base64')),
    checkpoint: { treeSize: log.signed, rootHash: root.toString('base64'), signedAt: logReceivedAt(log.signed + 5), note: log.note },
  };
  return { event: detail, proof };
}
