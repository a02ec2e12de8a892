import { Injectable } from '@nestjs/common';
import type { MsgRequest, NextMsgRequest } from '@nats-io/jetstream';
import type { StreamLag } from '@audit/contracts';
import { JetStreamConnection, STREAMS } from '@audit/messaging';
import { streamDurable, streamFilterSubject, type StreamRecord } from './model';

/**
 * How far each stream is behind the bus, read from its durable consumer: the events not yet acknowledged
 * (waiting plus in flight), and the age of the oldest of them, the organization's first event after the
 * consumer's ack floor. Two JetStream API requests for a stream that lags, one for one that does not.
 */
@Injectable()
export class StreamLagReader {
  constructor(private readonly bus: JetStreamConnection) {}

  /** The stream's lag; null while it has no consumer yet (it never ran) or the bus does not answer. */
  async of(stream: Pick<StreamRecord, 'id' | 'organizationId'>, now = Date.now()): Promise<StreamLag | null> {
    try {
      const info = await this.bus.jsm.consumers.info(STREAMS.events, streamDurable(stream.id));
      const events = info.num_pending + info.num_ack_pending;
      if (events === 0) return { events: 0, seconds: 0 };
      // nats-server answers `next_by_subj` on STREAM.MSG.GET (2.9+); nats.js types it only for direct gets.
      const next: NextMsgRequest = { seq: info.ack_floor.stream_seq + 1, next_by_subj: streamFilterSubject(stream.organizationId) };
      const oldest = await this.bus.jsm.streams.getMessage(STREAMS.events, next as unknown as MsgRequest);
      return { events, seconds: oldest ? Math.max(0, Math.floor((now - oldest.time.getTime()) / 1000)) : 0 };
    } catch {
      // No consumer yet (the stream never ran), or the bus does not answer (readiness shows that): the view
      // still answers, its lag unknown.
      return null;
    }
  }
}
