import type { TestingModule } from '@nestjs/testing';
import { AuthModule } from '@audit/auth';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { bootModules, connectTestBus, createTestDatabase, startTestNats, type TestBus, type TestDatabase, type TestNats } from '@audit/testing';
import { WriterModule } from '@audit/writer';
import { IngestModule } from './ingest.module';

/** Ingest and the writer in one test module, on a private NATS server and database, with a bus connection to drive them. */
export interface IngestPipeline {
  db: TestDatabase;
  nats: TestNats;
  bus: TestBus;
  app: TestingModule;
  close(): Promise<void>;
}

/** Starts the pipeline; `env` adds to (or overrides) the settings every such test uses. */
export async function startIngestPipeline(databaseName: string, env: Record<string, string> = {}): Promise<IngestPipeline> {
  const [db, nats] = await Promise.all([createTestDatabase(databaseName), startTestNats()]);
  const app = await bootModules([PlatformModule, MessagingModule, PersistenceModule, AuthModule, IngestModule, WriterModule], {
    DATABASE_URL: db.url,
    NATS_URL: nats.url,
    AUTH_JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    CONSUMER_ACK_WAIT: '2s',
    WRITER_FLUSH_INTERVAL: '20ms',
    ...env,
  });
  const bus = await connectTestBus(nats.url);
  return {
    db,
    nats,
    bus,
    app,
    close: async () => {
      await app.close();
      await bus.close();
      await nats.destroy();
      await db.drop();
    },
  };
}
