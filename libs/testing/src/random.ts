// The seeded generator lives in core (wsi-synth uses it); tests take it from here with the rest.
export { mulberry32, Mulberry32 } from '@slidepipe/core';
