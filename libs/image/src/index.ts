export type { RgbImage } from './rgb';
export { DisjointSets } from './disjoint-sets';
export { labelComponents, LabelScratch } from './components';
export type { Components, Connectivity, LabelOptions } from './components';
export { binRgb } from './bin';
export * from './stain';
