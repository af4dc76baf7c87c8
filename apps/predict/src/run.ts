// wsi-predict's run: embedding streams scored by every fold head to patch-score streams.
import { usageError, type ToolContext } from '@slidepipe/cli';
import { openRecordSink, readRecords, readSplitTable } from '@slidepipe/io';
import { OUT_OF_FOLD } from '@slidepipe/schema';
import { AGGREGATE_NAMES, type AggregateName } from './aggregate';

/** The flags, parsed. */
export interface PredictFlags {
  models: string;
  aggregate?: AggregateName;
  outOfFold?: boolean;
  splits?: string;
}

export async function run(ctx: ToolContext, inputs: string[], f: PredictFlags): Promise<void> {
  if (f.outOfFold && !f.splits)
    throw usageError('--out-of-fold', 'needs --splits (the split table the models were trained on)');
  if (f.splits && !f.outOfFold) throw usageError('--splits', 'is read only with --out-of-fold');
  if (f.outOfFold && f.aggregate)
    throw usageError('--aggregate', 'out-of-fold scores come from one head per slide, not an aggregate');
  const splits = f.splits ? await readSplitTable(f.splits) : null;
  // onnxruntime loads only here, so --help is instant.
  const [{ openEnsemble }, { predictStreams }] = await Promise.all([import('./models'), import('./predict')]);
  const ensemble = await openEnsemble(f.models, ctx.threads);
  const stated = ensemble.manifest.aggregate as AggregateName;
  const aggregate = f.aggregate ?? (AGGREGATE_NAMES.includes(stated) ? stated : 'mean-prob');
  const sink = openRecordSink(ctx.output, { force: ctx.force });
  const progress = ctx.log.progress('patches');
  try {
    const rows = await predictStreams(readRecords(inputs, { expect: ['embedding'] }), sink, ensemble, {
      aggregate,
      outOfFold: splits ? { splits, path: f.splits! } : null,
      provenance: ctx.provenance_entry({
        models: f.models,
        ensemble_sha256: ensemble.sha256,
        aggregate: splits ? OUT_OF_FOLD : aggregate,
        ...(splits ? { splits: f.splits } : {}),
        inputs: inputs.length ? inputs : ['-'],
      }),
      onRows: (n) => progress.tick(n),
    });
    await sink.close();
    progress.done();
    ctx.log.info(
      `${rows} patches scored by ${ensemble.heads.length} fold heads (${splits ? 'out of fold: each slide by the head of its own fold' : aggregate}) to ${sink.name}`,
    );
  } catch (e) {
    sink.abort();
    throw e;
  } finally {
    await ensemble.close();
  }
}
