import { Registry, type ParamSpec, type RecipeWording } from '@slidepipe/core';
import type { DetectorDefinition } from './detectors/definition';
import { noneDetector } from './detectors/none';
import { otsuSaturation } from './detectors/otsu-saturation';
import { rgbDistance } from './detectors/rgb-distance';
import { TissueParamError } from './errors';
import type { Params, TissueDetector } from './types';

/** This library's wording of recipe errors: TissueParamError, `parameter "k": expected X, received Y`. */
const TISSUE_WORDING: RecipeWording = {
  quoteChoices: true,
  error(what, p) {
    const context = `tissue detector ${JSON.stringify(p.name)}`;
    switch (p.kind) {
      case 'unknown-name':
        return new TissueParamError({
          context: what,
          parameter: 'detector',
          expected: `one of ${p.known.join(', ')}`,
          received: p.name,
        });
      case 'not-key-value':
        return new TissueParamError({ context, parameter: p.part.trim(), expected: 'key=value', received: p.part });
      case 'not-an-object':
        return new TissueParamError({
          context,
          parameter: 'params',
          expected: 'an object of named parameters',
          received: p.given,
        });
      case 'unknown-param': {
        const expected = p.known.length ? `a parameter among ${p.known.join(', ')}` : 'no parameters';
        return new TissueParamError({ context, parameter: p.key, unknownName: true, expected });
      }
      case 'bad-value':
        return new TissueParamError({ context, parameter: p.key, expected: p.expected, received: p.value });
    }
  },
};

const DETECTORS = new Registry<DetectorDefinition>([rgbDistance, otsuSaturation, noneDetector], {
  what: 'tissue detection',
  wording: TISSUE_WORDING,
});

/** Default method when a tool is given none. */
export const DEFAULT_DETECTOR = rgbDistance.name;

export interface DetectorInfo {
  name: string;
  description: string;
  /** Each parameter's type, range, default and meaning, e.g. for `--help`. */
  params: Record<string, ParamSpec>;
}

export function listDetectors(): DetectorInfo[] {
  return DETECTORS.definitions.map((d) => ({
    name: d.name,
    description: d.description,
    params: structuredClone(d.params),
  }));
}

/**
 * The detector called `name`, its parameters checked and completed with defaults. Throws
 * TissueParamError naming the parameter, what was expected and what was received.
 */
export function getDetector(name: string, params?: Partial<Params>): TissueDetector {
  const def = DETECTORS.get(name);
  const resolved = DETECTORS.params(def, params);
  const detect = def.build(resolved);
  return { name: def.name, params: Object.freeze({ ...resolved }) as Params, detect };
}

/**
 * Parses a command-line recipe `name` or `name:key=value,key=value` (e.g.
 * `otsu-saturation:minAreaPx=200,maxHoleAreaPx=50`), typing and checking each value by the
 * parameter's spec, so a bad recipe fails where it was parsed. Returns the name and the parameters
 * given, ready for `getDetector`, which fills in the defaults.
 */
export function parseDetectorSpec(spec: string): { name: string; params: Params } {
  const { def, given } = DETECTORS.parse(spec);
  return { name: def.name, params: given };
}
