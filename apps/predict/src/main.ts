import { Option } from 'commander';
import { runTool } from '@slidepipe/cli';
import { openRecordSink, readRecords } from '@slidepipe/io';
import { AGGREGATE_NAMES, AGGREGATORS, type AggregateName } from './aggregate';

interface Opts {
  models: string;
  aggregate?: AggregateName;
}

void runTool<Opts>({
  name: 'predict',
  summary:
    'Score embedding records with every fold head of a wsi-train model folder and write patch-score records: the ensemble score and each fold\'s probability (one stream per slide).',
  args: '[embeddings...]',
  examples: [
    'wsi-tile test.tif | wsi-embed | wsi-predict --models models/ | wsi-boxes --count 4',
    'wsi-predict --models models/ emb.parquet -o scores.parquet',
    'wsi-predict --models models/ --aggregate vote emb.arrows | wsi-cat --csv --drop fold_scores | head',
  ],
  options: (cmd) => {
    cmd
      .requiredOption('--models <dir>', 'model folder written by wsi-train (ensemble.json and one fold-<k>.onnx per fold)')
      .addOption(
        new Option('--aggregate <name>', `ensemble score: ${AGGREGATE_NAMES.map((n) => `${n} (${AGGREGATORS[n].summary})`).join('; ')}; default: as in ensemble.json`).choices(AGGREGATE_NAMES),
      );
  },
  async run(ctx, inputs, opts) {
    // onnxruntime loads only here, so --help is instant.
    const [{ openEnsemble }, { predictStreams }] = await Promise.all([import('./models'), import('./predict')]);
    const ensemble = await openEnsemble(opts.models, ctx.threads);
    const aggregate = opts.aggregate ?? (AGGREGATE_NAMES.includes(ensemble.manifest.aggregate as AggregateName) ? (ensemble.manifest.aggregate as AggregateName) : 'mean-prob');
    const sink = openRecordSink(ctx.output, { force: ctx.force });
    const progress = ctx.log.progress('patches');
    try {
      const rows = await predictStreams(readRecords(inputs, { expect: ['embedding'] }), sink, ensemble, {
        aggregate,
        provenance: ctx.provenance_entry({ models: opts.models, ensemble_sha256: ensemble.sha256, aggregate, inputs: inputs.length ? inputs : ['-'] }),
        onRows: (n) => progress.tick(n),
      });
      await sink.close();
      progress.done();
      ctx.log.info(`${rows} patches scored by ${ensemble.heads.length} fold heads (${aggregate}) to ${sink.name}`);
    } catch (e) {
      sink.abort();
      throw e;
    } finally {
      await ensemble.close();
    }
  },
});
