import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PartitionManager } from '@audit/persistence';
import { scheduleEvery, type Recurring } from '@audit/platform';
import { WRITER_CONFIG, type WriterConfig } from './config';

/** Creates monthly partitions ahead at start and then periodically, so writes rarely touch the default partition. */
@Injectable()
export class PartitionMaintenanceService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PartitionMaintenanceService.name);
  private checks?: Recurring;

  constructor(
    private readonly partitions: PartitionManager,
    @Inject(WRITER_CONFIG) private readonly config: WriterConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.partitions.ensureAhead();
    this.checks = scheduleEvery(
      this.config.partitionCheckMs,
      () => this.partitions.ensureAhead(),
      (error) => this.logger.warn({ msg: 'partition maintenance failed; will retry', error: error.message }),
    );
  }

  /** Stops the checks and lets one in progress finish before the pools close. */
  async onApplicationShutdown(): Promise<void> {
    await this.checks?.stop();
  }
}
