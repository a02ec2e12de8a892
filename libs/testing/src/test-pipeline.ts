import type { DynamicModule, Type } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { PlatformModule } from '@audit/platform';
import { bootModules, connectTestBus, type TestBus } from './fixtures';
import { testClickHouseEnv, type TestClickHouse } from './test-clickhouse';
import { createTestDatabase, type TestDatabase } from './test-database';
import { startTestNats, type TestNats } from './test-nats';

/** Service modules booted in the test's process on stores of their own, with a bus connection to drive them. */
export interface TestPipeline {
  db: TestDatabase;
  nats: TestNats;
  bus: TestBus;
  /** The modules' instance (the first, with `replicas`). */
  app: TestingModule;
  /** Every instance of the modules: one, or `replicas` of them. */
  apps: TestingModule[];
  /** A fresh embedded ClickHouse database, when asked for. */
  ch?: TestClickHouse;
  /** Closes the modules (draining their consumers), then the bus connection, NATS, ClickHouse and the database. */
  close(): Promise<void>;
}

/**
 * Boots `modules` (with PlatformModule, as the apps do) on a fresh database named after `databaseName`, a
 * private nats-server and, with `clickhouse`, a fresh embedded ClickHouse database; `env` adds the
 * settings of the test. With `replicas`, boots the modules that many times on the same stores, as the
 * replicas of a Deployment share its durable consumers. Resolves once every consumer is pulling (see bootModules).
 */
export function startTestPipeline(
  databaseName: string,
  modules: Array<Type<unknown> | DynamicModule>,
  env: Record<string, string>,
  options: { clickhouse: true; replicas?: number },
): Promise<TestPipeline & { ch: TestClickHouse }>;
export function startTestPipeline(
  databaseName: string,
  modules: Array<Type<unknown> | DynamicModule>,
  env?: Record<string, string>,
  options?: { clickhouse?: false; replicas?: number },
): Promise<TestPipeline>;
export async function startTestPipeline(
  databaseName: string,
  modules: Array<Type<unknown> | DynamicModule>,
  env: Record<string, string> = {},
  options: { clickhouse?: boolean; replicas?: number } = {},
): Promise<TestPipeline> {
  const [db, nats] = await Promise.all([createTestDatabase(databaseName), startTestNats()]);
  const ch = options.clickhouse ? testClickHouseEnv() : undefined;
  const apps: TestingModule[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    apps.push(await bootModules([PlatformModule, ...modules], { DATABASE_URL: db.url, NATS_URL: nats.url, ...ch?.env, ...env }));
  }
  const bus = await connectTestBus(nats.url);
  return {
    db,
    nats,
    bus,
    app: apps[0],
    apps,
    ch,
    close: async () => {
      for (const app of apps) await app.close();
      await bus.close();
      await nats.destroy();
      await ch?.drop();
      await db.drop();
    },
  };
}
