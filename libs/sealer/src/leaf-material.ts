import { randomBytes } from 'node:crypto';
import type { AuditEvent, AuditUserSnapshot } from '@audit/contracts';
import { leafHash, sealEvent } from '@audit/transparency';

/**
 * What the log keeps for one event: the leaf bytes and hash, and the salt and user snapshot its commitment
 * covers; with the event's id and organization, everything an append needs of the event.
 */
export interface LeafMaterial {
  eventId: string;
  organizationId: string;
  leaf: Buffer;
  leafHash: Buffer;
  salt: Buffer;
  user: AuditUserSnapshot | null;
}

/** Size of each event's salt (makeSalt's). */
export const SALT_BYTES = 32;

/** The leaf of a canonical event with its salt (32 random bytes): commitment over its content, leaf over its identity and that commitment. */
export function leafMaterialOf(event: AuditEvent, salt: Buffer): LeafMaterial {
  const { leaf } = sealEvent(event, salt);
  return { eventId: event.id, organizationId: event.organizationId, leaf, leafHash: leafHash(leaf), salt, user: event.user };
}

/** Salts per `randomBytes` call: one system call and one allocation for that many events. */
const SALTS_PER_DRAW = 1024;

/**
 * Fresh salts, 32 random bytes each, cut from one `randomBytes` draw at a time. Each salt is handed out once;
 * a salt drawn for an event that turns out to be sealed already is simply never stored.
 */
export class SaltSource {
  private pool = Buffer.alloc(0);
  private at = 0;

  next(): Buffer {
    if (this.at === this.pool.length) {
      this.pool = randomBytes(SALT_BYTES * SALTS_PER_DRAW);
      this.at = 0;
    }
    const salt = this.pool.subarray(this.at, this.at + SALT_BYTES);
    this.at += SALT_BYTES;
    return salt;
  }
}
