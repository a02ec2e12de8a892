import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, type ConsumerConfig, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { assertNever, backoffMs, counter, gauge, histogram, type HealthRegistry, sleep } from '@audit/platform';
import type { MessagingConfig } from './config';
import { classifyError, type FailureKind } from './errors';
import type { JetStreamConnection } from './jetstream.connection';
import { consumerFilterSubject, isNotFound } from './streams';
import { DLQ_HEADERS, dlqSubject } from '@audit/bus-topology';
import { CumulativeAcks } from './cumulative-acks';
import { deliverySequenceOf, streamSequenceOf } from './delivery-info';
import { TimeSlice } from './time-slice';
import { WorkInProgress, workingIntervalMs } from './work-in-progress';

export interface BatchConsumerOptions {
  /** Durable consumer name; every replica of the service shares it, so they share the work. */
  durable: string;
  stream: string;
  filterSubject: string;
  /** Row cap, byte cap and flush interval of one batch. */
  maxBatchMessages: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  maxAckPending?: number;
  /** Overrides CONSUMER_IN_FLIGHT_BATCHES, e.g. 1 for a consumer whose batches must not overlap. */
  inFlightBatches?: number;
  /**
   * This consumer's ack wait, when its messages are held longer than CONSUMER_ACK_WAIT by design (an S3
   * stream fills a slice for up to a minute; a sealer behind holds up to 30,000): `working()` is sent every
   * third of it, so a longer wait means fewer signals for every message held. Default CONSUMER_ACK_WAIT.
   */
  ackWaitMs?: number;
  /** A new consumer starts at the first message stored at or after this time (a replay), not at the oldest. */
  startTime?: Date;
  /**
   * Started and stopped by a runner of many consumers (the streams service) rather than once per process:
   * it registers no readiness check of its own, and its pending gauge is removed when it stops.
   */
  managed?: boolean;
  /**
   * Acknowledge cumulatively (`AckPolicy.All`): one ack per settled run of messages instead of one per
   * message (a publish each, and as much work again in nats-server). Only for a consumer pulled by one client
   * at a time (see {@link CumulativeAcks}); an existing consumer of the other policy is recreated at its ack
   * floor (what it had delivered past the floor comes again, as after a crash).
   */
  ackAll?: boolean;
}

/** One message and its decoded payload. */
export interface Delivery<T> {
  message: JsMsg;
  /**
   * The message's stream sequence, read once as the batch is decoded: settling, ordering and naming a batch
   * read it again for every message, and each read scanned the reply subject anew (a quarter of a
   * microsecond each, four per message of a stream).
   */
  seq: number;
  payload: T;
}

/** A delivery `handleBatch` did not complete, and why (the reason travels to the log or the dead letter). */
export interface FailedDelivery<T> {
  delivery: Delivery<T>;
  reason: string;
}

/**
 * What `handleBatch` made of its batch, for the base class to settle. Every delivery of the batch that it
 * does not name succeeded and is acked; nothing (`void`) means the whole batch succeeded.
 * - `deadLetter`: can never succeed; published to AUDIT_DLQ with its reason, then terminated.
 * - `retry`: not done yet, and not poison (e.g. a receiver is down); nak'd to come back after `delayMs`
 *   (default: backoff by delivery count), for as long as it takes.
 *
 * A delivery named in both lists is dead-lettered; one not of the batch is ignored.
 */
export interface BatchOutcome<T> {
  deadLetter?: ReadonlyArray<FailedDelivery<T>>;
  retry?: ReadonlyArray<FailedDelivery<T> & { delayMs?: number }>;
}

/** How one message is settled: exactly one of these, exactly once. */
type Settlement = { kind: 'ack' } | { kind: 'retry'; reason: string; delayMs?: number } | { kind: 'dead-letter'; reason: string };
/** The settlement of almost every message: one shared object, not one allocated per message. */
const ACKED: Settlement = { kind: 'ack' };

