// Box methods by name. A method is chosen with a recipe `name[:key=value,...]`; its resolved
// parameters are what provenance records.
import { Registry, type Chosen } from '@slidepipe/core';
import { components } from './components';
import { dbscan } from './dbscan';
import { merge } from './merge';
import { peaks } from './peaks';
import { random } from './random';
import type { BoxMethodDef } from './types';

export const METHODS: readonly BoxMethodDef[] = [components, merge, dbscan, peaks];
/** Not detectors: reference points to compare detectors with. */
export const BASELINES: readonly BoxMethodDef[] = [random];
export const DEFAULT_METHOD = peaks.name;

const REGISTRY = new Registry([...METHODS, ...BASELINES], { what: '--method' });

export type ChosenMethod = Chosen<BoxMethodDef>;

export function methodFromRecipe(recipe: string, flag = '--method'): ChosenMethod {
  return REGISTRY.resolve(recipe, flag);
}

/** The methods and their parameters, for --help. */
export function methodsHelp(): string {
  return REGISTRY.help();
}
