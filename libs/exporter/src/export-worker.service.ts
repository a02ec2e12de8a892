import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { counter, gauge } from '@audit/platform';
import { Database } from '@audit/persistence';
import { EXPORTER_CONFIG, type ExporterConfig } from './config';
import { ExportJobsRepository, type ExportJob } from './export-jobs.repository';
import { startExport, storageKeyOf, type RunningExport } from './export-runner';
import { EXPORT_STORAGE, type ExportStorage } from './storage';

const jobsFinished = counter('audit_export_jobs_total', 'Export jobs finished by this worker, by outcome', ['outcome']);
const rowsExported = counter('audit_export_rows_total', 'Rows written into export files');
const running = gauge('audit_export_jobs_running', 'Export jobs this process is running now');

/** Stops an export whose lease was taken over, or because the process is stopping. */
class ExportInterrupted extends Error {
  constructor(
    message: string,
    readonly leaseLost: boolean,
  ) {
    super(message);
    this.name = 'ExportInterrupted';
  }
}

/**
 * Claims export jobs and runs them, `EXPORT_WORKER_CONCURRENCY` at a time. While a job runs, its heartbeat
 * records progress and renews the lease; if the lease was lost (this worker was presumed dead and another
 * claimed the job) the export stops and leaves the job alone. On shutdown running jobs are handed back
 * as pending, without counting the interrupted attempt.
 */
@Injectable()
export class ExportWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExportWorker.name);
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private stopping = false;
  private loops: Array<Promise<void>> = [];
  private readonly active = new Map<string, RunningExport>();
  private wake?: () => void;

  constructor(
    private readonly jobs: ExportJobsRepository,
    private readonly db: Database,
    @Inject(EXPORT_STORAGE) private readonly storage: ExportStorage,
    @Inject(EXPORTER_CONFIG) private readonly config: ExporterConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workerConcurrency === 0) return;
    // No readiness check of its own: the worker needs only Postgres, whose check the Database registers.
    this.loops = Array.from({ length: this.config.workerConcurrency }, () => this.loop());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    for (const exporting of this.active.values()) exporting.abort(new ExportInterrupted('the worker is shutting down', false));
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let job: ExportJob | null = null;
      try {
        job = await this.jobs.claim(this.workerId, this.config.staleAfterMs, this.config.maxAttempts);
      } catch (error) {
        this.logger.warn({ msg: 'could not claim export jobs; retrying', error: (error as Error).message });
      }
      if (job) await this.run(job);
      else await this.idle(this.config.pollIntervalMs);
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Runs one claimed job to its end: ready, failed, retried later, or handed back. */
  async run(job: ExportJob): Promise<void> {
    const attempt = job.attempts;
    running.inc();
    this.logger.log({ msg: 'export started', jobId: job.id, organizationId: job.organizationId, attempt });
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      // Leftovers of attempts that died mid-write are this attempt's to clean.
      for (let earlier = 1; earlier < attempt; earlier++) {
        await this.storage.removePartial(storageKeyOf(job, earlier)).catch((error: Error) =>
          this.logger.warn({ msg: 'could not remove a partial export', jobId: job.id, error: error.message }),
        );
      }
      // The lease is renewed from the start: counting the rows of a large export may itself take a while.
      const lease = { lost: false, exporting: undefined as RunningExport | undefined };
      heartbeat = setInterval(() => void this.beat(job, lease), this.config.heartbeatIntervalMs);
      const exporting = await startExport(this.db, this.storage, job, attempt, this.config.gzipLevel);
      lease.exporting = exporting;
      this.active.set(job.id, exporting);
      if (lease.lost) exporting.abort(new ExportInterrupted('another worker took over this export', true));
      if (this.stopping) exporting.abort(new ExportInterrupted('the worker is shutting down', false));
      const { rowCount, sizeBytes } = await exporting.done;
      clearInterval(heartbeat);
      const key = storageKeyOf(job, attempt);
      const completed = await this.jobs.complete(job.id, this.workerId, {
        storageKey: key,
        rowCount,
        sizeBytes,
        expiresAt: new Date(Date.now() + this.config.fileTtlMs),
      });
      if (!completed) {
        // Presumed dead and replaced while finishing: the successor's file is the one that counts.
        await this.storage.remove(key);
        jobsFinished.inc({ outcome: 'lease_lost' });
        return;
      }
      rowsExported.inc(rowCount);
      jobsFinished.inc({ outcome: 'ready' });
      this.logger.log({ msg: 'export ready', jobId: job.id, rowCount, sizeBytes });
    } catch (error) {
      clearInterval(heartbeat);
      await this.settleFailure(job, attempt, error);
    } finally {
      this.active.delete(job.id);
      running.dec();
    }
  }

  private async beat(job: ExportJob, lease: { lost: boolean; exporting?: RunningExport }): Promise<void> {
    const { rowCount, totalRows } = lease.exporting?.progress() ?? { rowCount: 0, totalRows: 0 };
    try {
      const held = await this.jobs.heartbeat(job.id, this.workerId, {
        rowCount,
        totalRows: lease.exporting ? totalRows : null,
        progress: totalRows > 0 ? Math.min(0.99, rowCount / totalRows) : 0,
      });
      if (!held) {
        lease.lost = true;
        lease.exporting?.abort(new ExportInterrupted('another worker took over this export', true));
      }
    } catch (error) {
      // A missed beat is fine; enough of them and another worker takes over, which the next beat notices.
      this.logger.warn({ msg: 'export heartbeat failed', jobId: job.id, error: (error as Error).message });
    }
  }

  private async settleFailure(job: ExportJob, attempt: number, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    try {
      if (error instanceof ExportInterrupted && error.leaseLost) {
        jobsFinished.inc({ outcome: 'lease_lost' });
        this.logger.warn({ msg: 'export taken over by another worker', jobId: job.id });
      } else if (error instanceof ExportInterrupted) {
        await this.jobs.release(job.id, this.workerId);
        jobsFinished.inc({ outcome: 'released' });
        this.logger.log({ msg: 'export handed back for another worker', jobId: job.id });
      } else if (attempt < this.config.maxAttempts) {
        await this.jobs.retryLater(job.id, this.workerId, message);
        jobsFinished.inc({ outcome: 'retried' });
        this.logger.warn({ msg: 'export failed; will retry', jobId: job.id, attempt, error: message });
      } else {
        await this.jobs.fail(job.id, this.workerId, message);
        jobsFinished.inc({ outcome: 'failed' });
        this.logger.error({ msg: 'export failed', jobId: job.id, attempt, error: message });
      }
    } catch (settleError) {
      // The job stays running with a stale heartbeat and is claimed again: nothing is lost.
      this.logger.error({ msg: 'could not record the export failure', jobId: job.id, error: (settleError as Error).message });
    }
  }
}
