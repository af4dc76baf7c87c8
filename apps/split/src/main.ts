import { numberIn, positiveInteger, runTool, seedFlag } from '@slidepipe/cli';
import { BAD_BOX_POLICIES } from '@slidepipe/geometry';
import { Option } from 'commander';
import { run, type SplitFlags } from './run';
import { DEFAULT_PATIENT_PATTERN } from './split';

void runTool<SplitFlags>({
  name: 'split',
  summary:
    'Train/test split and K cross-validation folds of a cohort, grouped by patient and stratified by lesion presence; writes a split table and prints its balance.',
  shared: { threads: false },
  examples: [
    'wsi-split --slides slides/ --boxes train.csv --folds 5 -o splits.parquet                      # 20% of patients to test',
    'wsi-split --slides slides/ --boxes train.csv --presence presence_of_lesion.csv --test-list validation.csv -o splits.parquet',
    'wsi-split --boxes train.csv --test-fraction 0 --folds 3 --seed 7 | wsi-cat --csv              # slides from the box file',
    "wsi-split --slides list.csv --patient-pattern '^(?<patient>P\\d+)-' -o splits.arrows",
  ],
  options: (cmd) => {
    cmd
      .option(
        '--slides <dir|file>',
        'the slides: a folder of slide files, or a list (CSV with a filename/file_name/slide_id column, or one name per line); default: the slides named by the other files',
      )
      .option('--boxes <file>', 'DigiLut train CSV (or QuPath GeoJSON): box count and lesion presence per slide')
      .addOption(
        new Option(
          '--bad-boxes <policy>',
          'annotations with x1 > x2, zero size, a negative corner, past max_x/max_y or duplicated: fail (stop, naming the first) or drop (not counted, each reported)',
        )
          .choices(BAD_BOX_POLICIES as string[])
          .default('fail'),
      )
      .option(
        '--presence <file>',
        'DigiLut presence_of_lesion.csv (file_name;presence_of_lesion): the labelled train slides and whether each has a lesion',
      )
      .option(
        '--test-list <file>',
        'slides of the test set (e.g. DigiLut validation.csv, one row per expected box); their patients are test',
      )
      .option(
        '--test-fraction <f>',
        'share of patients for the test set when there is no --test-list, in [0, 1) (default 0.2)',
        numberIn('--test-fraction', '[0, 1)'),
      )
      .option('--folds <k>', 'cross-validation folds over the train patients', positiveInteger('--folds'), 5)
      .option('--seed <n>', 'random seed (same inputs and seed: same split)', seedFlag(), 0)
      .option(
        '--patient-pattern <regex>',
        'regular expression on the slide id whose group "patient" (else group 1) is the patient id',
        DEFAULT_PATIENT_PATTERN,
      );
  },
  run,
});