const outcomes = counter('audit_consumer_messages_total', 'Messages handled by each consumer, by outcome', ['consumer', 'outcome']);
const batchSizes = histogram('audit_consumer_batch_size', 'Messages per handled batch', ['consumer'], [1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10_000, 20_000]);
const batchSeconds = histogram('audit_consumer_batch_duration_seconds', 'Time to handle one batch, ack included', ['consumer']);
/** How often an unsure {@link CumulativeAcks} asks the server again whether it knows every pending message. */
const CONFIRM_RETRY_MS = 100;
/**
 * Pull requests live this long at the server, and the server heartbeats an open one this often; two missed
 * heartbeats re-open the consumer (see `watchPull`). nats.js defaults (30 s, 15 s) meant a pull lost with
 * its JetStream leader (a node lost, a step-down) stalled the consumer for ~30 s.
 */
const PULL_EXPIRES_MS = 5_000;
const PULL_IDLE_HEARTBEAT_MS = 1_000;

const pendingGauge = gauge('audit_consumer_pending', 'Messages not yet acknowledged by each consumer (pending + in flight)', ['consumer']);

/**
 * A durable JetStream pull consumer that hands its subclass batches of decoded messages.
 *
 * Contract: this class alone acks, naks and dead-letters, and settles each message exactly once. A message
 * is acked only after `handleBatch` resolved, as the {@link BatchOutcome} it resolved to says (by default:
 * every message acked). A thrown failure is classified: transient → nak with backoff (retried for as long
 * as it takes); permanent → the batch is split so only the poison message goes to AUDIT_DLQ (with the
 * reason) and the rest still succeed; unknown → nak with backoff, dead-lettered after
 * `CONSUMER_MAX_DELIVER` deliveries. Each settlement is counted in `audit_consumer_messages_total`.
 */
