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

/** Epoch milliseconds of a canonical ISO-8601 instant (the contract guarantees it parses). */
export const epochMs = (iso: string): number => Date.parse(iso);
