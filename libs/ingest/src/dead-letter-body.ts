const UTF8 = new TextDecoder();
const ENCODER = new TextEncoder();

/**
 * What ingest keeps of a raw event it refuses, in its dead letter: the event without `metadata`.
 * A refused event was never redacted (redaction runs on valid events, with the organization's rules),
 * and AUDIT_DLQ keeps its messages for DLQ_MAX_AGE (30 days by default), so whatever the metadata
 * held (headers, hidden query parameters) must not travel there. The other fields and the reason
 * (which names every invalid field) are enough to see what was wrong. A payload that is not a JSON
 * object cannot be told apart from its metadata, so nothing of it is kept.
 */
export function deadLetterBody(data: Uint8Array): Uint8Array {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(data));
  } catch {
    return new Uint8Array();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return new Uint8Array();
  const kept: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  delete kept['metadata'];
  return ENCODER.encode(JSON.stringify(kept));
}
