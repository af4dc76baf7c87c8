import { runTool } from '@slidepipe/cli';
import { Option } from 'commander';
import { FILL_FACTORS, NEUTRAL_BOX } from './boxes';
import { DEFAULT_METHOD, methodsHelp } from './methods/registry';
import { SUBMISSION_COLUMNS } from './outputs';
import { DEFAULT_REFINE } from './refine';
import { run, type BoxesFlags } from './run';

void runTool<BoxesFlags>({
  name: 'boxes',
  summary:
    'Turn patch scores into lesion boxes (level-0 px, inside the slide), best first, exactly N per slide when asked; optionally the DigiLut submission CSV and QuPath GeoJSON.',
  args: '[inputs...]',
  shared: { threads: false },
  examples: [
    'wsi-boxes scores.arrows -n 2 | wsi-eval --truth train.csv                       # 2 boxes a slide, scored',
    'wsi-boxes scores.arrows -n 2 --no-refine | wsi-eval --truth train.csv           # grid-snapped, for comparison',
    'wsi-boxes scores.arrows -m dbscan:eps_strides=2,min_points=4 -n 2 -o boxes.arrows',
    'wsi-boxes scores.arrows -m merge:threshold=0.6,score=max -o boxes.parquet        # every region, no count',
    'wsi-boxes scores.arrows -m peaks --size-prior train.csv --counts validation.csv -o fitted.arrows  # fit each peak',
    'wsi-boxes scores.arrows --counts validation.csv --submission submission.csv -o validation-boxes.arrows',
    'wsi-boxes scores.arrows --counts validation.csv --submission sub.csv --columns trustii_id,filename,x1,y1,x2,y2 -o b.arrows',
    "wsi-boxes scores.arrows -n 2 --geojson 'qupath-{slide}.geojson' --contours 0.5,0.8 -o qupath-boxes.arrows",
  ],
  options: (cmd) => {
    cmd
      .option(
        '-m, --method <recipe>',
        'box method and parameters: name[:key=value,...] (methods below)',
        DEFAULT_METHOD,
      )
      .option('-n, --count <n>', 'exactly this many boxes per slide (the best ones; neutral boxes pad)')
      .option(
        '--counts <csv>',
        'DigiLut validation list (filename,max_x,max_y,trustii_id): one box per row, given its trustii_id',
      )
      .addOption(
        new Option(
          '--fill <how>',
          `with a count, when fewer regions pass: lower (look again at ${FILL_FACTORS.join(', then ')} x the thresholds) or neutral (pad at once)`,
        )
          .choices(['lower', 'neutral'])
          .default('lower'),
      )
      .option(
        '--size-prior <file>',
        "lesion sizes from training boxes (DigiLut CSV such as train.csv, or GeoJSON): log-normal level-0 width, height and aspect, for -m peaks (default: DigiLut's, widths p10/p50/p90 517/943/1855 px)",
      )
      .option('--no-refine', 'grid-snapped boxes (the union of the member patches) instead of sub-patch refinement')
      .option(
        '--refine-level <f>',
        'refinement cut between the slide median (0) and the region peak (1)',
        String(DEFAULT_REFINE.level),
      )
      .option('--submission <csv>', `write the DigiLut submission CSV (${SUBMISSION_COLUMNS.join(',')})`)
      .option('--columns <list>', 'submission columns and their order; also slide_id, rank, score, padded')
      .option(
        '--geojson <path>',
        'write QuPath GeoJSON per slide; {slide} in the path is the slide id (needed for several slides)',
      )
      .option(
        '--contours <levels>',
        'with --geojson: also the areas where patch scores reach these levels, e.g. 0.5,0.8',
      );
    cmd.addHelpText(
      'after',
      `
Methods (-m name:key=value,...):
${methodsHelp()}

Refinement (default): the scores are read as a field sampled at the patch centres (bilinear in
between; overlapping patches sample it more densely) and the box is the extent of the region's area
where the field stays above median + level * (peak - median). Level 0.5 puts the edge where a patch
is half covered. --no-refine gives the union of the member patches (grid-snapped).

Peaks (-m peaks): where medium scores surround a lesion, a cut measured from the slide's median
runs over them; peaks measures each peak's height from the level around it instead (the score at
which the area flooded from the peak outgrows the size prior or meets another peak), so the
refined edge is at half height between that level and the peak, and boxes that overlap better
ones are dropped (nms_iou).

Counts: without -n/--counts every region becomes a box. With them, each slide gets exactly N
boxes: the N best regions; then (--fill lower) the best new regions found at lower thresholds; then
neutral boxes: ${NEUTRAL_BOX.x2 - NEUTRAL_BOX.x1} x ${NEUTRAL_BOX.y2 - NEUTRAL_BOX.y1} px at level-0 (0, 0), score 0, padded=true. A neutral box never reaches
GIoU 0.5 with a lesion, so it costs what any wrong box costs. Slides listed in --counts without
scores get neutral boxes only; slides with scores missing from the list get none.

Records go to stdout (or -o); when stdout is a terminal and --submission/--geojson is given, only
those files are written.`,
    );
  },
  run,
});
