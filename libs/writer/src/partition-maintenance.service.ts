import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PartitionManager } from '@audit/persistence';
import { WRITER_CONFIG, type WriterConfig } from './config';

/** Creates monthly partitions ahead at start and then periodically, so writes rarely touch the default partition. */
@Injectable()
export class PartitionMaintenanceService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PartitionMaintenanceService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly partitions: PartitionManager,
    @Inject(WRITER_CONFIG) private readonly config: WriterConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.partitions.ensureAhead();
    this.timer = setInterval(() => {
      this.partitions.ensureAhead().catch((error: Error) => this.logger.warn({ msg: 'partition maintenance failed; will retry', error: error.message }));
    }, this.config.partitionCheckMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
