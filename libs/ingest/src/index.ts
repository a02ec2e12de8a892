export * from './config';
export * from './redaction';
export * from './ingest-events.use-case';
export * from './ingest.module';
