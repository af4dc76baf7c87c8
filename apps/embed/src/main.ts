import { Option } from 'commander';
import { expectParam, runTool } from '@slidepipe/cli';
import { openRecordSink, readRecords } from '@slidepipe/io';
import { BUILTIN_BACKBONES, DEFAULT_BACKBONE } from './backbone-registry';

interface Opts {
  model: string;
  device: 'cpu' | 'cuda';
  batchSize: number;
}

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  expectParam(Number.isInteger(n) && n >= 1, flag, 'a positive integer', v);
  return n;
};

void runTool<Opts>({
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
        `backbone: built-in ${Object.keys(BUILTIN_BACKBONES).map((k) => `"${k}"`).join(', ')} (H&E colour and texture features, no weights), or an ONNX file [N, 3, H, W] -> [N, D] whose preprocessing comes from <model>.json or its metadata`,
        DEFAULT_BACKBONE,
      )
      .addOption(new Option('--device <device>', 'where an ONNX backbone runs (cuda falls back to cpu with a warning)').choices(['cpu', 'cuda']).default('cpu'))
      .option('--batch-size <n>', 'patches per backbone call', positiveInt('--batch-size'), 32);
  },
  async run(ctx, inputs, opts) {
    // Heavy modules (onnxruntime, libjpeg-turbo through koffi) load only here, so --help is instant.
    const [{ openBackbone }, { embedStreams, setDecodeThreads }] = await Promise.all([import('./backbone-registry'), import('./embed')]);
    setDecodeThreads(ctx.threads);
    const backbone = await openBackbone(opts.model, { device: opts.device, threads: ctx.threads, warn: ctx.log.warn });
    const sink = openRecordSink(ctx.output, { force: ctx.force });
    const progress = ctx.log.progress('patches');
    try {
      const rows = await embedStreams(readRecords(inputs, { expect: ['patch', 'labelled-patch'] }), sink, backbone, {
        batchSize: opts.batchSize,
        provenance: ctx.provenance_entry({ model: opts.model, backbone: backbone.identity.name, sha256: backbone.identity.sha256, device: opts.device, batch_size: opts.batchSize, inputs: inputs.length ? inputs : ['-'] }),
        onRows: (n) => progress.tick(n),
      });
      await sink.close();
      progress.done();
      ctx.log.info(`${rows} patches embedded with ${backbone.identity.name} (dim ${backbone.identity.dim}) to ${sink.name}`);
    } catch (e) {
      sink.abort();
      throw e;
    } finally {
      await backbone.close();
    }
  },
});
