export * from './subjects';
export * from './bus-permissions';
