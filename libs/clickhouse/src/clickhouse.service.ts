import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { Database } from '@audit/persistence';
import { backoffMs, HealthRegistry, sleep } from '@audit/platform';
import { openClickHouse, type ClickHouseMode } from './clickhouse.client';
import { CLICKHOUSE_CONFIG, type ClickHouseConfig } from './config';
import { migrateClickHouse } from './migrator';

const CLICKHOUSE_MIGRATION_LOCK_KEY = 7_204_391_003;

/** The process's ClickHouse (server or embedded chDB), migrated at start under a Postgres advisory lock. */
@Injectable()
export class ClickHouse implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ClickHouse.name);
  private opened?: { client: ClickHouseClient; mode: ClickHouseMode };

  constructor(
    @Inject(CLICKHOUSE_CONFIG) private readonly config: ClickHouseConfig,
    private readonly db: Database,
    private readonly health: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.opened = await this.open();
    this.logger.log({ msg: 'ClickHouse opened', mode: this.opened.mode, database: this.config.database, ...(this.opened.mode === 'embedded' ? { path: this.config.path } : {}) });
    if (process.env.MIGRATE_ON_START !== 'false') {
      const applied = await this.db.withAdvisoryLock(CLICKHOUSE_MIGRATION_LOCK_KEY, () => migrateClickHouse(this.client));
      if (applied.length > 0) this.logger.log({ msg: 'ClickHouse migrations applied', migrations: applied });
    }
    this.health.register('clickhouse', async () => {
      const ok = await this.client.ping();
      return ok.success ? undefined : `ClickHouse ping failed: ${String((ok as { error?: Error }).error?.message)}`;
    });
  }

  /**
   * A server may start after the service (compose, a rolling cluster): wait for it as for Postgres,
   * instead of exiting into a restart loop. Embedded chDB fails at once: waiting cannot fix a lock.
   */
  private async open(): Promise<{ client: ClickHouseClient; mode: ClickHouseMode }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await openClickHouse(this.config);
      } catch (error) {
        if (!this.config.url || attempt >= 30) throw error;
        this.logger.warn({ msg: 'ClickHouse not reachable yet; retrying', attempt, error: (error as Error).message });
        await sleep(backoffMs(attempt, 500, 5_000));
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.opened?.client.close();
  }

  get client(): ClickHouseClient {
    if (!this.opened) throw new Error('ClickHouse used before it was opened');
    return this.opened.client;
  }

  get mode(): ClickHouseMode {
    return this.opened?.mode ?? (this.config.url ? 'server' : 'embedded');
  }

  /** Runs the ClickHouse migrations now, under the same lock; returns the ones applied. */
  migrate(): Promise<string[]> {
    return this.db.withAdvisoryLock(CLICKHOUSE_MIGRATION_LOCK_KEY, () => migrateClickHouse(this.client));
  }
}
