import { Option } from 'commander';
import { positiveInteger, runTool } from '@slidepipe/cli';
import { BUILTIN_BACKBONES, DEFAULT_BACKBONE } from './backbone-registry';
import { run, type EmbedFlags } from './run';

void runTool<EmbedFlags>({
  name: 'embed',
  summary:
    'Embed patch records with a frozen backbone: decode the JPEGs, preprocess, run the model in batches, write embedding records (one stream per slide; labels pass through).',
  args: '[inputs...]',
  examples: [
    'wsi-tile slide.tif | wsi-embed -o slide.emb.arrows                     # built-in H&E features, no weights',
    'wsi-cat patches/*.parquet | wsi-embed --model resnet18.onnx -o emb.parquet',
    'wsi-embed --model uni.onnx --device cuda --batch-size 64 sampled.parquet -o emb.parquet',
    'wsi-cat --schema emb.parquet                                            # backbone name, sha256, dim, preprocessing',
  ],
  options: (cmd) => {
    cmd
      .option(
        '-m, --model <name|path>',
        `backbone: built-in ${Object.keys(BUILTIN_BACKBONES)
          .map((k) => `"${k}"`)
          .join(
            ', ',
          )} (H&E colour and texture features, no weights), or an ONNX file [N, 3, H, W] -> [N, D] whose preprocessing comes from <model>.json or its metadata`,
        DEFAULT_BACKBONE,
      )
      .addOption(
        new Option('--device <device>', 'where an ONNX backbone runs (cuda falls back to cpu with a warning)')
          .choices(['cpu', 'cuda'])
          .default('cpu'),
      )
      .option('--batch-size <n>', 'patches per backbone call', positiveInteger('--batch-size'), 32);
  },
  run,
});
