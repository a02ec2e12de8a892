import type { AuditEvent } from './event';

/**
 * The JSON text of metadata objects that validation (`validateEvent`) or the bus re-check
 * (`canonicalEventOf`) has already serialised to measure them against the 32 KiB limit. Metadata is the
 * bulk of an event, and every stage of the pipeline wrote it out again (ingest to publish, the writer for
 * its jsonb column, the projector for its ClickHouse row): with this, each process serialises a large one once.
 *
 * Keyed by the object itself, which only those two functions produce and nothing changes afterwards (an
 * event is a value: redaction copies what it changes, so a redacted event's metadata is a new object,
 * unknown here, and serialised anew). Weak: an entry goes with its event.
 */
const serialised = new WeakMap<object, string>();

/**
 * Shorter text is not kept. Writing it again costs less than keeping it (a WeakMap entry is work for the
 * GC too), and an event whose metadata text is not kept is written whole by one JSON.stringify, which is
 * faster than writing it in pieces (the pieces make a string that must be flattened before it is sent):
 * with the demo events' metadata (60 to 250 characters) keeping it made ingest slower per event. From
 * about 400 characters on, writing the metadata again costs more than the pieces do.
 */
const KEEP_FROM_CHARS = 512;

/** Records `json` as `JSON.stringify(metadata)`: for the validators, which produced both. */
export function rememberMetadataJson(metadata: object, json: string): void {
  if (json.length >= KEEP_FROM_CHARS) serialised.set(metadata, json);
}

/** `JSON.stringify(metadata)`, without serialising it again when validation already did. */
export function metadataJson(metadata: Readonly<Record<string, unknown>>): string {
  return serialised.get(metadata) ?? JSON.stringify(metadata);
}

/**
 * `JSON.stringify(event)` of a canonical event, as ingest publishes it: the same text (same keys in the
 * same order), with its metadata's text taken from {@link metadataJson}.
 */
export function eventJson(event: AuditEvent): string {
  const metadata = serialised.get(event.metadata);
  if (metadata === undefined) return JSON.stringify(event);
  return (
    `{"schemaVersion":${JSON.stringify(event.schemaVersion)},"id":${JSON.stringify(event.id)},"organizationId":${JSON.stringify(event.organizationId)}` +
    `,"actionType":${JSON.stringify(event.actionType)},"userId":${JSON.stringify(event.userId)},"user":${JSON.stringify(event.user)}` +
    `,"ipAddress":${JSON.stringify(event.ipAddress)},"responseTimeMs":${JSON.stringify(event.responseTimeMs)},"pageName":${JSON.stringify(event.pageName)}` +
    `,"queryName":${JSON.stringify(event.queryName)},"resourceName":${JSON.stringify(event.resourceName)},"metadata":${metadata}` +
    `,"createdAt":${JSON.stringify(event.createdAt)},"receivedAt":${JSON.stringify(event.receivedAt)}}`
  );
}
