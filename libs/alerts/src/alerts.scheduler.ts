import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Cron } from 'croner';
import { AlertEvaluator } from './alert-evaluator';
import { ALERTS_CONFIG, type AlertsConfig } from './config';

/**
 * Ticks the evaluator once a minute, ALERTS_EVALUATION_DELAY after the minute starts (so the minute just
 * ended is due). A tick still running when the next is due is not started twice here (croner's `protect`);
 * across replicas the evaluator's advisory lock decides. ALERTS_EVALUATE=false schedules nothing.
 */
@Injectable()
export class AlertsScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AlertsScheduler.name);
  private job?: Cron;
  private running?: Promise<unknown>;

  constructor(
    private readonly evaluator: AlertEvaluator,
    @Inject(ALERTS_CONFIG) private readonly config: AlertsConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.evaluate) return;
    const second = Math.min(59, Math.ceil(this.config.delayMs / 1000));
    this.job = new Cron(`${second} * * * * *`, { protect: true, timezone: 'UTC' }, async () => {
      this.running = this.evaluator.tick(new Date()).catch((error: Error) => this.logger.error({ msg: 'alert evaluation tick failed', error: error.message }));
      await this.running;
    });
    this.logger.log({ msg: 'alerts evaluated every minute', next: this.job.nextRun()?.toISOString() ?? null });
  }

  /** Stops ticking and lets a tick in progress finish before the pools close. */
  async onApplicationShutdown(): Promise<void> {
    this.job?.stop();
    await this.running;
  }
}
