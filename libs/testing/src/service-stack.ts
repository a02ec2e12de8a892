import { createTestDatabase, type TestDatabase } from './test-database';
import { startTestNats, type TestNats } from './test-nats';
import { startService, type RunningService } from './processes';

/** The admin-token secret of every stack, so tests can mint tokens for it. */
export const STACK_JWT_SECRET = 'e2e-secret-that-is-long-enough-0123456789';

/** One private Postgres database, one private nats-server and one app as its own process, as an operator would run them. */
export interface ServiceStack {
  db: TestDatabase;
  nats: TestNats;
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
  const db = await createTestDatabase(options.dbPrefix ?? 'audit_e2e');
  const nats = await startTestNats();
  const env = { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: STACK_JWT_SECRET };
  let service: RunningService;
  try {
    service = await startService(app, { ...env, ...extraEnv }, options.readyTimeoutMs);
  } catch (error) {
    await nats.destroy();
    await db.drop();
    throw error;
  }
  return {
    db,
    nats,
    service,
    env,
    stop: async () => {
      const code = await service.stop();
      await nats.destroy();
      await db.drop();
      if (code !== 0) throw new Error(`${app} exited with ${code} on SIGTERM:\n${service.output()}`);
    },
  };
}
