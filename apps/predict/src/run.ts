// wsi-predict's run: embedding streams scored by every fold head to patch-score streams.
import type { ToolContext } from '@slidepipe/cli';
import { openRecordSink, readRecords } from '@slidepipe/io';
import { AGGREGATE_NAMES, type AggregateName } from './aggregate';

/** The flags, parsed. */
export interface PredictFlags {
  models: string;
  aggregate?: AggregateName;
}

export async function run(ctx: ToolContext, inputs: string[], f: PredictFlags): Promise<void> {
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
      provenance: ctx.provenance_entry({
        models: f.models,
        ensemble_sha256: ensemble.sha256,
        aggregate,
        inputs: inputs.length ? inputs : ['-'],
      }),
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
}
