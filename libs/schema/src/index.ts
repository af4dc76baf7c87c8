export * from './records';
export * from './meta';
export * from './arrow';
