import { integerAtLeast, runTool, seedFlag } from '@slidepipe/cli';
import { FIT_DEFAULTS } from '@slidepipe/image';
import { run, type StainFlags } from './run';

void runTool<StainFlags>({
  name: 'stain',
  summary:
    "Fit a stain target on patch records (the training patches, pooled over all their slides): Macenko's H and E vectors and 99th-percentile concentrations, Reinhard's LAB mean and standard deviation, as JSON for wsi-embed --stain.",
  args: '[inputs...]',
  shared: { output: 'the stain target JSON file to write (default stdout)', force: 'replace an existing target file' },
  examples: [
    'wsi-cat patches/train-*.parquet | wsi-stain -o stain.json',
    'wsi-stain sampled.parquet -o stain.json && wsi-embed --stain macenko:target=stain.json sampled.parquet -o emb.parquet',
    'wsi-stain sampled.parquet | jq .macenko.stain_matrix',
  ],
  options: (cmd) => {
    cmd
      .option('--seed <n>', 'seed of the pixel sample the Macenko estimate is made on', seedFlag(), 0)
      .option(
        '--pixels-per-patch <n>',
        'stained pixels taken from each patch (evenly spaced) for the Macenko estimate',
        integerAtLeast('--pixels-per-patch', 1),
        FIT_DEFAULTS.pixelsPerPatch,
      )
      .option(
        '--max-pixels <n>',
        'stained pixels kept over all patches (a uniform sample of them): bounds memory',
        integerAtLeast('--max-pixels', 1000),
        FIT_DEFAULTS.maxPixels,
      );
  },
  run,
});
