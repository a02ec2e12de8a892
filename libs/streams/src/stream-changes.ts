import { Injectable } from '@nestjs/common';
import { ActivityRecorder } from '@audit/messaging';
import type { DestinationType } from '@audit/contracts';

/** Who changes a stream, as the audit event records it. */
export interface StreamActor {
  organizationId: string;
  /** The administrator's token subject; null for the CLI, which has no platform user. */
  userId: string | null;
  ipAddress: string | null;
  /** `/v1/streams` or the CLI's `streams apply`. */
  via: 'api' | 'cli';
}

export type StreamChangeKind = 'create' | 'update' | 'delete' | 'pause' | 'resume' | 'replay';

/** The stream a change is about, known once the change is validated and before it is written. */
export interface ChangedStream {
  id: string;
  name: string;
  destinationType: DestinationType;
}

/** Called by the catalog after a change is validated and before it is written (see {@link StreamChangeRecorder}). */
export type BeforeStreamChange = (stream: ChangedStream) => Promise<void>;

/**
 * Records each change to an organization's streams, made through `/v1/streams` or the CLI's `streams apply`
 * (an UPDATE_ORGANIZATION event with `setting: "streams"` and `via`), as the settings API and CLI record key
 * and redaction changes: before the change is written, so a change the bus cannot record is refused (BUS_UNAVAILABLE) rather than made
 * unseen. Where a destination sends is configuration, so it is recorded; secrets never are.
 */
@Injectable()
export class StreamChangeRecorder {
  constructor(private readonly recorder: ActivityRecorder) {}

  /** The hook the catalog calls for one change by `actor`; `extra` adds what the change carries (a replay's start). */
  before(actor: StreamActor, change: StreamChangeKind, extra: Record<string, unknown> = {}): BeforeStreamChange {
    return async (stream) => {
      await this.recorder.record({
        organizationId: actor.organizationId,
        actionType: 'UPDATE_ORGANIZATION',
        userId: actor.userId,
        ipAddress: actor.ipAddress,
        metadata: { setting: 'streams', via: actor.via, change, streamId: stream.id, name: stream.name, destination: stream.destinationType, ...extra },
      });
    };
  }
}
