export * from './run-cli';
export * from './demo-events';
export { exitWhenFlushed, ignoreBrokenPipes } from './flush';
