import { Option } from 'commander';
import { positiveInteger, runTool } from '@slidepipe/cli';
import { BUILTIN_BACKBONES, DEFAULT_BACKBONE } from './backbone-registry';
import { run, type EmbedFlags } from './run';
import { AUGMENT_HELP, STAIN_HELP } from './stain';

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
    'wsi-stain train.parquet -o stain.json && wsi-embed --stain macenko:target=stain.json train.parquet -o emb.parquet',
    'wsi-tile held-out.tif | wsi-embed --stain macenko:target=models/ensemble.json | wsi-predict --models models/',
    'wsi-embed --stain-augment hed:sigma=0.1,bias=0.02,seed=1 train.parquet -o emb.parquet  # training only',
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
      .option('--batch-size <n>', 'patches per backbone call', positiveInteger('--batch-size'), 32)
      .option('--stain <recipe>', 'stain normalisation of each patch before the backbone (see below)', 'none')
      .option(
        '--stain-augment <recipe>',
        'stain augmentation of each patch, after --stain, for training embeddings (wsi-predict refuses them)',
      );
    cmd.addHelpText(
      'after',
      `
Stain normalisation (--stain name:key=value):
${STAIN_HELP}

Stain augmentation (--stain-augment name:key=value,...):
${AUGMENT_HELP}

Both are recorded in the embedding stream's facts (stain, stain_augment); wsi-train copies facts.stain
into ensemble.json, so held-out patches get the same with --stain <method>:target=models/ensemble.json.`,
    );
  },
  run,
});
