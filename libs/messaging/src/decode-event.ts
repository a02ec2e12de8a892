import type { JsMsg } from '@nats-io/jetstream';
import { canonicalEventOf, canonicalInstantMs, validateEvent, type AuditEvent } from '@audit/contracts';
import { storedAtMsOf } from './delivery-info';
import { PermanentError } from './errors';

// Fatal: ingest only publishes UTF-8, so anything else is a forgery or corruption, not text to repair.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How far ingest's clock may run ahead of the NATS server's when it stamps `receivedAt`: a canonical event
 * received later than the server stored it (beyond this) was not stamped by ingest.
 */
export const RECEIVED_AT_SKEW_MS = 60_000;

/** Where and when a canonical message was stored: its subject, and the stream's timestamp (epoch ms). */
export interface CanonicalEnvelope {
  subject: string;
  storedAtMs: number;
}

/** The envelope of a delivered JetStream message (its stored time read from the reply subject in place: see delivery-info). */
export const envelopeOf = (message: JsMsg): CanonicalEnvelope => ({
  subject: message.subject,
  storedAtMs: storedAtMsOf(message),
});

/** Top-level fields compared with the validated event (`metadata` is re-parsed by validation, so it always matches). */
const COMPARED = ['schemaVersion', 'id', 'organizationId', 'actionType', 'userId', 'ipAddress', 'responseTimeMs', 'pageName', 'queryName', 'resourceName', 'createdAt'] as const;

/**
 * Decodes a message of AUDIT_EVENTS and re-checks it as if it had never met ingest: only ingest may
 * publish there, but a consumer that writes must not trust the bus alone (a leaked credential, a
 * misconfigured server). The event must be exactly what ingest's validation would have produced
 * (the contract of `validateEvent`, judged at its own `receivedAt`, and in canonical form: lower-case
 * id, `toISOString()` dates, every field present), lie on its own subject
 * (`audit.events.<organizationId>.<actionType>`), and carry a `receivedAt` that is a valid date no later
 * than the server stored it (plus {@link RECEIVED_AT_SKEW_MS}). Anything else is a {@link PermanentError}
 * whose message names each problem, so the consumer dead-letters it with that reason.
 *
 * What this cannot see: redaction (its rules belong to ingest) and a `receivedAt` backdated by a
 * publisher with access to the stream; the server's permissions (docs/nats-security.md) close those.
 */
export function decodeCanonicalEvent(data: Uint8Array, envelope: CanonicalEnvelope): AuditEvent {
  return decodeCanonicalMessage(data, envelope).event;
}

/** A decoded canonical message, and its text when the event is exactly that text parsed (ingest's own serialisation). */
export interface DecodedCanonicalMessage {
  event: AuditEvent;
  /**
   * The message as it came, when the event is its parse unchanged and it holds no line break (the common
   * case, as ingest serialises): a consumer that
   * forwards the event as JSON may send this text rather than serialise the event again. Absent when the
   * event passed only full validation, whose result may differ from the text.
   */
  text?: string;
}

/**
 * {@link decodeCanonicalEvent}, with the message's text when that is the event's own JSON. `keepMetadataJson`
 * as for `canonicalEventOf`: false for a consumer that never serialises the metadata again.
 */
export function decodeCanonicalMessage(data: Uint8Array, envelope: CanonicalEnvelope, keepMetadataJson = true): DecodedCanonicalMessage {
  let text: string;
  try {
    text = UTF8.decode(data);
  } catch {
    throw new PermanentError('payload is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PermanentError('payload is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PermanentError('payload is not an object');
  const payload = value as Record<string, unknown>;
  const receivedAt = payload['receivedAt'];
  // The common case, a canonical event, is recognised without validation's copies (canonicalEventOf is
  // held to validateEvent by a property test); its receivedAt is then known to be a canonical instant.
  // Anything else is judged in full below, for the reasons.
  const canonical = canonicalEventOf(payload, keepMetadataJson);

  const receivedAtMs = canonical ? canonicalInstantMs(canonical.receivedAt) : canonicalInstant(receivedAt);
  if (receivedAtMs === undefined) throw new PermanentError(`not a canonical event: receivedAt must be an ISO-8601 instant as ingest writes it (got ${JSON.stringify(receivedAt)})`);
  if (receivedAtMs > envelope.storedAtMs + RECEIVED_AT_SKEW_MS) {
    throw new PermanentError(
      `not a canonical event: receivedAt ${String(receivedAt)} is after the stream stored the message (${new Date(envelope.storedAtMs).toISOString()})`,
    );
  }

  // A line break (JSON allows one between tokens; ingest never writes one) would split a JSON-lines record.
  if (canonical !== undefined) return { event: onItsSubject(canonical, envelope.subject), text: hasLineBreak(text) ? undefined : text };

  const emitted: Record<string, unknown> = { ...payload };
  delete emitted['receivedAt'];
  const at = new Date(receivedAtMs);
  const result = validateEvent(emitted, { now: at, receivedAt: at });
  if (!result.ok) {
    throw new PermanentError(`not a canonical event: ${result.errors.map((e) => `${e.path} ${e.reason}`).join('; ')}`);
  }
  const event = result.event;
  const differing = COMPARED.filter((key) => payload[key] !== event[key]);
  if (!sameUser(payload['user'], event.user)) differing.push('user' as never);
  if (differing.length > 0) throw new PermanentError(`not a canonical event: ${differing.join(', ')} not as ingest writes them`);
  return { event: onItsSubject(event, envelope.subject) };
}

/** Two scans for one character each: a tenth of the CPU of the regular expression `/[\r\n]/` on an event's text. */
const hasLineBreak = (text: string): boolean => text.includes('\n') || text.includes('\r');

/**
 * The event, if it lies on its own subject (`audit.events.<organizationId>.<actionType>`). Compared as one
 * string rather than split into tokens (an array and four strings per event): both fields are validated
 * by now, and neither can hold a dot, so equality with the joined subject is the same test.
 */
function onItsSubject(event: AuditEvent, subject: string): AuditEvent {
  if (subject !== `audit.events.${event.organizationId}.${event.actionType}`) {
    throw new PermanentError(`subject ${subject} does not match the event (organizationId "${event.organizationId}", actionType "${event.actionType}")`);
  }
  return event;
}

/** Epoch ms of a `toISOString()` string, or undefined for anything else (another spelling, an invalid date, not a string). */
function canonicalInstant(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== value) return undefined;
  return ms;
}

function sameUser(given: unknown, validated: AuditEvent['user']): boolean {
  if (validated === null) return given === null;
  if (typeof given !== 'object' || given === null) return false;
  const user = given as Record<string, unknown>;
  return user['email'] === validated.email && user['userName'] === validated.userName;
}
