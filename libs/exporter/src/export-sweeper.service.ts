import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { counter, scheduleEvery, type Recurring } from '@audit/platform';
import { EXPORTER_CONFIG, type ExporterConfig } from './config';
import { ExportJobsRepository, type ExportJob } from './export-jobs.repository';
import { EXPORT_STORAGE, type ExportStorage } from './storage';

const filesExpired = counter('audit_export_files_expired_total', 'Export files removed after their keep time (EXPORT_FILE_TTL)');

/** Removes a ready job's file and marks the job expired; safe to run from any number of replicas at once. */
export async function expireJob(jobs: ExportJobsRepository, storage: ExportStorage, job: ExportJob): Promise<void> {
  if (job.storageKey) await storage.remove(job.storageKey);
  if (await jobs.markExpired(job.id)) filesExpired.inc();
}

/**
 * Every `EXPORT_SWEEP_INTERVAL`: removes files past their keep time (`EXPORT_FILE_TTL`) and marks their jobs
 * `expired`, and fails the jobs whose worker died on their last allowed attempt.
 */
@Injectable()
export class ExportSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExportSweeper.name);
  private sweeps?: Recurring;

  constructor(
    private readonly jobs: ExportJobsRepository,
    @Inject(EXPORT_STORAGE) private readonly storage: ExportStorage,
    @Inject(EXPORTER_CONFIG) private readonly config: ExporterConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeps = scheduleEvery(
      this.config.sweepIntervalMs,
      () => this.sweep(),
      (error) => this.logger.warn({ msg: 'export sweep failed; will try again', error: error.message }),
    );
  }

  /** Stops sweeping and lets a sweep in progress finish before the pools close. */
  async onApplicationShutdown(): Promise<void> {
    await this.sweeps?.stop();
  }

  /** One pass; returns how many files were removed. */
  async sweep(now = new Date()): Promise<number> {
    const failed = await this.jobs.failAbandoned(this.config.staleAfterMs, this.config.maxAttempts);
    if (failed > 0) this.logger.warn({ msg: 'export jobs failed after their workers kept dying', jobs: failed });
    let removed = 0;
    for (const job of await this.jobs.dueForExpiry(now)) {
      await expireJob(this.jobs, this.storage, job);
      removed++;
    }
    return removed;
  }
}
