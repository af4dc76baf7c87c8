import { Option } from 'commander';
import { runTool, usageError, writeStdout } from '@slidepipe/cli';
import { openRecordSink, readRecords, type OutputFormat } from '@slidepipe/io';
import { catRecords, summarize, writeText } from './cat';

interface Opts {
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

const list = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

void runTool<Opts>({
  name: 'cat',
  summary: 'Concatenate slidepipe record streams and Parquet files; show schemas, count, cut columns, export CSV/JSON Lines.',
  args: '[inputs...]',
  examples: [
    'wsi-tile slide.svs | wsi-cat -o patches.parquet           # Arrow stream to Parquet',
    'wsi-cat patches/*.parquet | wsi-label --boxes train.csv   # many files to one Arrow stream',
    'wsi-cat --schema patches.parquet                          # record type, slide facts, provenance',
    'wsi-cat --count patches.parquet',
    'wsi-cat --csv --drop image patches.parquet | head         # text, without the JPEG bytes',
    'wsi-cat --head 100 --select slide_id,x0,y0 --jsonl p.parquet',
  ],
  options: (cmd) => {
    cmd
      .option('--schema', 'print each stream\'s record type, columns, slide facts and provenance as JSON')
      .option('--count', 'print the number of rows of each input stream and the total')
      .option('--select <cols>', 'keep only these comma-separated columns')
      .option('--drop <cols>', 'leave out these comma-separated columns')
      .option('-n, --head <rows>', 'stop after this many rows', (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw usageError('--head', `expected a non-negative integer, got ${JSON.stringify(v)}`);
        return n;
      })
      .option('--csv', 'write CSV text (binary columns left out unless --binary)')
      .option('--jsonl', 'write JSON Lines text (binary columns left out unless --binary)')
      .option('--binary', 'with --csv/--jsonl: include binary columns as base64')
      .addOption(new Option('--format <format>', 'record output format (default: from the -o extension, else arrow)').choices(['arrow', 'parquet']));
  },
  async run(ctx, inputs, opts) {
    const select = list(opts.select);
    const drop = list(opts.drop);
    if (select && drop) throw usageError('--select/--drop', 'give one of them, not both');
    const streams = readRecords(inputs);
    if (opts.schema || opts.count) {
      const summary = await summarize(streams, Boolean(opts.count));
      if (opts.schema) {
        await writeStdout(`${JSON.stringify(summary.length === 1 ? summary[0] : summary, null, 2)}\n`);
      } else {
        const total = summary.reduce((s, x) => s + (x.rows ?? 0), 0);
        if (summary.length > 1) for (const s of summary) await writeStdout(`${s.rows}\t${s.source}${s.slide ? `\t${s.slide.slide_id}` : ''}\n`);
        await writeStdout(`${total}\n`);
      }
      return;
    }
    if (opts.csv || opts.jsonl) {
      if (ctx.output) throw usageError('-o', 'text output goes to stdout; redirect it with >');
      await writeText(streams, writeStdout, { format: opts.csv ? 'csv' : 'jsonl', select, drop, head: opts.head, binary: Boolean(opts.binary) });
      return;
    }
    const sink = openRecordSink(ctx.output, { force: ctx.force, format: opts.format });
    try {
      const rows = await catRecords(streams, sink, {
        select,
        drop,
        head: opts.head,
        provenance: ctx.provenance_entry({ select, drop, head: opts.head, format: opts.format, inputs: inputs.length ? inputs : ['-'] }),
      });
      await sink.close();
      ctx.log.info(`${rows} rows to ${sink.name}`);
    } catch (e) {
      sink.abort();
      throw e;
    }
  },
});
