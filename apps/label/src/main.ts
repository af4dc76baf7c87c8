import { Option } from 'commander';
import { runTool } from '@slidepipe/cli';
import {
  BAD_BOX_POLICIES,
  CSV_ID_RULE,
  DEFAULT_LABEL_RULE,
  GEOJSON_ID_RULE,
  labelRuleDefinitions,
} from '@slidepipe/geometry';
import { run, type LabelFlags } from './run';

const ruleHelp = labelRuleDefinitions()
  .map((d) => d.summary)
  .join('; ');

void runTool<LabelFlags>({
  name: 'label',
  summary:
    'Label patches against ground-truth annotations: coverage, best IoU, best GIoU, the id of that box, and a 0/1 label from a rule.',
  args: '[inputs...]',
  examples: [
    'wsi-tile slide.tif | wsi-label --boxes train.csv | wsi-cat -o patches/slide.parquet',
    'wsi-cat patches.parquet | wsi-label --boxes train.csv --rule "iou>0.2" --bad-boxes drop -o relabelled.parquet',
    'wsi-label --boxes abc_a.geojson --rule center-in-box patches.parquet -o labelled.parquet   # QuPath export',
    'wsi-label --rule "coverage>=0.5" labelled.parquet -o stricter.parquet                        # from stored measures',
    'wsi-label --boxes train.csv --exclude retracted.txt --check                                  # list boxes, ids, problems',
  ],
  options: (cmd) => {
    cmd
      .option(
        '--boxes <file>',
        'DigiLut train CSV (filename,x1,x2,y1,y2,max_x,max_y) or QuPath GeoJSON export, level-0 px',
      )
      .option('--rule <rule>', `labelling rule: ${ruleHelp}`, DEFAULT_LABEL_RULE)
      .addOption(
        new Option(
          '--bad-boxes <policy>',
          'annotations outside the slide, of zero or negative size, x1 > x2, duplicated, or whose stated slide size differs from the slide: fail (stop, after listing them all) or drop (leave them out); each is reported on stderr with its line either way',
        )
          .choices(BAD_BOX_POLICIES as string[])
          .default('fail'),
      )
      .option(
        '--exclude <ids>',
        `box ids to leave out: a file (one id per line, # comments) or a comma-separated list; CSV box id = ${CSV_ID_RULE}; GeoJSON box id = ${GEOJSON_ID_RULE}`,
      )
      .option('--slide-id <id>', 'the slide a GeoJSON file annotates (default: the file name without .geojson)')
      .option(
        '--check',
        'check --boxes without reading patches: print every annotation (line, slide, id, status) to stdout; exit 65 when any is bad',
      );
  },
  run,
});
