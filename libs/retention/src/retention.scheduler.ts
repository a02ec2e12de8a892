import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Cron } from 'croner';
import { RETENTION_CONFIG, type RetentionConfig } from './config';
import { RetentionRunner } from './retention.runner';

/**
 * Runs retention on `RETENTION_CRON` (UTC). A run still going when the next is due is not started
 * twice in this process (croner's `protect`); across replicas the runner's advisory lock decides.
 */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionScheduler.name);
  private job?: Cron;
  private running?: Promise<unknown>;

  constructor(
    private readonly runner: RetentionRunner,
    @Inject(RETENTION_CONFIG) private readonly config: RetentionConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.job = new Cron(this.config.cron, { protect: true, timezone: 'UTC' }, async () => {
      this.running = this.runner.run().catch((error: Error) => this.logger.error({ msg: 'retention run failed', error: error.message }));
      await this.running;
    });
    this.logger.log({ msg: 'retention scheduled', cron: this.config.cron, next: this.job.nextRun()?.toISOString() ?? null });
  }

  /** Stops scheduling and lets a run in progress finish its current statement chain before the pools close. */
  async onApplicationShutdown(): Promise<void> {
    this.job?.stop();
    await this.running;
  }
}
