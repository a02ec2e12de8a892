export * from './actor';
export * from './settings-body';
export * from './ingest-keys.use-cases';
export * from './hidden-parameters.use-cases';
export * from './ingest-keys.controller';
export * from './hidden-parameters.controller';
export * from './settings.module';
