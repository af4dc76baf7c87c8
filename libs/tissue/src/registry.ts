import type { DetectorDefinition } from './detectors/definition';
import { noneDetector } from './detectors/none';
import { otsuSaturation } from './detectors/otsu-saturation';
import { rgbDistance } from './detectors/rgb-distance';
import { TissueParamError } from './errors';
import { coerceParamText, resolveParams, type ParamSpec } from './params';
import type { Params, TissueDetector } from './types';

const DETECTORS: readonly DetectorDefinition[] = [rgbDistance, otsuSaturation, noneDetector];

/** Default method when a tool is given none. */
export const DEFAULT_DETECTOR = rgbDistance.name;

export interface DetectorInfo {
  name: string;
  description: string;
  /** Each parameter's type, range, default and meaning, e.g. for `--help`. */
  params: Record<string, ParamSpec>;
}

function find(name: unknown): DetectorDefinition {
  const def = DETECTORS.find((d) => d.name === name);
  if (!def) {
    throw new TissueParamError({
      context: 'tissue detection',
      parameter: 'detector',
      expected: `one of ${DETECTORS.map((d) => d.name).join(', ')}`,
      received: name,
    });
  }
  return def;
}

export function listDetectors(): DetectorInfo[] {
  return DETECTORS.map((d) => ({ name: d.name, description: d.description, params: structuredClone(d.params) }));
}

/**
 * The detector called `name`, its parameters checked and completed with defaults. Throws
 * TissueParamError naming the parameter, what was expected and what was received.
 */
export function getDetector(name: string, params?: Partial<Params>): TissueDetector {
  const def = find(name);
  const resolved = resolveParams(`tissue detector ${JSON.stringify(def.name)}`, def.params, params);
  const detect = def.build(resolved);
  return { name: def.name, params: Object.freeze({ ...resolved }) as Params, detect };
}

/**
 * Parses a command-line recipe `name` or `name:key=value,key=value` (e.g.
 * `otsu-saturation:minAreaPx=200,maxHoleAreaPx=50`), typing each value by the parameter's spec.
 * Returns the name and parameters ready for `getDetector`, which does the range checks.
 */
export function parseDetectorSpec(spec: string): { name: string; params: Params } {
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  const def = find(name);
  const context = `tissue detector ${JSON.stringify(def.name)}`;
  const params: Params = {};
  if (colon >= 0) {
    for (const part of spec.slice(colon + 1).split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq < 0) {
        throw new TissueParamError({ context, parameter: part.trim(), expected: 'key=value', received: part });
      }
      const key = part.slice(0, eq).trim();
      params[key] = coerceParamText(context, key, Object.hasOwn(def.params, key) ? def.params[key] : undefined, part.slice(eq + 1).trim());
    }
  }
  // Validate now so a bad recipe fails where it was parsed.
  resolveParams(context, def.params, params);
  return { name: def.name, params };
}
