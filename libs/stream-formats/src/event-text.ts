import type { AuditEvent } from '@audit/contracts';

/** A metadata value the emitter sent as a string (metadata is free-form JSON, so anything else is ignored here). */
export function metadataString(event: AuditEvent, key: string): string | undefined {
  const value = Object.prototype.hasOwnProperty.call(event.metadata, key) ? event.metadata[key] : undefined;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Who the action was done to, where the emitter says so (`metadata.targetUser`, as the demo and the
 * reference's user actions carry it).
 */
export const targetUser = (event: AuditEvent): string | undefined => metadataString(event, 'targetUser');

/** The group a group action is about: `metadata.group`, else the resource name. */
export const groupName = (event: AuditEvent): string | undefined => metadataString(event, 'group') ?? (event.resourceName || undefined);

/**
 * The client's User-Agent, where the emitter sent the request headers (`metadata.headers`, as query runs carry
 * them) and ingest did not hide them. Header names are case-insensitive.
 */
export function userAgent(event: AuditEvent): string | undefined {
  const headers = Object.prototype.hasOwnProperty.call(event.metadata, 'headers') ? event.metadata.headers : undefined;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'user-agent' && typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

/** Epoch milliseconds of a canonical ISO-8601 instant (the contract guarantees it parses). */
export const epochMs = (iso: string): number => Date.parse(iso);
