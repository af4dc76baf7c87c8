import { Option } from 'commander';
import { nonNegativeInteger, runTool } from '@slidepipe/cli';
import { run, type CatFlags } from './run';

void runTool<CatFlags>({
  name: 'cat',
  summary:
    'Concatenate slidepipe record streams and Parquet files; show schemas, count, cut columns, export CSV/JSON Lines.',
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
      .option('--schema', "print each stream's record type, columns, slide facts and provenance as JSON")
      .option('--count', 'print the number of rows of each input stream and the total')
      .option('--select <cols>', 'keep only these comma-separated columns')
      .option('--drop <cols>', 'leave out these comma-separated columns')
      .option('-n, --head <rows>', 'stop after this many rows', nonNegativeInteger('--head'))
      .option('--csv', 'write CSV text (binary columns left out unless --binary)')
      .option('--jsonl', 'write JSON Lines text (binary columns left out unless --binary)')
      .option('--binary', 'with --csv/--jsonl: include binary columns as base64')
      .addOption(
        new Option('--format <format>', 'record output format (default: from the -o extension, else arrow)').choices([
          'arrow',
          'parquet',
        ]),
      );
  },
  run,
});
