import type { AuditEvent } from '@audit/contracts';

export interface RedactionPolicy {
  hideAllHeaders: boolean;
  /** Names of queries whose parameters are hidden, for the event's organization (matched exactly, case-sensitively). */
  hiddenParameterQueries: ReadonlySet<string>;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `metadata` without the keys `name` (any case) at its top level and inside its top-level `request`
 * object (any case): the two places an emitter puts a query run's headers or parameters
 * (`metadata.headers`, `metadata.Headers`, `metadata.request.headers`, …). Copies only what changes.
 */
function withoutKey(metadata: Json, name: string): Json {
  const matches = (key: string): boolean => key.toLowerCase() === name;
  let result: Json | undefined;
  const copy = (): Json => (result ??= { ...metadata });
  for (const [key, value] of Object.entries(metadata)) {
    if (matches(key)) {
      delete copy()[key];
    } else if (key.toLowerCase() === 'request' && isObject(value) && Object.keys(value).some(matches)) {
      copy()[key] = Object.fromEntries(Object.entries(value).filter(([inner]) => !matches(inner)));
    }
  }
  return result ?? metadata;
}

/**
 * Removes what must never be stored. Runs in ingest, before the event reaches the bus, so hidden
 * data exists nowhere downstream. Returns a new event; the input is left untouched.
 *
 * Headers (`HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS`): every key spelled `headers` in any case, at the top
 * of `metadata` and inside `metadata.request` (any case). Parameters: when the event's `queryName` is
 * one of the organization's hidden queries (exactly, case-sensitively: `getUser` and `GetUser` are two
 * queries), every key spelled `parameters` in any case, in the same two places.
 */
export function redact(event: AuditEvent, policy: RedactionPolicy): AuditEvent {
  let metadata: Json = event.metadata;
  if (policy.hideAllHeaders) metadata = withoutKey(metadata, 'headers');
  if (event.queryName !== null && policy.hiddenParameterQueries.has(event.queryName)) metadata = withoutKey(metadata, 'parameters');
  return metadata === event.metadata ? event : { ...event, metadata };
}
