// wsi-cat's run: summaries (--schema, --count), text export (--csv, --jsonl), or records re-written.
import { usageError, writeStdout, type ToolContext } from '@slidepipe/cli';
import { openRecordSink, readRecords, type OutputFormat, type RecordStream } from '@slidepipe/io';
import { catRecords, summarize, writeText } from './cat';

/** The flags, parsed. */
export interface CatFlags {
  schema?: boolean;
  count?: boolean;
  select?: string;
  drop?: string;
  head?: number;
  csv?: boolean;
  jsonl?: boolean;
  binary?: boolean;
  format?: OutputFormat;
}

const list = (s?: string) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;

async function printSummary(streams: AsyncIterable<RecordStream>, f: CatFlags): Promise<void> {
  const summary = await summarize(streams, Boolean(f.count));
  if (f.schema) {
    await writeStdout(`${JSON.stringify(summary.length === 1 ? summary[0] : summary, null, 2)}\n`);
    return;
  }
  const total = summary.reduce((s, x) => s + (x.rows ?? 0), 0);
  if (summary.length > 1)
    for (const s of summary) await writeStdout(`${s.rows}\t${s.source}${s.slide ? `\t${s.slide.slide_id}` : ''}\n`);
  await writeStdout(`${total}\n`);
}

export async function run(ctx: ToolContext, inputs: string[], f: CatFlags): Promise<void> {
  const select = list(f.select);
  const drop = list(f.drop);
  if (select && drop) throw usageError('--select/--drop', 'give one of them, not both');
  const streams = readRecords(inputs);
  if (f.schema || f.count) return printSummary(streams, f);
  if (f.csv || f.jsonl) {
    if (ctx.output) throw usageError('-o', 'text output goes to stdout; redirect it with >');
    await writeText(streams, writeStdout, {
      format: f.csv ? 'csv' : 'jsonl',
      select,
      drop,
      head: f.head,
      binary: Boolean(f.binary),
    });
    return;
  }
  const sink = openRecordSink(ctx.output, { force: ctx.force, format: f.format });
  try {
    const rows = await catRecords(streams, sink, {
      select,
      drop,
      head: f.head,
      provenance: ctx.provenance_entry({
        select,
        drop,
        head: f.head,
        format: f.format,
        inputs: inputs.length ? inputs : ['-'],
      }),
    });
    await sink.close();
    ctx.log.info(`${rows} rows to ${sink.name}`);
  } catch (e) {
    sink.abort();
    throw e;
  }
}
