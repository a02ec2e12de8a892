import { createHash } from 'node:crypto';

/**
 * What an administrator's read shows, as far as the audit trail cares: one record per distinct view
 * (per user, per coalescing window), not one per request. A view is the data asked for, so requests that
 * only page through it, poll, or help to fill in a form are covered by the view's record or need none.
 */
export interface ReadView {
  /** Identifies the view among an administrator's reads: equal keys are the same view. */
  key: string;
  /** The path and query the record says were read (those of the first request of the view, as asked). */
  path: string;
  filters: Record<string, unknown>;
}

/**
 * Requests that show no audit data of their own: the user directory that suggests names for the user
 * filter, and the list (and polling) of the caller's export jobs. Exports themselves, their downloads,
 * settings changes and erasures are recorded by the services that do them, every time.
 */
const AUXILIARY: readonly RegExp[] = [
  /^\/v1\/users\/?$/,
  /^\/v1\/exports\/?$/,
  /^\/v1\/exports\/[^/]+\/download\/?$/,
  // The log's public verification keys, which the event panel fetches to check a proof: no audit data.
  /^\/v1\/log\/keys\/?$/,
];

/** An event's inclusion proof is part of the view of that event (the panel checks it beside the event). */
const EVENT_PROOF = /^(\/v1\/events\/[^/]+)\/proof\/?$/;

/** Parameters that page through a view, or shape how its aggregates are drawn, without changing which events it shows. */
const PRESENTATION_PARAMS: ReadonlySet<string> = new Set(['limit', 'cursor', 'interval', 'groupBy', 'treeSize']);

/** Parameters holding instants: two views whose instants fall in the same coalescing window are one view. */
const INSTANT_PARAMS: ReadonlySet<string> = new Set(['from', 'to']);

/**
 * The events list and every aggregate of the same events (the chart above the list, the count, the
 * insights) are one family: the list's chart with the list's filters is the same view as the list.
 */
const EVENTS_FAMILY = /^\/v1\/(events|analytics\/[^/]+)\/?$/;

const values = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);

/**
 * The view a GET shows, or null when it shows no audit data of its own (see {@link AUXILIARY}).
 * `windowMs` is the coalescing window: a "last 24 hours" view opened twice a minute apart asks for
 * instants a minute apart, and is still the one view the administrator opened.
 */
export function readViewOf(path: string, query: Record<string, unknown>, windowMs: number): ReadView | null {
  if (AUXILIARY.some((pattern) => pattern.test(path))) return null;
  const family = EVENTS_FAMILY.test(path) ? 'events' : path.replace(EVENT_PROOF, '$1').replace(/\/+$/, '');
  const filters: Record<string, unknown> = {};
  const keyParts: string[] = [];
  for (const name of Object.keys(query).sort()) {
    filters[name] = query[name];
    if (PRESENTATION_PARAMS.has(name)) continue;
    const given = values(query[name]).map((v) => {
      if (!INSTANT_PARAMS.has(name)) return v;
      const time = Date.parse(v);
      return Number.isNaN(time) ? v : `@${Math.floor(time / windowMs)}`;
    });
    keyParts.push(`${name}=${JSON.stringify(given.sort())}`);
  }
  return { key: `${family}?${keyParts.join('&')}`, path, filters };
}

/**
 * The id of the record of one view: the same for every replica that sees the view opened by the same
 * administrator in the same coalescing window, so their records are one event (the bus drops a repeated
 * message id within its deduplication window, and the writer's id registry refuses it for all time).
 * UUIDv7-shaped: the window's start as its time, so ids still sort by time; the rest from a SHA-256.
 */
export function readViewId(organizationId: string, userId: string | null, viewKey: string, windowStart: number): string {
  const hash = createHash('sha256').update(JSON.stringify([organizationId, userId, viewKey, windowStart])).digest();
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(windowStart, 0, 6);
  hash.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
