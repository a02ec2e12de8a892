import { IngestModule } from '@audit/ingest';
import { startTestPipeline, type TestPipeline } from '@audit/testing';
import { WriterModule } from '@audit/writer';

/** Ingest and the writer in one test module, on a private NATS server and database, with a bus connection to drive them. */
export type IngestPipeline = TestPipeline;

/** Starts the pipeline; `env` adds to (or overrides) the settings every such test uses. */
export function startIngestPipeline(databaseName: string, env: Record<string, string> = {}): Promise<IngestPipeline> {
  return startTestPipeline(databaseName, [IngestModule, WriterModule], {
    AUTH_JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    CONSUMER_ACK_WAIT: '2s',
    WRITER_FLUSH_INTERVAL: '20ms',
    ...env,
  });
}
