import { Option } from 'commander';
import { BAD_BOX_POLICIES } from '@slidepipe/geometry';
import { runTool } from '@slidepipe/cli';
import { run, type EvalFlags } from './run';

void runTool<EvalFlags>({
  name: 'eval',
  summary:
    'Score predicted boxes against ground truth with the DigiLut metric: GIoU match, F-beta per slide, mean over slides.',
  args: '[inputs...]',
  shared: { threads: false },
  examples: [
    'wsi-boxes scores.arrows -n 2 | wsi-eval --truth train.csv                 # table on stderr, records on stdout',
    'wsi-eval boxes.arrows --truth train.csv --beta 1 --matching any -o eval.arrows',
    'wsi-eval boxes.arrows --truth train.csv -q | wsi-cat --csv                # per-slide rows and the mean as CSV',
    'wsi-eval boxes.arrows --truth s0.geojson --truth s1.geojson -o eval.parquet',
    'wsi-eval submission.csv --validation validation.csv --truth validation_truth.csv   # a DigiLut submission',
  ],
  options: (cmd) => {
    cmd
      .requiredOption(
        '--truth <file>',
        'ground truth: a DigiLut box CSV (filename,x1,x2,y1,y2,...) or a QuPath GeoJSON (repeat for several files)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--truth-class <names>', 'GeoJSON: only features of these comma-separated classifications')
      .addOption(
        new Option(
          '--bad-boxes <policy>',
          'truth boxes with x1 > x2, zero size, a negative corner, past max_x/max_y, duplicated, or non-polygon features: fail (stop, naming the first) or drop (leave them out, reported)',
        )
          .choices(BAD_BOX_POLICIES as string[])
          .default('fail'),
      )
      .option('--giou <t>', 'a prediction is a hit when its GIoU with a truth box is above this', '0.5')
      .option('--beta <b>', 'F-beta weight of recall (DigiLut: 2)', '2')
      .addOption(
        new Option(
          '--matching <how>',
          'one-to-one: each truth box confirms one prediction (optimal assignment); any: a truth box may confirm several',
        )
          .choices(['one-to-one', 'any'])
          .default('one-to-one'),
      )
      .option(
        '--include-unpredicted',
        'also score truth slides with no prediction stream (as misses); default: only slides in the input',
      )
      .option(
        '--validation <csv>',
        "DigiLut validation list (filename,trustii_id,...): maps a submission's trustii_id to its slide; every listed slide is scored",
      );
    cmd.addHelpText(
      'after',
      `
Inputs: box record streams (Arrow or Parquet, as wsi-boxes writes them) or DigiLut submission CSVs
(trustii_id,filename,x1,x2,y1,y2 in any column order, as wsi-boxes --submission writes them), told
apart by their first bytes.

Slides: every slide named by an input stream (even one with no box rows) is scored; a slide of the
input that the truth does not list has no lesion. Truth slides absent from the input are left out
(reported) unless --include-unpredicted. Padded (neutral) boxes are predictions like any other.

Empty cases (no division by zero; libs/metrics conventions):
  no truth, no prediction     precision 1, recall 1, F 1
  no truth, predictions       precision 0, recall 1, F 0
  truth, no prediction        precision 1, recall 0, F 0
The mean row sums the counts and averages precision, recall and F over slides; its F is the
DigiLut score. GeoJSON truth is scored by each polygon's bounding box; GeoJSON features carrying
properties.slide_id go to that slide, others to the slide named by the file (abc_a.geojson -> abc_a).

Records (eval, one stream) go to stdout, or -o; when stdout is a terminal only the table is shown.`,
    );
  },
  run,
});
