// Box methods by name. A method is chosen with a recipe `name[:key=value,...]`; its resolved
// parameters are what provenance records.
import { usageError } from '@slidepipe/cli';
import { describeParams, parseRecipe, resolveParams, wrap, type Params } from '../params';
import { components } from './components';
import { dbscan } from './dbscan';
import { merge } from './merge';
import { random } from './random';
import type { BoxMethodDef } from './types';

export const METHODS: readonly BoxMethodDef[] = [components, merge, dbscan];
/** Not detectors: reference points to compare detectors with. */
export const BASELINES: readonly BoxMethodDef[] = [random];
export const DEFAULT_METHOD = components.name;

export interface ChosenMethod {
  def: BoxMethodDef;
  params: Params;
}

export function methodFromRecipe(recipe: string, flag = '--method'): ChosenMethod {
  const { name, given } = parseRecipe(flag, recipe);
  const def = [...METHODS, ...BASELINES].find((m) => m.name === name);
  if (!def) throw usageError(flag, `expected one of ${[...METHODS, ...BASELINES].map((m) => m.name).join(', ')}, got ${JSON.stringify(name)}`);
  return { def, params: resolveParams(`${flag} ${def.name}`, def.params, given) };
}

/** The methods and their parameters, for --help. */
export function methodsHelp(): string {
  return [...METHODS, ...BASELINES].map((m) => `${wrap(m.description, `  ${m.name}: `, '    ')}\n${describeParams(m.params)}`).join('\n');
}
