// Test support shared by the unit, end-to-end and benchmark code (tagged scope:test: product code
// cannot import it). By topic:
export * from './random';
export * from './streams';
export * from './he-patches';
export * from './patch-scores';
export * from './masks';
export * from './numeric';
export * from './tensorboard';
export * from './mlflow-yaml';
export * from './tracking-server';
export * from './openslide-reference';
