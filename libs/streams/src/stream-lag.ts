import { Injectable } from '@nestjs/common';
import type { ConsumerInfo, MsgRequest, NextMsgRequest } from '@nats-io/jetstream';
import type { StreamLag } from '@audit/contracts';
import { JetStreamConnection, STREAMS } from '@audit/messaging';
import { streamDurable, streamFilterSubject, type StreamRecord } from './model';

type LagSubject = Pick<StreamRecord, 'id' | 'organizationId'>;

/**
 * How far each stream is behind the bus, read from its durable consumer: the events not yet acknowledged
 * (waiting plus in flight), and the age of the oldest of them, the organization's first event after the
 * consumer's ack floor.
 *
 * One stream ({@link of}): its consumer's info, then the oldest message when it lags. A list of streams
 * ({@link ofAll}): one `consumers.list` of AUDIT_EVENTS for all of them (one request per 256 consumers),
 * then one message read per distinct position that lagging streams wait at, so a list load costs a
 * couple of bus requests however many streams it shows, not one or two per stream.
 */
@Injectable()
export class StreamLagReader {
  constructor(private readonly bus: JetStreamConnection) {}

  /** The stream's lag; null while it has no consumer yet (it never ran) or the bus does not answer. */
  async of(stream: LagSubject, now = Date.now()): Promise<StreamLag | null> {
    let info: ConsumerInfo;
    try {
      info = await this.bus.jsm.consumers.info(STREAMS.events, streamDurable(stream.id));
    } catch {
      // No consumer yet (the stream never ran), or the bus does not answer (readiness shows that): the view
      // still answers, its lag unknown.
      return null;
    }
    return this.lagFrom(stream, info, new OldestReads(this.bus), now);
  }

  /** Each stream's lag by stream id, from one listing of the consumers; null as in {@link of}. */
  async ofAll(streams: readonly LagSubject[], now = Date.now()): Promise<Map<string, StreamLag | null>> {
    const lags = new Map<string, StreamLag | null>(streams.map((s) => [s.id, null]));
    if (streams.length === 0) return lags;
    const wanted = new Set(streams.map((s) => streamDurable(s.id)));
    const consumers = new Map<string, ConsumerInfo>();
    try {
      for await (const info of this.bus.jsm.consumers.list(STREAMS.events)) if (wanted.has(info.name)) consumers.set(info.name, info);
    } catch {
      return lags;
    }
    const reads = new OldestReads(this.bus);
    await Promise.all(
      streams.map(async (stream) => {
        const info = consumers.get(streamDurable(stream.id));
        if (info) lags.set(stream.id, await this.lagFrom(stream, info, reads, now));
      }),
    );
    return lags;
  }

  private async lagFrom(stream: LagSubject, info: ConsumerInfo, reads: OldestReads, now: number): Promise<StreamLag | null> {
    const events = info.num_pending + info.num_ack_pending;
    if (events === 0) return { events: 0, seconds: 0 };
    try {
      const oldest = await reads.after(info.ack_floor.stream_seq, streamFilterSubject(stream.organizationId));
      return { events, seconds: oldest ? Math.max(0, Math.floor((now - oldest.getTime()) / 1000)) : 0 };
    } catch {
      return null;
    }
  }
}

/**
 * The time the first message on a subject after a stream sequence was stored, read once per (sequence,
 * subject) within one answer: the streams of an organization that wait at the same place share one read.
 */
class OldestReads {
  private readonly reads = new Map<string, Promise<Date | null>>();

  constructor(private readonly bus: JetStreamConnection) {}

  after(ackFloor: number, subject: string): Promise<Date | null> {
    const key = `${ackFloor} ${subject}`;
    let read = this.reads.get(key);
    if (!read) {
      // nats-server answers `next_by_subj` on STREAM.MSG.GET (2.9+); nats.js types it only for direct gets.
      const next: NextMsgRequest = { seq: ackFloor + 1, next_by_subj: subject };
      // A message gone since (limits, retention) reads as none: the lag is then counted from now.
      read = this.bus.jsm.streams.getMessage(STREAMS.events, next as unknown as MsgRequest).then((m) => (m ? m.time : null));
      this.reads.set(key, read);
    }
    return read;
  }
}
