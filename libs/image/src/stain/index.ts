export * from './deconvolution';
export { odToValue, percentile } from './od';
export * from './macenko';
export * from './reinhard';
export * from './augment';
export * from './target';
export * from './target-file';
