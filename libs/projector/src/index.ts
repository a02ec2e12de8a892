export * from './config';
export * from './projector.consumer';
export * from './projection-rebuilder';
export * from './projector.module';
