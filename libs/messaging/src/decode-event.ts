import { isActionType, isUuid, type AuditEvent } from '@audit/contracts';
import { PermanentError } from './errors';


const UTF8 = new TextDecoder();

/**
 * Canonical events were validated by ingest; this only guards the columns the store depends on,
 * so a foreign or corrupted message is dead-lettered instead of failing a whole batch.
 */
export function decodeCanonicalEvent(data: Uint8Array): AuditEvent {
  let value: Partial<AuditEvent>;
  try {
    value = JSON.parse(UTF8.decode(data)) as Partial<AuditEvent>;
  } catch {
    throw new PermanentError('payload is not JSON');
  }
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null) throw new PermanentError('payload is not an object');
  if (typeof value.id !== 'string' || !isUuid(value.id)) problems.push('id');
  if (typeof value.organizationId !== 'string') problems.push('organizationId');
  if (!isActionType(value.actionType)) problems.push('actionType');
  if (typeof value.createdAt !== 'string' || Number.isNaN(Date.parse(value.createdAt))) problems.push('createdAt');
  if (typeof value.receivedAt !== 'string' || Number.isNaN(Date.parse(value.receivedAt))) problems.push('receivedAt');
  if (typeof value.metadata !== 'object' || value.metadata === null || Array.isArray(value.metadata)) problems.push('metadata');
  if (problems.length > 0) throw new PermanentError(`not a canonical event: bad ${problems.join(', ')}`);
  return value as AuditEvent;
}
