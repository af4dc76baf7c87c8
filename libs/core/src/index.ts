export * from './errors';
export * from './random';
export * from './recipe';
export * from './registry';
