// wsi-label's run: label the patch streams against the annotations, or (--check) list the annotations.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { inputError, namedAs, SlidepipeError, usageError, type ToolContext } from '@slidepipe/cli';
import {
  GeometryError,
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

/** The flags, as given. */
export interface LabelFlags {
  boxes?: string;
  rule: string;
  badBoxes: BadBoxPolicy;
  exclude?: string;
  slideId?: string;
  check?: boolean;
}

type Exclude = { ids: Set<string>; from: string };

function loadBoxes(path: string, slideId?: string): BoxFile {
  if (!existsSync(path)) throw new SlidepipeError('no-input', path, 'no such file');
  if (statSync(path).isDirectory()) throw inputError(path, 'is a directory (expected a DigiLut CSV or a GeoJSON file)');
  try {
    return readBoxFile(path, readFileSync(path), { geojsonSlide: slideId });
  } catch (e) {
    throw namedAs(e, GeometryError, '--boxes');
  }
}

function loadExclude(ctx: ToolContext, f: LabelFlags, boxes: BoxFile | null): Exclude {
  const exclude = f.exclude
    ? parseExcludeList(f.exclude, (p) => (existsSync(p) && statSync(p).isFile() ? readFileSync(p, 'utf8') : null))
    : { ids: new Set<string>(), from: 'none' };
  const unknown = boxes ? [...exclude.ids].filter((id) => !boxes.ids.has(id)) : [];
  if (unknown.length) {
    ctx.log.warn(
      `--exclude: ${unknown.length} id${unknown.length > 1 ? 's' : ''} match no box in ${boxes!.path}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
    );
  }
  return exclude;
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
    for (const c of file.bySlide.get(slide) ?? [])
      lines.push(`${c.where}\t${slide}\t${c.id ?? ''}\t${byWhere.get(c.where) ?? 'ok'}`);
  }
  return { text: `${lines.join('\n')}\n`, bad };
}

function check(ctx: ToolContext, inputs: string[], f: LabelFlags, boxes: BoxFile | null, exclude: Exclude): void {
  if (!boxes) throw usageError('--check', 'needs --boxes');
  if (inputs.length) throw usageError('--check', 'reads no patches: leave out the inputs');
  const { text, bad } = checkReport(boxes, exclude.ids);
  process.stdout.write(text);
  const total = [...boxes.bySlide.values()].reduce((s, l) => s + l.length, 0);
  ctx.log.info(
    `${boxes.path}: ${total} annotations on ${boxes.bySlide.size} slides, ${bad} bad, ${exclude.ids.size} excluded ids (sha256 ${boxes.sha256})`,
  );
  if (bad && f.badBoxes === 'fail')
    throw inputError(boxes.path, `${bad} bad annotation${bad > 1 ? 's' : ''} (listed on stdout)`);
}

async function label(
  ctx: ToolContext,
  inputs: string[],
  f: LabelFlags,
  rule: LabelRule,
  boxes: BoxFile | null,
  exclude: Exclude,
): Promise<void> {
  if (!boxes && !MEASURE_ONLY_RULES.includes(rule.name)) {
    throw usageError(
      '--boxes',
      `rule ${rule.spec} needs the annotations; only ${MEASURE_ONLY_RULES.join(', ')} rules re-label from stored measures`,
    );
  }
  const params = {
    rule: rule.spec,
    boxes: boxes ? { path: boxes.path, format: boxes.format, sha256: boxes.sha256, id_rule: boxes.idRule } : null,
    bad_boxes: f.badBoxes,
    exclude: { from: exclude.from, ids: [...exclude.ids] },
    inputs: inputs.length ? inputs : ['-'],
  };
  const sink = openRecordSink(ctx.output, { force: ctx.force });
  try {
    const counts = await labelStreams(readRecords(inputs, { expect: ['patch', 'labelled-patch'] }), sink, {
      rule,
      boxes,
      badBoxes: f.badBoxes,
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
    throw namedAs(e, GeometryError, f.boxes ?? 'label');
  }
}

export async function run(ctx: ToolContext, inputs: string[], f: LabelFlags): Promise<void> {
  let rule: LabelRule;
  try {
    rule = parseLabelRule(f.rule);
  } catch (e) {
    throw namedAs(e, GeometryError, '--rule');
  }
  const boxes = f.boxes ? loadBoxes(f.boxes, f.slideId) : null;
  if (f.slideId && boxes?.format !== 'geojson')
    throw usageError('--slide-id', 'only applies to a GeoJSON --boxes file');
  const exclude = loadExclude(ctx, f, boxes);
  if (f.check) check(ctx, inputs, f, boxes, exclude);
  else await label(ctx, inputs, f, rule, boxes, exclude);
}
