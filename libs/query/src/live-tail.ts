import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ConsumerMessages } from '@nats-io/jetstream';
import type { AuditEvent, EventUser } from '@audit/contracts';
import { decodeCanonicalEvent, envelopeOf, JetStreamConnection, STREAMS } from '@audit/messaging';
import { AppError, counter, gauge } from '@audit/platform';
import { matches, type SearchNode } from '@audit/search';
import { QUERY_CONFIG, type QueryConfig } from './config';
import { EventsReadRepository } from './events-read.repository';
import { actorOf, eventFrame, heartbeatFrame, searchableOf, summaryOf } from './live-tail-frames';
import { LiveTailSlots } from './live-tail-slots';

const tailsOpen = gauge('audit_live_tails_open', 'Live tails (GET /v1/events/stream) open in this process');
const tailEvents = counter('audit_live_tail_events_total', 'Events a live tail read from the bus, by outcome (sent, filtered, invalid)', ['outcome']);

/** Where a tail writes: the open response. `write` resolves once the text is handed on (after a drain when the socket is full). */
export interface TailOutput {
  write(text: string): Promise<void>;
  end(): void;
}

/** Most actors a tail remembers, so a busy organization's tail asks Postgres once per user, not once per event. */
const ACTOR_CACHE = 1_000;

/** An open tail: closing it stops its consumer, deletes it on the server and frees its slot (once). */
export interface OpenTail {
  close(): Promise<void>;
  /** Settles when the tail ended, for any reason. */
  readonly ended: Promise<void>;
}

/**
 * The live tail of `GET /v1/events/stream`: an ordered ephemeral JetStream consumer on one organization's
 * subjects of AUDIT_EVENTS (`audit.events.<org>.>`), started after the stream's last message (or right
 * after the sequence a reconnecting client last received), each event re-checked as canonical, matched in
 * memory against the search (`matches` of libs/search) and sent with its stream sequence as its id.
 * Ordered consumers redeliver nothing and skip nothing: the client library recreates one from the last
 * sequence seen when its heartbeats stop, so a tail delivers each event once, in stream order.
 *
 * The actor's e-mail and name a search reads are the event's own snapshot, else the organization's user
 * of that id in Postgres (as the events list joins it). Bounded per organization and per process; every
 * tail ends before the bus connection drains on shutdown.
 */
@Injectable()
export class LiveTail implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LiveTail');
  private readonly slots: LiveTailSlots;
  private readonly open = new Set<OpenTail>();

  constructor(
    private readonly bus: JetStreamConnection,
    private readonly events: EventsReadRepository,
    @Inject(QUERY_CONFIG) private readonly config: QueryConfig,
  ) {
    this.slots = new LiveTailSlots({ perOrg: config.liveTailMaxPerOrg, perProcess: config.liveTailMaxPerProcess });
  }

  /** Takes a slot or throws 429: done before anything else, so a refused tail costs nothing. */
  reserve(organizationId: string): () => void {
    return this.slots.take(organizationId);
  }

  /**
   * Opens the consumer (503 when the bus refuses), then pumps matching events into `output` until
   * {@link OpenTail.close}, the client leaving (the caller closes), or a failure, which ends the output:
   * the client reconnects with Last-Event-ID and misses nothing.
   */
  async start(organizationId: string, node: SearchNode, after: number | undefined, release: () => void, output: TailOutput): Promise<OpenTail> {
    let messages: ConsumerMessages;
    let deleteConsumer: () => Promise<unknown>;
    try {
      // A new tail starts after the last stored message. Not DeliverPolicy.New: an ordered consumer that is
      // recreated before it saw a message would restart from the stream's first sequence.
      const start = after ?? (await this.bus.jsm.streams.info(STREAMS.events)).state.last_seq;
      const consumer = await this.bus.js.consumers.get(STREAMS.events, {
        name_prefix: `tail_${randomUUID().replace(/-/g, '')}`,
        filter_subjects: `audit.events.${organizationId}.>`,
        opt_start_seq: start + 1,
      });
      messages = await consumer.consume({ max_messages: 256 });
      deleteConsumer = () => consumer.delete();
    } catch (error) {
      release();
      this.logger.warn({ msg: 'live tail could not open its consumer', organizationId, error: error instanceof Error ? error.message : String(error) });
      throw new AppError('BUS_UNAVAILABLE', 'the live tail could not be opened on the bus: try again shortly');
    }

    tailsOpen.inc();
    const heartbeat = setInterval(() => void output.write(heartbeatFrame(new Date())).catch(() => undefined), this.config.liveTailHeartbeatMs);
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        clearInterval(heartbeat);
        messages.stop();
        output.end();
        await deleteConsumer().catch(() => undefined);
        release();
        tailsOpen.dec();
      })());
    const pumped = this.pump(organizationId, node, messages, output).catch((error: unknown) => {
      this.logger.warn({ msg: 'live tail ended by a failure', organizationId, error: error instanceof Error ? error.message : String(error) });
    });
    const tail: OpenTail = { close, ended: pumped.then(close) };
    this.open.add(tail);
    void tail.ended.finally(() => this.open.delete(tail));
    return tail;
  }

  private async pump(organizationId: string, node: SearchNode, messages: ConsumerMessages, output: TailOutput): Promise<void> {
    const actors = new Map<string, EventUser | null>();
    for await (const message of messages) {
      let event: AuditEvent;
      try {
        event = decodeCanonicalEvent(message.data, envelopeOf(message));
      } catch (error) {
        // The writer dead-letters it; the tail shows only what the system of record will hold.
        tailEvents.inc({ outcome: 'invalid' });
        this.logger.warn({ msg: 'live tail skipped a message that is not a canonical event', seq: message.seq, error: (error as Error).message });
        continue;
      }
      const actor = actorOf(event, event.user || event.userId === null ? null : await this.storedActor(organizationId, event.userId, actors));
      if (!matches(node, searchableOf(event, actor))) {
        tailEvents.inc({ outcome: 'filtered' });
        continue;
      }
      await output.write(eventFrame(message.seq, summaryOf(event, actor)));
      tailEvents.inc({ outcome: 'sent' });
    }
  }

  private async storedActor(organizationId: string, userId: string, actors: Map<string, EventUser | null>): Promise<EventUser | null> {
    const known = actors.get(userId);
    if (known !== undefined) return known;
    const user = await this.events.userById(organizationId, userId);
    if (actors.size >= ACTOR_CACHE) actors.clear();
    const actor = user ? { email: user.email, userName: user.userName } : null;
    actors.set(userId, actor);
    return actor;
  }

  /** Ends every tail (their clients reconnect to another replica) and deletes their consumers while the bus is still connected. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.open].map((tail) => tail.close()));
  }
}
