import { connectTestBus, type TestBus } from './fixtures';
import { createTestDatabase, type TestDatabase } from './test-database';
import { startTestNats, type TestNats } from './test-nats';
import { startService, type RunningService } from './processes';

/** The admin-token secret of every stack, so tests can mint tokens for it. */
export const STACK_JWT_SECRET = 'e2e-secret-that-is-long-enough-0123456789';

/**
 * One private Postgres database and one private nats-server, with a bus connection to drive them, on which
 * a test starts apps as processes of their own (and kills them, as a crash does).
 */
export interface ServiceStores {
  db: TestDatabase;
  nats: TestNats;
  bus: TestBus;
  /** The environment the apps and the CLI share: the database, NATS and the admin-token secret. */
  env: Record<string, string>;
  /** Starts `app` (as under apps/) on the stores, with `extraEnv` over `env`. */
  start(app: string, extraEnv?: Record<string, string>, readyTimeoutMs?: number): Promise<RunningService>;
  /** SIGKILLs every app still running, then closes the bus and removes NATS and the database. */
  close(): Promise<void>;
}

export async function startServiceStores(dbPrefix: string): Promise<ServiceStores> {
  const [db, nats] = await Promise.all([createTestDatabase(dbPrefix), startTestNats()]);
  const bus = await connectTestBus(nats.url);
  const env = { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: STACK_JWT_SECRET };
  const started: RunningService[] = [];
  return {
    db,
    nats,
    bus,
    env,
    start: async (app, extraEnv = {}, readyTimeoutMs) => {
      const service = await startService(app, { ...env, ...extraEnv }, readyTimeoutMs);
      started.push(service);
      return service;
    },
    close: async () => {
      for (const service of started) await service.kill();
      await bus.close();
      await nats.destroy();
      await db.drop();
    },
  };
}

/** One private Postgres database, one private nats-server and one app as its own process, as an operator would run them. */
export interface ServiceStack {
  db: TestDatabase;
  nats: TestNats;
  /** A connection to the stack's NATS, to publish to and inspect the streams. */
  bus: TestBus;
  service: RunningService;
  /** The environment the app and the CLI share. */
  env: Record<string, string>;
  /** SIGTERM, then fails unless the app exited 0; the database and NATS are removed either way. */
  stop(): Promise<void>;
}

/** `app` as under apps/ (`standalone` runs the whole platform). */
export async function startServiceStack(
  app: string,
  extraEnv: Record<string, string> = {},
  options: { dbPrefix?: string; readyTimeoutMs?: number } = {},
): Promise<ServiceStack> {
  const stores = await startServiceStores(options.dbPrefix ?? 'audit_e2e');
  let service: RunningService;
  try {
    service = await stores.start(app, extraEnv, options.readyTimeoutMs);
  } catch (error) {
    await stores.close();
    throw error;
  }
  return {
    db: stores.db,
    nats: stores.nats,
    bus: stores.bus,
    service,
    env: stores.env,
    stop: async () => {
      const code = await service.stop();
      await stores.close();
      if (code !== 0) throw new Error(`${app} exited with ${code} on SIGTERM:\n${service.output()}`);
    },
  };
}
