export * from './errors';
export * from './recipe';
export * from './registry';
