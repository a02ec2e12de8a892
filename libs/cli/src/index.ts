export * from './run-cli';
export * from './cli-main';
export * from './demo-events';
export { exitWhenFlushed, ignoreBrokenPipes } from './flush';
export { openBundle, verifyBundleFile } from './bundle-file';
