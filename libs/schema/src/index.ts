export * from './records';
export * from './meta';
export * from './arrow';
export * from './slides';
