/**
 * A meta.yaml reader for the tests only (independent of the library's writer and reader):
 * `key: value` lines, plain, single-quoted or double-quoted scalars, integers and null.
 */
export function readMetaYaml(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const i = line.indexOf(': ');
    if (i < 0) throw new Error(`not a key: value line: ${JSON.stringify(line)}`);
    const key = line.slice(0, i);
    const raw = line.slice(i + 2);
    let v: unknown;
    if (raw === 'null') v = null;
    else if (raw === '[]') v = [];
    else if (/^-?\d+$/.test(raw)) v = Number(raw);
    else if (raw.startsWith("'") && raw.endsWith("'")) v = raw.slice(1, -1).split("''").join("'");
    else if (raw.startsWith('"')) v = JSON.parse(raw);
    else if (/^(true|false|yes|no|on|off)$/i.test(raw)) throw new Error(`ambiguous plain scalar ${raw}`);
    else v = raw;
    out[key] = v;
  }
  return out;
}
