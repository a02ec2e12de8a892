export * from './ingest-pipeline';
export * from './clickhouse-sample-events';
export * from './retention-seed';
export * from './streams-stack';
export * from './log-check';
export * from './sinks-stack';
export * from './alerts-stack';
export * from './log-seed';
