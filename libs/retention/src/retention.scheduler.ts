import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { scheduleCron, type CronSchedule } from '@audit/platform';
import { RETENTION_CONFIG, type RetentionConfig } from './config';
import { RetentionRunner } from './retention.runner';

/**
 * Runs retention on `RETENTION_CRON` (UTC). A run still going when the next is due is not started twice
 * in this process (`scheduleCron`); across replicas the runner's advisory lock decides.
 */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionScheduler.name);
  private schedule?: CronSchedule;

  constructor(
    private readonly runner: RetentionRunner,
    @Inject(RETENTION_CONFIG) private readonly config: RetentionConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule = scheduleCron(
      this.config.cron,
      () => this.runner.run(),
      (error) => this.logger.error({ msg: 'retention run failed', error: error.message }),
    );
    this.logger.log({ msg: 'retention scheduled', cron: this.config.cron, next: this.schedule.next()?.toISOString() ?? null });
  }

  /** Stops scheduling and lets a run in progress finish its current statement chain before the pools close. */
  async onApplicationShutdown(): Promise<void> {
    await this.schedule?.stop();
  }
}
