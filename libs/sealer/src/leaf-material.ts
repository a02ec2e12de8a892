import type { AuditEvent, AuditUserSnapshot } from '@audit/contracts';
import type { LeafParts } from '@audit/persistence';
import { sealEvent } from '@audit/transparency';

/** What the log keeps for one event: the leaf bytes, members and hash, and the salt and user snapshot its commitment covers. */
export interface LeafMaterial {
  eventId: string;
  leaf: Buffer;
  /** The leaf's members besides the id and organization: the log keeps these rather than the bytes where they give the bytes back. */
  parts: LeafParts;
  leafHash: Buffer;
  salt: Buffer;
  user: AuditUserSnapshot | null;
}

/** Size of each event's salt (makeSalt's): one `randomBytes` call per batch gives every salt of it. */
export const SALT_BYTES = 32;

/** The leaf of a canonical event with its salt (32 random bytes): commitment over its content, leaf over its identity and that commitment. */
export function leafMaterialOf(event: AuditEvent, salt: Buffer): LeafMaterial {
  const { leaf, leafHash, fields, commitmentBytes } = sealEvent(event, salt);
  const parts = { actionType: fields.actionType, commitment: commitmentBytes, createdAt: fields.createdAt, receivedAt: fields.receivedAt };
  return { eventId: event.id, leaf, parts, leafHash, salt, user: event.user };
}
