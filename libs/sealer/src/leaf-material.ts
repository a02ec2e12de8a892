import type { AuditEvent, AuditUserSnapshot } from '@audit/contracts';
import { leafHash, sealEvent } from '@audit/transparency';

/** What the log keeps for one event: the leaf bytes and hash, and the salt and user snapshot its commitment covers. */
export interface LeafMaterial {
  eventId: string;
  leaf: Buffer;
  leafHash: Buffer;
  salt: Buffer;
  user: AuditUserSnapshot | null;
}

/** Size of each event's salt (makeSalt's): one `randomBytes` call per batch gives every salt of it. */
export const SALT_BYTES = 32;

/** The leaf of a canonical event with its salt (32 random bytes): commitment over its content, leaf over its identity and that commitment. */
export function leafMaterialOf(event: AuditEvent, salt: Buffer): LeafMaterial {
  const { leaf } = sealEvent(event, salt);
  return { eventId: event.id, leaf, leafHash: leafHash(leaf), salt, user: event.user };
}
