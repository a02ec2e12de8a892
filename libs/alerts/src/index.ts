export * from './conditions';
export * from './recipes';
export * from './alert-counts';
export * from './firing-delivery';
