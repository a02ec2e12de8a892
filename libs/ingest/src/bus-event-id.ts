import { createHash } from 'node:crypto';

/**
 * A UUIDv7 derived from the bus message, for events published without an id: a redelivered
 * message gets the same id again, so the dedup window and the idempotent stores see one event.
 */
export function busEventId(publishedAtMs: number, stream: string, sequence: number): string {
  const bytes = createHash('sha256').update(`${stream}:${sequence}:${publishedAtMs}`).digest().subarray(0, 16);
  bytes.writeUIntBE(publishedAtMs, 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
