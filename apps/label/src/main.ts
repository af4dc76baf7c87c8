import { existsSync, readFileSync, statSync } from 'node:fs';
import { Option } from 'commander';
import { inputError, runTool, SlidepipeError, usageError } from '@slidepipe/cli';
import {
  BAD_BOX_POLICIES,
  CSV_ID_RULE,
  DEFAULT_LABEL_RULE,
  GEOJSON_ID_RULE,
  GeometryError,
  labelRuleDefinitions,
  parseLabelRule,
  readBoxFile,
  slideAnnotations,
  type BadBoxPolicy,
  type BoxFile,
  type LabelRule,
} from '@slidepipe/geometry';
import { openRecordSink, readRecords } from '@slidepipe/io';
import { parseExcludeList } from './exclude';
import { labelStreams, MEASURE_ONLY_RULES } from './label';

interface Opts {
  boxes?: string;
  rule: string;
  badBoxes: BadBoxPolicy;
  exclude?: string;
  slideId?: string;
  check?: boolean;
}

/** Library errors (geometry) carry code/exitCode; give them the input's name. */
function named(e: unknown, what: string): unknown {
  if (e instanceof GeometryError) return new SlidepipeError(e.code, what, e.message);
  return e;
}

function loadBoxes(path: string, slideId?: string): BoxFile {
  if (!existsSync(path)) throw new SlidepipeError('no-input', path, 'no such file');
  if (statSync(path).isDirectory()) throw inputError(path, 'is a directory (expected a DigiLut CSV or a GeoJSON file)');
  try {
    return readBoxFile(path, readFileSync(path), { geojsonSlide: slideId });
  } catch (e) {
    throw named(e, '--boxes');
  }
}

/** --check: every annotation of the file on stdout (line, id, slide, status); problems are file-level only. */
function checkReport(file: BoxFile, exclude: ReadonlySet<string>): { text: string; bad: number } {
  const lines = ['where\tslide_id\tbox_id\tstatus'];
  let bad = 0;
  for (const slide of file.bySlide.keys()) {
    const a = slideAnnotations(file, slide, null, exclude);
    const byWhere = new Map<string, string>();
    for (const r of a.rejected) byWhere.set(r.where, `bad: ${r.problems.join('; ')}`);
    for (const x of a.excluded) byWhere.set(x.where, 'excluded');
    bad += a.rejected.length;
    for (const c of file.bySlide.get(slide) ?? []) lines.push(`${c.where}\t${slide}\t${c.id ?? ''}\t${byWhere.get(c.where) ?? 'ok'}`);
  }
  return { text: `${lines.join('\n')}\n`, bad };
}

const ruleHelp = labelRuleDefinitions()
  .map((d) => d.summary)
  .join('; ');

void runTool<Opts>({
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
      .option('--boxes <file>', 'DigiLut train CSV (filename,x1,x2,y1,y2,max_x,max_y) or QuPath GeoJSON export, level-0 px')
      .option('--rule <rule>', `labelling rule: ${ruleHelp}`, DEFAULT_LABEL_RULE)
      .addOption(
        new Option('--bad-boxes <policy>', 'annotations outside the slide, of zero or negative size, x1 > x2, duplicated, or whose stated slide size differs from the slide: fail (stop, after listing them all) or drop (leave them out); each is reported on stderr with its line either way')
          .choices(BAD_BOX_POLICIES as string[])
          .default('fail'),
      )
      .option('--exclude <ids>', `box ids to leave out: a file (one id per line, # comments) or a comma-separated list; CSV box id = ${CSV_ID_RULE}; GeoJSON box id = ${GEOJSON_ID_RULE}`)
      .option('--slide-id <id>', 'the slide a GeoJSON file annotates (default: the file name without .geojson)')
      .option('--check', 'check --boxes without reading patches: print every annotation (line, slide, id, status) to stdout; exit 65 when any is bad');
  },
  async run(ctx, inputs, opts) {
    let rule: LabelRule;
    try {
      rule = parseLabelRule(opts.rule);
    } catch (e) {
      throw named(e, '--rule');
    }
    const boxes = opts.boxes ? loadBoxes(opts.boxes, opts.slideId) : null;
    if (opts.slideId && boxes?.format !== 'geojson') throw usageError('--slide-id', 'only applies to a GeoJSON --boxes file');
    const exclude = opts.exclude
      ? parseExcludeList(opts.exclude, (p) => (existsSync(p) && statSync(p).isFile() ? readFileSync(p, 'utf8') : null))
      : { ids: new Set<string>(), from: 'none' };
    if (boxes) {
      const unknown = [...exclude.ids].filter((id) => !boxes.ids.has(id));
      if (unknown.length) {
        ctx.log.warn(`--exclude: ${unknown.length} id${unknown.length > 1 ? 's' : ''} match no box in ${boxes.path}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`);
      }
    }
    if (opts.check) {
      if (!boxes) throw usageError('--check', 'needs --boxes');
      if (inputs.length) throw usageError('--check', 'reads no patches: leave out the inputs');
      const { text, bad } = checkReport(boxes, exclude.ids);
      process.stdout.write(text);
      const total = [...boxes.bySlide.values()].reduce((s, l) => s + l.length, 0);
      ctx.log.info(`${boxes.path}: ${total} annotations on ${boxes.bySlide.size} slides, ${bad} bad, ${exclude.ids.size} excluded ids (sha256 ${boxes.sha256})`);
      if (bad && opts.badBoxes === 'fail') throw inputError(boxes.path, `${bad} bad annotation${bad > 1 ? 's' : ''} (listed on stdout)`);
      return;
    }
    if (!boxes && !MEASURE_ONLY_RULES.includes(rule.name)) {
      throw usageError('--boxes', `rule ${rule.spec} needs the annotations; only ${MEASURE_ONLY_RULES.join(', ')} rules re-label from stored measures`);
    }
    const params = {
      rule: rule.spec,
      boxes: boxes ? { path: boxes.path, format: boxes.format, sha256: boxes.sha256, id_rule: boxes.idRule } : null,
      bad_boxes: opts.badBoxes,
      exclude: { from: exclude.from, ids: [...exclude.ids] },
      inputs: inputs.length ? inputs : ['-'],
    };
    const sink = openRecordSink(ctx.output, { force: ctx.force });
    try {
      const counts = await labelStreams(readRecords(inputs, { expect: ['patch', 'labelled-patch'] }), sink, {
        rule,
        boxes,
        badBoxes: opts.badBoxes,
        exclude: exclude.ids,
        provenance: (extra) => ctx.provenance_entry({ ...params, ...extra }),
        log: ctx.log,
      });
      await sink.close();
      for (const [slide, c] of counts) {
        ctx.log.info(
          `slide ${slide}: ${c.patches} patches, ${c.positives} positive (${rule.spec})${boxes ? `; ${c.boxes} boxes used, ${c.dropped} dropped, ${c.excluded} excluded` : ''}`,
        );
      }
    } catch (e) {
      sink.abort();
      throw named(e, opts.boxes ?? 'label');
    }
  },
});
