// "-" or no path means stdin/stdout, resolved here once for every tool.
export const STDIO = '-';

export function isStdio(path: string | undefined | null): boolean {
  return path === undefined || path === null || path === '' || path === STDIO;
}

/** How an input or output is named in messages. */
export function describe(path: string | undefined | null, direction: 'in' | 'out' = 'in'): string {
  return isStdio(path) ? (direction === 'in' ? '<stdin>' : '<stdout>') : String(path);
}
