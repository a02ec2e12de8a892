import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { describe, isNotFound, JetStreamConnection, MESSAGING_CONFIG, STREAMS, type MessagingConfig } from '@audit/messaging';
import { ErasuresRepository, RetentionPoliciesRepository } from '@audit/persistence';
import { gauge, HealthRegistry } from '@audit/platform';
import { readPolicySet } from '@audit/retention';
import { STREAMS_CONFIG, type StreamsConfig } from './config';
import { batchShape, createSender } from './destinations';
import { ErasedUsers } from './erased-users';
import { FairScheduler } from './fair-scheduler';
import { OrganizationRetention } from './organization-retention';
import { streamFailing, streamLag } from './metrics';
import { replayDurable, streamDurable, type StreamRecord } from './model';
import { StreamsCatalog } from './streams-catalog.service';
import { StreamsRepository } from './streams.repository';
import { LeaseLostError, StreamWorker, type Attempt, type WorkerReporter } from './stream-worker';

const runningStreams = gauge('audit_streams_running', 'Stream consumers this replica runs (live and replays)');
/** Consumers of deleted streams are removed only once older than this, so one created a moment ago by another replica is never taken for an orphan. */
const ORPHAN_AGE_MS = 60_000;
const GC_EVERY = 15;
/** Each stream's lag is one JetStream API request: read it this often, not at every refresh. */
const LAG_EVERY_MS = 5_000;

interface Running {
  worker: StreamWorker;
  /** The definition it runs (`updatedAt`): a replaced, paused or resumed stream is restarted. */
  version: number;
  replay?: { id: string; untilSeq: number };
}

/**
 * Runs this replica's share of every organization's streams: reads their definitions from Postgres every
 * STREAMS_REFRESH_INTERVAL, holds a lease on its share of the unpaused streams (the live replicas divide
 * them evenly; a replica that stops renewing loses them to the others after the lease's time), starts a
 * worker (a durable consumer) per stream it holds and per replay of it, stops those paused, replaced,
 * deleted or given up, ends finished replays, publishes each stream's lag, and removes the consumers of
 * deleted streams. One replica at a time delivers a stream, so its order holds.
 */
@Injectable()
export class StreamsRunner implements OnApplicationBootstrap, BeforeApplicationShutdown, WorkerReporter {
  private readonly logger = new Logger('streams');
  private readonly workers = new Map<string, Running>();
  private readonly failing = new Set<string>();
  private readonly scheduler: FairScheduler;
  private timer?: NodeJS.Timeout;
  private refreshing: Promise<void> = Promise.resolve();
  private stopping = false;
  private lastRefreshOk = 0;
  private refreshes = 0;
  /** A refresh asked for by a change and not started yet (see refreshSoon). */
  private refreshAsked = false;
  private lagReadAt = 0;
  private readonly replicaId = randomUUID();
  /**
   * Streams taken over from another replica (or released by one), and when: their consumer rests for one and
   * a half of its ack wait from then. Events that replica had received but not settled come back only after
   * the ack wait, and the server redelivers them before newer ones only if nobody has pulled the newer ones
   * meanwhile.
   */
  private readonly handover = new Map<string, number>();
  /** When this replica last renewed its leases: a worker sends only while they are surely still its own. */
  private leasesRenewedAt = 0;

  /** The people erased within STREAM_MAX_AGE, re-read at every refresh: every worker sends their events emptied. */
  private readonly erased = new ErasedUsers();
  /** Every organization's retention policy, re-read at every refresh: no worker sends what the purge removes. */
  private readonly retention = new OrganizationRetention();

