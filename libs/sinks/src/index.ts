export * from './config';
export * from './batching';
export * from './http-delivery';
export * from './sink-consumer';
export * from './stdout.sink';
export * from './datadog.sink';
export * from './webhook.sink';
export * from './sinks.module';
