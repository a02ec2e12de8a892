import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { Database, PERSISTENCE_CONFIG, type PersistenceConfig } from '@audit/persistence';
import { backoffMs, HealthRegistry, mayRaiseThreadPriority, READS_THREAD_NICENESS, sleep } from '@audit/platform';
import { openClickHouse, openReadClient, type ClickHouseMode, type OpenedClickHouse } from './clickhouse.client';
import { CLICKHOUSE_CONFIG, type ClickHouseConfig } from './config';
import { migrateClickHouse } from './migrator';
import { insertSettingsFor, removalSettingsFor, type SchemaLayout } from './schema-layout';

const CLICKHOUSE_MIGRATION_LOCK_KEY = 7_204_391_003;

/** The process's ClickHouse (server or embedded chDB), migrated at start under a Postgres advisory lock. */
@Injectable()
export class ClickHouse implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ClickHouse.name);
  private opened?: OpenedClickHouse;
  private reads?: OpenedClickHouse;
  private inserts: ClickHouseSettings = {};

  constructor(
    @Inject(CLICKHOUSE_CONFIG) private readonly config: ClickHouseConfig,
    @Inject(PERSISTENCE_CONFIG) private readonly persistence: Pick<PersistenceConfig, 'migrateOnStart'>,
    private readonly db: Database,
    private readonly health: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.opened = await this.open();
    this.reads = await openReadClient(this.config, this.opened);
    const replicas = this.config.cluster ? await clusterReplicas(this.client, this.config.cluster) : 1;
    this.inserts = insertSettingsFor(this.layout, replicas);
    this.logger.log({
      msg: 'ClickHouse opened',
      mode: this.opened.mode,
      database: this.config.database,
      ...(this.opened.mode === 'embedded' ? { path: this.config.path, statementNiceness: this.opened.statementNiceness, readStatementNiceness: this.reads.statementNiceness } : {}),
      ...(this.config.cluster ? { cluster: this.config.cluster, replicas } : {}),
    });
    if (this.opened.statementNiceness > 0 && !mayRaiseThreadPriority()) {
      this.logger.warn({
        msg: "embedded ClickHouse runs this thread's statements at the process's priority: lowering them needs CAP_SYS_NICE (os_thread_priority is a no-op without it)",
        statementNiceness: this.opened.statementNiceness,
      });
    }
    if (this.opened.mode === 'embedded' && this.reads.statementNiceness === 0) {
      this.logger.warn({
        msg: "embedded ClickHouse runs administrators' reads at the process's priority: raising them to the HTTP thread's needs CAP_SYS_NICE",
        niceness: READS_THREAD_NICENESS,
      });
    }
    if (this.persistence.migrateOnStart) {
      const applied = await this.migrate();
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
  private async open(): Promise<OpenedClickHouse> {
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
    if (this.reads && this.reads !== this.opened) await this.reads.client.close();
    await this.opened?.client.close();
  }

  get client(): ClickHouseClient {
    if (!this.opened) throw new Error('ClickHouse used before it was opened');
    return this.opened.client;
  }

  /**
   * The client for administrators' reads (analytics): on embedded chDB a connection of its own, so a read
   * never queues behind the projector's inserts (see openReadClient); on a server, {@link client}.
   */
  get readClient(): ClickHouseClient {
    if (!this.reads) throw new Error('ClickHouse used before it was opened');
    return this.reads.client;
  }

  /** The niceness embedded chDB runs this service's statements at (os_thread_priority; 0 on a server and by default). */
  get statementNiceness(): number {
    return this.opened?.statementNiceness ?? 0;
  }

  get mode(): ClickHouseMode {
    return this.opened?.mode ?? (this.config.url ? 'server' : 'embedded');
  }

  /** One server, or the replicas of CLICKHOUSE_CLUSTER. */
  get layout(): SchemaLayout {
    return this.config.cluster ? { cluster: this.config.cluster } : {};
  }

  /**
   * Settings every INSERT into the projection's tables must carry: none on one server; on a cluster the
   * quorum of every replica and no block deduplication (schema-layout.ts, insertSettingsFor, says why).
   */
  get insertSettings(): ClickHouseSettings {
    return { ...this.inserts };
  }

  /**
   * Settings every statement that removes rows from the projection's tables must carry: none on one
   * server; on a cluster, wait for every replica (schema-layout.ts, removalSettingsFor, says why).
   */
  get removalSettings(): ClickHouseSettings {
    return removalSettingsFor(this.layout);
  }

  /**
   * Runs the ClickHouse migrations now, under the same lock; returns the ones applied. The lock is in
   * the one Postgres every pod shares, so it serializes pods whichever ClickHouse replica they reach.
   */
  migrate(): Promise<string[]> {
    return this.db.withAdvisoryLock(CLICKHOUSE_MIGRATION_LOCK_KEY, () => migrateClickHouse(this.client, { layout: this.layout, insertSettings: this.inserts }));
  }
}

/**
 * The number of replicas of the cluster's shard, as the server's remote_servers defines it: the quorum
 * every INSERT waits for. A cluster the server does not know, or one with several shards (which needs
 * Distributed tables, docs/scaling.md), is a configuration error found at start.
 */
export async function clusterReplicas(client: ClickHouseClient, cluster: string): Promise<number> {
  const result = await client.query({
    query: 'SELECT shard_num, count() AS replicas FROM system.clusters WHERE cluster = {cluster:String} GROUP BY shard_num ORDER BY shard_num',
    query_params: { cluster },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const shards = await result.json<{ shard_num: number; replicas: number }>();
  if (shards.length === 0) throw new Error(`CLICKHOUSE_CLUSTER is "${cluster}", but the ClickHouse server defines no such cluster (system.clusters)`);
  if (shards.length > 1) throw new Error(`CLICKHOUSE_CLUSTER "${cluster}" has ${shards.length} shards; the projection's schema is replicated, not sharded (one shard, any number of replicas)`);
  return Number(shards[0].replicas);
}
