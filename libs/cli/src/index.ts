export * from './run-cli';
export * from './demo-events';
export { exitWhenFlushed } from './flush';