export abstract class JetStreamBatchConsumer<T> implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger: Logger;
  private buffer: JsMsg[] = [];
  private bufferBytes = 0;
  private timer?: NodeJS.Timeout;
  private pendingTimer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  /** Batches cut (full, or their flush interval passed) and waiting for a slot, oldest first; their messages stay held. */
  private readonly ready: JsMsg[][] = [];
  /** Resolves the waits of `drained()` once nothing is ready nor in flight. */
  private readonly idle: Array<() => void> = [];
  /** Settles once the latest batch started has entered `handleBatch` (or had nothing to hand over). */
  private entered: Promise<void> = Promise.resolve();
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private stopping = false;
  private running = false;
  /**
   * Every message received and not yet settled, and under `ackAll` every one settled and not yet covered by an
   * ack: kept alive with `working()` so neither a slow batch nor one done behind it is redelivered.
   */
  private readonly inHand: WorkInProgress;
  /** Under `ackAll`: which message to ack, once the server is known to hold nothing this client does not. */
  private readonly cumulative?: CumulativeAcks<JsMsg>;
  /** A confirmation of the cumulative acks in progress (one at a time). */
  private confirming?: Promise<void>;
  /** Set once shut down: no more confirmations. */
  private closed = false;

  private get ackWaitMs(): number {
    return this.options.ackWaitMs ?? this.messaging.ackWaitMs;
  }

  private get inFlightLimit(): number {
    return this.options.inFlightBatches ?? this.messaging.inFlightBatches;
  }

  protected constructor(
    protected readonly bus: JetStreamConnection,
    protected readonly messaging: MessagingConfig,
    private readonly health: HealthRegistry,
    protected readonly options: BatchConsumerOptions,
  ) {
    this.logger = new Logger(`consumer:${options.durable}`);
    this.inHand = new WorkInProgress(workingIntervalMs(this.ackWaitMs));
    if (options.ackAll) this.cumulative = new CumulativeAcks<JsMsg>(streamSequenceOf, deliverySequenceOf);
  }

  /** Turns raw bytes into a payload; throw {@link PermanentError} for a message that can never be handled. */
  protected abstract decode(message: JsMsg): T;

  /**
   * Makes the batch's effect durable. Resolve only once it is committed, to nothing when every delivery
   * succeeded or to a {@link BatchOutcome} naming those that did not; throw when the batch failed as a whole.
   * Never ack, nak or term a message here: the base class settles each from what this returns.
   */
  protected abstract handleBatch(batch: ReadonlyArray<Delivery<T>>): Promise<BatchOutcome<T> | void>;

  /**
   * Sees each message as it arrives, before it waits for its batch to be cut (up to the flush interval) and
   * decoded. Only to take note of it: the base class alone settles it, and nothing here may wait.
   */
  protected received(_message: JsMsg): void {
    // Nothing by default.
  }

  /** Sorts a failure; subclasses teach it their drivers' errors. */
  protected classify(error: unknown): FailureKind {
    return classifyError(error);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureConsumer();
    // A done message's ack may wait behind a slower batch below it, for as long as that one takes.
    if (this.cumulative) this.inHand.hold(this.cumulative.unacked);
    if (!this.options.managed) this.health.register(`consumer:${this.options.durable}`, () => (this.running ? undefined : 'consumer is not running'));
    this.loop = this.consumeForever();
    this.pendingTimer = setInterval(() => void this.refreshPending(), 5_000);
    this.pendingTimer.unref();
  }

  /** Stops pulling, then finishes the batch in hand so nothing received is left half-done. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pendingTimer);
    await this.messages?.close().catch(() => undefined);
    await this.loop;
    this.cut();
    await this.drained();
    // What was delivered is acknowledged now if the server can confirm it, or it would come again to the next holder.
    if (this.cumulative?.waiting) {
      this.flushAcks();
      await this.confirming;
    }
    this.closed = true;
    this.inHand.stop();
    if (this.options.managed) pendingGauge.remove({ consumer: this.options.durable });
  }

  /** Messages of this consumer not yet acknowledged: waiting in the stream plus delivered and in flight. */
  async pending(): Promise<number> {
    const info = await this.bus.jsm.consumers.info(this.options.stream, this.options.durable);
    return info.num_pending + info.num_ack_pending;
  }

  private async refreshPending(): Promise<void> {
    try {
      pendingGauge.set({ consumer: this.options.durable }, await this.pending());
    } catch {
      // The bus being down is reported by readiness; the gauge keeps its last value.
    }
  }

  private async ensureConsumer(): Promise<void> {
    const { stream, durable, filterSubject } = this.options;
    const mutable = {
      ack_wait: nanos(this.ackWaitMs),
      max_ack_pending: this.options.maxAckPending ?? Math.max(1_000, this.options.maxBatchMessages * (this.inFlightLimit + 2)),
      // Undefined for the whole stream: an update then removes the filter an older version gave the consumer.
      filter_subject: consumerFilterSubject(stream, filterSubject),
    };
    const ackPolicy = this.options.ackAll ? AckPolicy.All : AckPolicy.Explicit;
    const config: Partial<ConsumerConfig> = {
      ...mutable,
      durable_name: durable,
      ack_policy: ackPolicy,
      ...(this.options.startTime
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: this.options.startTime.toISOString() }
        : { deliver_policy: DeliverPolicy.All }),
      // Redelivery is bounded by this class (which dead-letters), not by the server (which would drop silently).
      max_deliver: -1,
    };
    let existing;
    try {
      existing = await this.bus.jsm.consumers.info(stream, durable);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.bus.jsm.consumers.add(stream, config);
      return;
    }
    if (existing.config.ack_policy === ackPolicy) {
      await this.bus.jsm.consumers.update(stream, durable, mutable);
      return;
    }
    // The ack policy of a consumer cannot be changed: it is made again where the old one stood. Everything at
    // or below its ack floor was acknowledged; what it had delivered above comes again (as after a crash),
    // so nothing is skipped. A consumer that never acknowledged anything starts where it first started.
    const floor = existing.ack_floor.stream_seq;
    await this.bus.jsm.consumers.delete(stream, durable);
    await this.bus.jsm.consumers.add(stream, floor > 0 ? { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1, opt_start_time: undefined } : config);
    this.logger.log({ msg: 'consumer recreated at its ack floor for a new ack policy', ackPolicy, ackFloor: floor });
  }

  private async consumeForever(): Promise<void> {
    while (!this.stopping) {
      try {
        const consumer = await this.bus.js.consumers.get(this.options.stream, this.options.durable);
        // A callback rather than the async iterator: the iterator costs a promise and a turn of the microtask
        // queue per message, and the loop below never waits anyway.
        this.messages = await consumer.consume({
          max_messages: this.options.maxBatchMessages * (this.inFlightLimit + 1),
          expires: PULL_EXPIRES_MS,
          idle_heartbeat: PULL_IDLE_HEARTBEAT_MS,
          callback: (message) => this.receive(message),
        });
        void this.watchPull(this.messages);
        // Shutdown may have come while the iterator was being opened: it had nothing to close then.
        if (this.stopping) {
          // stop(), not close(): close() resolves only once someone has iterated to the end.
          this.messages.stop();
          break;
        }
        this.running = true;
        const ended = await this.messages.closed();
        if (ended instanceof Error) throw ended;
      } catch (error) {
        this.logger.error({ msg: 'consume loop failed; restarting', error: describe(error) });
      }
      this.running = false;
      if (!this.stopping) await sleep(1_000);
    }
  }

  /**
   * Takes each message as it arrives. Nothing here waits: every message is held (kept alive with `working()`)
   * from the moment it arrives, so none sits unheld in the client's queue past CONSUMER_ACK_WAIT while the
   * batches before it run. Backpressure is the server's: it lets out no more than max_ack_pending
   * unacknowledged messages.
   */
  private receive(message: JsMsg): void {
    this.received(message);
    this.cumulative?.received(message);
    this.buffer.push(message);
    this.inHand.hold(this.buffer);
    this.bufferBytes += message.data.length;
    if (this.buffer.length >= this.options.maxBatchMessages || this.bufferBytes >= this.options.maxBatchBytes) this.cut();
    else this.timer ??= setTimeout(() => this.cut(), this.options.flushIntervalMs);
  }

  /**
   * Missed heartbeats while the loop waits for messages mean the open pull is lost: its consumer leader moved
   * or its server went away. nats.js would check the consumer and pull again, but after a failed check (no
   * leader elected yet) it waits 2.5-7.5 s before the next; re-opening the consumer from the loop retries
   * every second instead. Messages already received are still handed over before the loop re-opens.
   */
  private async watchPull(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      // Batches waiting for a slot mean the server holds back at max_ack_pending: the pull is not lost.
      if (status.type !== 'heartbeats_missed' || this.ready.length > 0 || this.stopping) continue;
      this.logger.warn({ msg: 'pull heartbeats missed; re-opening the consumer', count: status.count });
      messages.stop();
    }
  }

  /** Closes the batch being filled: it waits in line for a slot, still held. */
  private cut(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length > 0) {
      this.ready.push(this.buffer);
      this.buffer = [];
      this.bufferBytes = 0;
    }
    this.startReady();
  }

  /**
   * Starts the waiting batches, oldest first, while fewer than `inFlightBatches` run (a consumer that sets
   * `inFlightBatches: 1`, say, can rely on its batches never overlapping); each that ends starts the next.
   */
  private startReady(): void {
    while (this.inFlight.size < this.inFlightLimit && this.ready.length > 0) {
      const batch = this.ready.shift() as JsMsg[];
      const running: Promise<void> = this.processBuffered(batch).finally(() => {
        this.inFlight.delete(running);
        this.startReady();
      });
      this.inFlight.add(running);
    }
    if (this.inFlight.size === 0 && this.ready.length === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves once every batch cut has been handled and settled. */
  private drained(): Promise<void> {
    if (this.inFlight.size === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private async processBuffered(batch: JsMsg[]): Promise<void> {
    const stop = batchSeconds.startTimer({ consumer: this.options.durable });
    batchSizes.observe({ consumer: this.options.durable }, batch.length);
    try {
      await this.processBatch(batch);
    } catch (error) {
      // processBatch settles every message itself; reaching here is a bug, and the messages will be redelivered.
      this.logger.error({ msg: 'unexpected batch failure', error: describe(error) });
    } finally {
      this.inHand.release(batch);
      this.flushAcks();
      stop();
    }
  }

  /**
   * Under `ackAll`, sends the one ack that settles every message done so far below the first still open. While
   * the tracker is unsure (at start, after a gap in the deliveries) it asks the server until the counts agree.
   */
  private flushAcks(): void {
    const cumulative = this.cumulative;
    if (!cumulative) return;
    const message = cumulative.next();
    if (message) {
      message.ack();
      return;
    }
    if (cumulative.verified || !cumulative.waiting || this.confirming || this.closed) return;
    this.confirming = this.confirm(cumulative).finally(() => {
      this.confirming = undefined;
      if (cumulative.verified) this.flushAcks();
    });
  }

  private async confirm(cumulative: CumulativeAcks<JsMsg>): Promise<void> {
    while (!cumulative.verified && cumulative.waiting && !this.closed) {
      const before = cumulative.snapshot();
      try {
        const info = await this.bus.jsm.consumers.info(this.options.stream, this.options.durable);
        if (cumulative.confirm({ ackPending: info.num_ack_pending, lastDelivery: info.delivered.consumer_seq }, before)) return;
      } catch (error) {
        this.logger.warn({ msg: 'could not read the consumer to confirm its pending messages; asking again', error: describe(error) });
      }
      // Shutting down: one question only; what stays unacknowledged comes again to the next holder.
      if (this.stopping && this.inFlight.size === 0) return;
      await sleep(CONFIRM_RETRY_MS);
    }
  }

  private async processBatch(messages: JsMsg[]): Promise<void> {
    const deliveries: Array<Delivery<T>> = [];
    const undecodable: Array<{ message: JsMsg; reason: string }> = [];
    // With several batches in flight each enters `handleBatch` in the order it was received (a subclass may
    // rely on that): the decoding below yields, so a batch waits for the one before it to have entered.
    const previous = this.entered;
    let enter = (): void => undefined;
    this.entered = new Promise<void>((resolve) => (enter = resolve));
    let handled: Promise<void> = Promise.resolve();
    try {
      // Decoding a batch of thousands is a long stretch of synchronous work: done in slices (see TimeSlice).
      const slice = new TimeSlice();
      for (const message of messages) {
        if (slice.spent()) await slice.yield();
        try {
          // The sequence first: a decode that reads the stored time (envelopeOf) finds the subject just scanned.
          const seq = streamSequenceOf(message);
          deliveries.push({ message, seq, payload: this.decode(message) });
        } catch (error) {
          undecodable.push({ message, reason: `undecodable: ${describe(error)}` });
        }
      }
      await previous;
      // Dead-lettered once the rest is handed over (a dead letter is an awaited publish).
      if (deliveries.length > 0) handled = this.handleDeliveries(deliveries);
    } finally {
      enter();
    }
    for (const { message, reason } of undecodable) await this.deadLetter(message, reason);
    await handled;
  }

  private async handleDeliveries(deliveries: Array<Delivery<T>>): Promise<void> {
    let outcome: BatchOutcome<T> | void;
    try {
      outcome = await this.handleBatch(deliveries);
    } catch (error) {
      const kind = this.classify(error);
      if (kind === 'transient' || deliveries.length === 1) {
        await this.settleFailure(deliveries, error, kind);
        return;
      }
      // Find the poison: each message alone, so the good ones are committed and only the bad one is dead-lettered.
      for (const delivery of deliveries) {
        let single: BatchOutcome<T> | void;
        try {
          single = await this.handleBatch([delivery]);
        } catch (failure) {
          await this.settleFailure([delivery], failure, this.classify(failure));
          continue;
        }
        await this.settle([delivery], single);
      }
      return;
    }
    // Outside the try: a settlement is never followed by handling the same batch again.
    await this.settle(deliveries, outcome);
  }

  /** Settles every delivery of a batch `handleBatch` resolved for, as its outcome says. */
  private async settle(deliveries: ReadonlyArray<Delivery<T>>, outcome: BatchOutcome<T> | void): Promise<void> {
    const failed = new Map<JsMsg, Settlement>();
    for (const { delivery, reason, delayMs } of outcome?.retry ?? []) failed.set(delivery.message, { kind: 'retry', reason, delayMs });
    for (const { delivery, reason } of outcome?.deadLetter ?? []) failed.set(delivery.message, { kind: 'dead-letter', reason });
    let acked = 0;
    const retried = new Set<string>();
    const deadLetters: Array<{ message: JsMsg; reason: string }> = [];
    // Acks and naks first, so each is counted as it leaves (in slices: an ack is a publish, and a batch may
    // hold thousands); the dead letters (a publish each, awaited) after.
    const slice = new TimeSlice();
    for (const { message, seq } of deliveries) {
      if (slice.spent()) await slice.yield();
      const settlement = failed.get(message) ?? ACKED;
      switch (settlement.kind) {
        case 'ack':
          if (this.cumulative) this.cumulative.settled(message, seq);
          else message.ack();
          acked++;
          break;
        case 'retry':
          this.nak(message, settlement.delayMs ?? backoffMs(message.info.deliveryCount, 250, 30_000));
          retried.add(settlement.reason);
          break;
        case 'dead-letter':
          deadLetters.push({ message, reason: settlement.reason });
          break;
        default:
          return assertNever(settlement);
      }
    }
    if (acked > 0) outcomes.inc({ consumer: this.options.durable, outcome: 'acked' }, acked);
    if (retried.size > 0) this.logger.warn({ msg: 'deliveries failed; will retry', reasons: [...retried] });
    for (const { message, reason } of deadLetters) await this.deadLetter(message, reason);
  }

  private async settleFailure(deliveries: ReadonlyArray<Delivery<T>>, error: unknown, kind: FailureKind): Promise<void> {
    const reason = describe(error);
    for (const { message } of deliveries) {
      const count = message.info.deliveryCount;
      const exhausted = kind === 'unknown' && count >= this.messaging.maxDeliver;
      if (kind === 'permanent' || exhausted) {
        await this.deadLetter(message, exhausted ? `gave up after ${count} deliveries: ${reason}` : reason);
      } else {
        this.nak(message, backoffMs(count, 250, 30_000));
      }
    }
    if (kind !== 'permanent') this.logger.warn({ msg: 'batch failed; will retry', kind, reason, size: deliveries.length });
  }

  /** The body a dead letter keeps: the message as it came, unless a subclass must first remove what may not be stored. */
  protected deadLetterData(message: JsMsg): Uint8Array {
    return message.data;
  }

  private nak(message: JsMsg, delayMs: number): void {
    message.nak(delayMs);
    outcomes.inc({ consumer: this.options.durable, outcome: 'nacked' });
  }

  /** Publishes the message with the reason to AUDIT_DLQ, then terminates it; if the DLQ is unreachable, retries later. */
  private async deadLetter(message: JsMsg, reason: string): Promise<void> {
    const h = natsHeaders();
    h.set(DLQ_HEADERS.reason, reason.slice(0, 1024).replace(/[\r\n]+/g, ' '));
    h.set(DLQ_HEADERS.consumer, this.options.durable);
    h.set(DLQ_HEADERS.subject, message.subject);
    h.set(DLQ_HEADERS.streamSequence, String(message.seq));
    h.set(DLQ_HEADERS.deliveries, String(message.info.deliveryCount));
    try {
      await this.bus.js.publish(dlqSubject(this.options.durable), this.deadLetterData(message), {
        headers: h,
        msgID: `${this.options.durable}:${message.info.stream}:${message.seq}`,
      });
      // The reason travels in the dead letter's headers: nats-server before 2.10 ignores `+TERM <reason>`
      // and would keep redelivering the message.
      // Under ackAll a term would acknowledge everything below it too: the message is settled with the others.
      if (this.cumulative) this.cumulative.settled(message);
      else message.term();
      outcomes.inc({ consumer: this.options.durable, outcome: 'dead_lettered' });
      this.logger.warn({ msg: 'message dead-lettered', subject: message.subject, seq: message.seq, reason });
    } catch (error) {
      this.nak(message, backoffMs(message.info.deliveryCount, 1_000, 30_000));
      this.logger.error({ msg: 'dead-letter publish failed; will retry', error: describe(error) });
    }
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
