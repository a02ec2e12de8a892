import { erasedEvent, isErasedBy, type AuditEvent } from '@audit/contracts';

/** One erasure as {@link ErasedUsers} reads it: the person, and when their data was last erased. */
export interface ErasedUser {
  organizationId: string;
  userId: string;
  erasedAt: Date;
}

/**
 * The people erased lately, for what the streams send: an erasure empties the events in Postgres and
 * ClickHouse, but the bus keeps its own copies (AUDIT_EVENTS, for STREAM_MAX_AGE), and a stream that lags,
 * resumes or replays would send them as they were. Each event the person acted in and that was received
 * by their latest erasure goes out as that erasure left it ({@link erasedEvent}); later ones are new
 * activity and go out whole, as they are stored.
 */
export class ErasedUsers {
  /** `<organizationId> NUL <userId>` → the latest erasure's time (ms); NUL is in neither. */
  private erasedAt = new Map<string, number>();

  /** The erasures as last read: replaces what was known. */
  replace(erasures: readonly ErasedUser[]): void {
    const next = new Map<string, number>();
    for (const { organizationId, userId, erasedAt } of erasures) {
      const key = `${organizationId}\u0000${userId}`;
      next.set(key, Math.max(next.get(key) ?? -Infinity, erasedAt.getTime()));
    }
    this.erasedAt = next;
  }

  /** The event as it may be sent: erased when its person was erased after it was received, else itself. */
  apply(event: AuditEvent): AuditEvent {
    if (event.userId === null || this.erasedAt.size === 0) return event;
    const erasedAt = this.erasedAt.get(`${event.organizationId}\u0000${event.userId}`);
    return erasedAt !== undefined && isErasedBy(event, erasedAt) ? erasedEvent(event) : event;
  }
}
