// "-" or no path means stdin/stdout, resolved here once for every tool.
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { inputError } from '@slidepipe/core';
import { slideIdProblem } from '@slidepipe/schema';

export const STDIO = '-';

export function isStdio(path: string | undefined | null): boolean {
  return path === undefined || path === null || path === '' || path === STDIO;
}

/** How an input or output is named in messages. */
export function describe(path: string | undefined | null, direction: 'in' | 'out' = 'in'): string {
  return isStdio(path) ? (direction === 'in' ? '<stdin>' : '<stdout>') : String(path);
}

/**
 * The output path of one slide: `{slide}` in `template` replaced by the slide id. The id must be
 * a valid slide id and the result must stay inside the folder the template names before its
 * first `{slide}` (exit 65 otherwise), so records from elsewhere cannot write outside it.
 */
export function slideOutputPath(template: string, slideId: string): string {
  const problem = slideIdProblem(slideId);
  if (problem) throw inputError(template, problem);
  const path = template.replaceAll('{slide}', slideId);
  const cut = template.indexOf('{slide}');
  if (cut < 0) return path;
  const folder = resolve(dirname(`${template.slice(0, cut)}x`));
  const rel = relative(folder, resolve(path));
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw inputError(template, `slide id ${JSON.stringify(slideId)} would write ${path}, outside ${folder}`);
  }
  return path;
}
