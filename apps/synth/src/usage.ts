// Usage examples, written once: --help prints them and a test runs their flags.
export const EXAMPLES = [
  'wsi-synth -o cohort/                                   # 6 patients, 12 tiny slides (seconds)',
  'wsi-synth -o cohort/ --patients 20 --size small --seed 7',
  'wsi-synth -o hard/ --difficulty hard --texture test/fixtures/slides/CMU-1-Small-Region.svs --patients 10 --size small',
  'wsi-synth -o big/ --patients 1 --size digilut          # two ~83k x 198k px slides, for benchmarks',
];