  constructor(
    private readonly repository: StreamsRepository,
    private readonly erasures: ErasuresRepository,
    private readonly retentionPolicies: RetentionPoliciesRepository,
    private readonly catalog: StreamsCatalog,
    private readonly bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) private readonly messaging: MessagingConfig,
    @Inject(STREAMS_CONFIG) private readonly config: StreamsConfig,
    private readonly health: HealthRegistry,
  ) {
    this.scheduler = new FairScheduler(config.concurrency);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.health.register('streams', () =>
      Date.now() - this.lastRefreshOk <= Math.max(3 * this.config.refreshIntervalMs, 15_000) ? undefined : 'the streams have not been refreshed from Postgres lately',
    );
    await this.refresh();
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.refreshing;
    const held = new Set([...this.workers.values()].map((r) => r.worker.stream.id));
    await Promise.all([...this.workers.keys()].map((durable) => this.stopWorker(durable)));
    // Handed over at once rather than when the leases expire.
    for (const id of held) await this.repository.release(this.replicaId, id).catch(() => undefined);
  }

  private get leaseMs(): number {
    return Math.max(10_000, 5 * this.config.refreshIntervalMs);
  }

  /** Whether this replica's leases are surely still its own (renewed well within their time). */
  private leasesValid(): boolean {
    return Date.now() - this.leasesRenewedAt < this.leaseMs - 2 * this.config.refreshIntervalMs;
  }

  /** Reads the definitions now (also what the timer does); resolves once the workers match them. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.reconcile()).catch((error: unknown) => this.logger.error({ msg: 'streams refresh failed', error: describe(error) }));
    return this.refreshing;
  }

  /**
   * A refresh after the one in progress, for a change just made through the API. Changes in a burst share
   * one: the flag clears when that refresh starts, so a change made while it runs asks for another.
   */
  refreshSoon(): void {
    if (this.refreshAsked) return;
    this.refreshAsked = true;
    this.refreshing = this.refreshing
      .then(() => {
        this.refreshAsked = false;
        return this.reconcile();
      })
      .catch((error: unknown) => this.logger.error({ msg: 'streams refresh failed', error: describe(error) }));
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule()), this.config.refreshIntervalMs);
    this.timer.unref();
  }

  private async reconcile(): Promise<void> {
    if (this.stopping) return;
    const snapshotAt = Date.now();
    // Only the bus's copies need them, and it keeps none older than STREAM_MAX_AGE. Read before the workers
    // start, so a replay asked for after an erasure never sends what it emptied; kept as last read when Postgres fails.
    this.erased.replace(await this.erasures.erasedSince(new Date(snapshotAt - this.messaging.streamMaxAgeMs)));
    // Likewise before the workers start: a policy shortened (or a hold lifted) takes effect within a refresh.
    this.retention.replace(await readPolicySet(this.retentionPolicies));
    const streams = await this.repository.all();
    const held = await this.holdShare(streams);
    const desired = new Map<string, { stream: StreamRecord; replay?: { id: string; from: Date; untilSeq: number } }>();
    for (const stream of streams) {
      if (stream.status === 'paused' || !held.has(stream.id)) continue;
      desired.set(streamDurable(stream.id), { stream });
      if (stream.replayId && stream.replayFrom && stream.replayUntilSeq !== null) {
        desired.set(replayDurable(stream.replayId), { stream, replay: { id: stream.replayId, from: stream.replayFrom, untilSeq: stream.replayUntilSeq } });
      }
      if (stream.status === 'failing') this.failing.add(stream.id);
      else this.failing.delete(stream.id);
    }
    const byId = new Map(streams.map((s) => [s.id, s]));
    for (const [durable, running] of this.workers) {
      const want = desired.get(durable);
      if (want && want.stream.updatedAt.getTime() === running.version) continue;
      await this.stopWorker(durable);
      // A deleted stream's consumer, or a replay replaced by a newer one, goes at once (a paused one keeps its position).
      const stream = byId.get(running.worker.stream.id);
      if (!stream || (running.replay && stream.replayId !== running.replay.id)) await this.deleteConsumer(durable);
    }
    for (const [durable, want] of desired) {
      if (this.workers.has(durable) || this.stopping || !(await this.mayStart(want.stream.id))) continue;
      await this.startWorker(durable, want.stream, want.replay);
    }
    await this.finishReplays();
    if (Date.now() - this.lagReadAt >= LAG_EVERY_MS) {
      this.lagReadAt = Date.now();
      await this.publishLag(streams);
    }
    if (this.refreshes++ % GC_EVERY === 0) await this.removeOrphans(streams, snapshotAt);
    runningStreams.set(this.workers.size);
    this.lastRefreshOk = Date.now();
  }

  /**
   * Renews this replica's leases and takes free ones up to its share (the unpaused streams over the live
   * replicas, rounded up); gives up what it holds beyond the share (stopping those workers first), so a
   * replica that joins gets streams from the others. Answers the streams it holds.
   */
  private async holdShare(streams: StreamRecord[]): Promise<Set<string>> {
    const started = Date.now();
    const replicas = await this.repository.heartbeat(this.replicaId, this.leaseMs);
    const share = Math.ceil(streams.filter((s) => s.status !== 'paused').length / replicas);
    const claimed = await this.repository.claim(this.replicaId, this.leaseMs, share);
    this.leasesRenewedAt = started;
    for (const { id, previousOwner } of claimed) {
      if (previousOwner !== this.replicaId && !this.handover.has(id)) this.handover.set(id, started);
    }
    const held = claimed.map((c) => c.id);
    const running = new Set([...this.workers.values()].map((r) => r.worker.stream.id));
    // Give up first what this replica does not run yet, then what it runs.
    const surplus = [...held].sort((a, b) => Number(running.has(a)) - Number(running.has(b))).slice(0, Math.max(0, held.length - share));
    for (const id of surplus) {
      for (const [durable, r] of this.workers) if (r.worker.stream.id === id) await this.stopWorker(durable);
      await this.repository.release(this.replicaId, id);
      this.handover.delete(id);
    }
    return new Set(held.filter((id) => !surplus.includes(id)));
  }

  /**
   * Whether a stream just taken over may start: at once if its consumer never existed, else after the rest,
   * timed by the consumer's own ack wait (an S3 stream's is longer than CONSUMER_ACK_WAIT: see batchShape).
   */
  private async mayStart(streamId: string): Promise<boolean> {
    const since = this.handover.get(streamId);
    if (since === undefined) return true;
    try {
      const info = await this.bus.jsm.consumers.info(STREAMS.events, streamDurable(streamId));
      const ackWaitMs = Math.max(this.messaging.ackWaitMs, Number(info.config.ack_wait ?? 0) / 1e6);
      if (Date.now() < since + Math.ceil(1.5 * ackWaitMs)) return false;
      this.handover.delete(streamId);
      return true;
    } catch (error) {
      if (!isNotFound(error)) return false;
      this.handover.delete(streamId);
      return true;
    }
  }

  private async startWorker(durable: string, stream: StreamRecord, replay?: { id: string; from: Date; untilSeq: number }): Promise<void> {
    let worker: StreamWorker | undefined;
    try {
      const sender = createSender(stream, this.catalog.secretsOf(stream), { timeoutMs: this.config.deliveryTimeoutMs, allowPrivateNetworks: this.config.allowPrivateNetworks });
      worker = new StreamWorker(
        {
          bus: this.bus,
          messaging: this.messaging,
          health: this.health,
          scheduler: this.scheduler,
          reporter: this,
          historyLimit: this.config.historyPerStream,
          // The destination's address is checked by the sender's own connections (see pinnedLookup), as they open.
          guard: async () => {
            if (!this.leasesValid()) throw new LeaseLostError();
          },
          erased: this.erased,
          retention: this.retention,
        },
        stream,
        sender,
        batchShape(stream, this.config.flushIntervalMs, this.messaging.ackWaitMs),
        replay,
      );
      await worker.start();
      this.workers.set(durable, { worker, version: stream.updatedAt.getTime(), replay: replay && { id: replay.id, untilSeq: replay.untilSeq } });
    } catch (error) {
      await worker?.stop().catch(() => undefined);
      this.logger.error({ msg: 'stream could not start; will retry', stream: stream.id, error: describe(error) });
    }
  }

  private async stopWorker(durable: string): Promise<void> {
    const running = this.workers.get(durable);
    if (!running) return;
    this.workers.delete(durable);
    await running.worker.stop().catch((error: unknown) => this.logger.error({ msg: 'stream stop failed', durable, error: describe(error) }));
    if (!running.replay) streamLag.remove({ stream: running.worker.stream.id, organization: running.worker.stream.organizationId });
  }

  /** A replay is done once every event it covers is acknowledged: its consumer is deleted and the stream told. */
  private async finishReplays(): Promise<void> {
    for (const [durable, running] of this.workers) {
      if (!running.replay) continue;
      try {
        const info = await this.bus.jsm.consumers.info(STREAMS.events, durable);
        const done = info.num_pending + info.num_ack_pending === 0 || info.ack_floor.stream_seq >= running.replay.untilSeq;
        if (!done) continue;
        await this.stopWorker(durable);
        await this.deleteConsumer(durable);
        await this.repository.finishReplay(running.worker.stream.id, running.replay.id);
        this.logger.log({ msg: 'replay finished', stream: running.worker.stream.id });
      } catch (error) {
        this.logger.warn({ msg: 'replay progress unknown', durable, error: describe(error) });
      }
    }
  }

  private async publishLag(streams: StreamRecord[]): Promise<void> {
    for (const stream of streams) {
      const running = this.workers.get(streamDurable(stream.id));
      const labels = { stream: stream.id, organization: stream.organizationId };
      if (!running) {
        streamLag.remove(labels);
        continue;
      }
      try {
        streamLag.set(labels, await running.worker.pending());
      } catch {
        // The bus being down shows in readiness; the gauge keeps its last value.
      }
      streamFailing.set(labels, this.failing.has(stream.id) ? 1 : 0);
    }
  }

  private async deleteConsumer(durable: string): Promise<void> {
    try {
      await this.bus.jsm.consumers.delete(STREAMS.events, durable);
    } catch (error) {
      // Already gone (another replica deleted it); anything else is retried by the orphan sweep.
      if (!isNotFound(error)) this.logger.warn({ msg: 'could not delete a stream consumer', durable, error: describe(error) });
    }
  }

  /** Deletes the consumers of streams (and replays) that no longer exist, also those deleted while no replica ran them. */
  private async removeOrphans(streams: StreamRecord[], snapshotAt: number): Promise<void> {
    const known = new Set(streams.flatMap((s) => [streamDurable(s.id), ...(s.replayId ? [replayDurable(s.replayId)] : [])]));
    try {
      // Every page of the listing (the server answers 256 consumers a request): `.next()` alone read the
      // first page, so past 256 consumers on AUDIT_EVENTS the orphans beyond it were never removed.
      for await (const info of this.bus.jsm.consumers.list(STREAMS.events)) {
        const name = info.name;
        if (!/^(stream|replay)-/.test(name) || known.has(name) || this.workers.has(name)) continue;
        if (Date.parse(info.created) > snapshotAt - ORPHAN_AGE_MS) continue;
        await this.bus.jsm.consumers.delete(STREAMS.events, name);
        this.logger.log({ msg: 'removed the consumer of a deleted stream', consumer: name });
      }
    } catch (error) {
      this.logger.warn({ msg: 'could not remove orphaned stream consumers', error: describe(error) });
    }
  }

  transition(stream: StreamRecord, attempt: Attempt, consecutiveFailures: number): string | null | undefined {
    if (attempt.replay) return undefined;
    const labels = { stream: stream.id, organization: stream.organizationId };
    if (attempt.status === 'delivered') {
      if (!this.failing.has(stream.id)) return undefined;
      this.failing.delete(stream.id);
      streamFailing.set(labels, 0);
      return null;
    }
    if (attempt.status !== 'failed' || consecutiveFailures < this.config.failingAfter) return undefined;
    this.failing.add(stream.id);
    streamFailing.set(labels, 1);
    return attempt.error ?? 'delivery failed';
  }

  /** Records the attempts and the stream's new state, each on its own: a Postgres outage never stops delivery. */
  async record(stream: StreamRecord, attempts: readonly Attempt[], state: string | null | undefined): Promise<void> {
    try {
      await this.repository.recordDeliveries(stream.id, attempts, this.config.historyPerStream);
    } catch (error) {
      this.logger.warn({ msg: 'could not record stream deliveries', stream: stream.id, attempts: attempts.length, error: describe(error) });
    }
    if (state === undefined) return;
    try {
      await this.repository.setHealth(stream.id, state);
    } catch (error) {
      this.logger.warn({ msg: 'could not record a stream state', stream: stream.id, error: describe(error) });
    }
  }
}
