// wsi-label's --exclude: ids of annotations to leave out (retracted or disputed boxes).
/** Exclusion ids from a file (one id per line, # starts a comment) or else a comma-separated list. */
export function parseExcludeList(
  value: string,
  readText: (path: string) => string | null,
): { ids: Set<string>; from: string } {
  const text = readText(value);
  if (text === null)
    return {
      ids: new Set(
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
      from: 'list',
    };
  const ids = new Set<string>();
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line) ids.add(line);
  }
  return { ids, from: value };
}
