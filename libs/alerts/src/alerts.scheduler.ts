import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { scheduleCron, type CronSchedule } from '@audit/platform';
import { AlertEvaluator } from './alert-evaluator';
import { ALERTS_CONFIG, type AlertsConfig } from './config';

/**
 * Ticks the evaluator once a minute, ALERTS_EVALUATION_DELAY after the minute starts (so the minute just
 * ended is due). A tick still running when the next is due is not started twice here (`scheduleCron`);
 * across replicas the evaluator's advisory lock decides. ALERTS_EVALUATE=false schedules nothing.
 */
@Injectable()
export class AlertsScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AlertsScheduler.name);
  private schedule?: CronSchedule;

  constructor(
    private readonly evaluator: AlertEvaluator,
    @Inject(ALERTS_CONFIG) private readonly config: AlertsConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.evaluate) return;
    const second = Math.min(59, Math.ceil(this.config.delayMs / 1000));
    this.schedule = scheduleCron(
      `${second} * * * * *`,
      () => this.evaluator.tick(new Date()),
      (error) => this.logger.error({ msg: 'alert evaluation tick failed', error: error.message }),
    );
    this.logger.log({ msg: 'alerts evaluated every minute', next: this.schedule.next()?.toISOString() ?? null });
  }

  /** Stops ticking and lets a tick in progress finish before the pools close. */
  async onApplicationShutdown(): Promise<void> {
    await this.schedule?.stop();
  }
}
