import { Injectable } from '@nestjs/common';
import { validateEvent, type ActionType, type AuditEvent } from '@audit/contracts';
import { EventPublisher } from './publisher';

/** What the platform records about its own users: an administrator reading or exporting audit data. */
export interface Activity {
  /** A deterministic id makes the record idempotent (bus deduplication, the writer's id registry); else one is assigned. */
  id?: string;
  organizationId: string;
  actionType: ActionType;
  userId: string | null;
  pageName?: string | null;
  ipAddress?: string | null;
  metadata?: Record<string, unknown>;
}

/**
 * Records the platform's own audit events (reads of the console and API, exports) onto AUDIT_EVENTS,
 * validated by the same contract as emitted events so they are stored and projected like any other.
 */
@Injectable()
export class ActivityRecorder {
  constructor(private readonly publisher: EventPublisher) {}

  /** Throws `BUS_UNAVAILABLE` when the bus refuses it; callers decide whether that fails their request. */
  async record(activity: Activity, now = new Date()): Promise<AuditEvent> {
    const result = validateEvent(
      {
        ...(activity.id === undefined ? {} : { id: activity.id }),
        organizationId: activity.organizationId,
        actionType: activity.actionType,
        userId: activity.userId,
        pageName: activity.pageName ?? null,
        ipAddress: activity.ipAddress ?? null,
        metadata: activity.metadata ?? {},
      },
      { now },
    );
    // Only a programming error can make the platform's own event invalid: say which field.
    if (!result.ok) throw new Error(`activity event is invalid: ${result.errors.map((e) => `${e.path} ${e.reason}`).join('; ')}`);
    await this.publisher.publishEvents([result.event]);
    return result.event;
  }
}
