import { Database, readPersistenceConfig } from '@audit/persistence';
import { HealthRegistry } from '@audit/platform';
import { createTestDatabase, type TestDatabase } from '@audit/testing';

/** A fresh test database with the platform's `Database` open on it; `close` shuts the one and drops the other. */
export interface MigratedTestDatabase extends Omit<TestDatabase, 'drop'> {
  database: Database;
  close(): Promise<void>;
}

/**
 * `createTestDatabase` with a `Database` opened on it as a service opens it (migrations applied); `env`
 * adds persistence settings such as `PG_POOL_SIZE`. It lives here rather than in libs/testing because it
 * is made of libs/persistence, whose own specs import the harness.
 */
export async function createMigratedTestDatabase(prefix: string, env: Record<string, string> = {}): Promise<MigratedTestDatabase> {
  const { drop, ...db } = await createTestDatabase(prefix);
  const database = new Database(readPersistenceConfig({ ...env, DATABASE_URL: db.url }), new HealthRegistry());
  const close = async (): Promise<void> => {
    try {
      await database.onApplicationShutdown();
    } finally {
      await drop();
    }
  };
  // A spec that never receives the database cannot drop it: a failed start drops it here.
  await database.onModuleInit().catch(async (error: unknown) => {
    await close();
    throw error;
  });
  return { ...db, database, close };
}
