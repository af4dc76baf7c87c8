/**
 * The flat YAML MLflow's file store reads and writes in meta.yaml: one `key: scalar` per line,
 * keys sorted (PyYAML's sort_keys=True). Only what those files hold is supported.
 */
export type YamlScalar = string | number | null | readonly [];

// YAML 1.1 (PyYAML) reads these plain words as booleans or null, so strings like them are quoted.
const YAML11_SPECIAL =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;
// Plain scalars we are sure every YAML reader takes back as the same string: a letter, `_` or
// `/` first (so never a number), then no space, no `#`, no flow characters, and no trailing `:`.
const SAFE_PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:@+-]*$/;
// Printable characters a single-quoted scalar can hold without escapes.
const PRINTABLE = /^[^\p{Cc}\p{Cs}\u2028\u2029\ufeff]*$/u;

export function yamlScalar(value: YamlScalar): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`yaml: cannot write ${value}`);
    return String(value);
  }
  const s = value as string;
  if (SAFE_PLAIN.test(s) && !s.endsWith(':') && !YAML11_SPECIAL.test(s)) return s;
  if (PRINTABLE.test(s)) return `'${s.replaceAll("'", "''")}'`;
  // JSON string syntax is a valid YAML double-quoted scalar.
  return JSON.stringify(s);
}

export function toYaml(doc: Readonly<Record<string, YamlScalar>>): string {
  return Object.keys(doc)
    .sort()
    .map((k) => `${k}: ${yamlScalar(doc[k] as YamlScalar)}\n`)
    .join('');
}

function parseScalar(raw: string): string | number | null {
  const s = raw.trim();
  if (s.startsWith("'")) return s.slice(1, s.lastIndexOf("'")).replaceAll("''", "'");
  if (s.startsWith('"')) return JSON.parse(s) as string;
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (/^[-+]?\d+$/.test(s)) return Number(s);
  return s;
}

/**
 * Reads the top-level scalars of a meta.yaml written by MLflow or by us. PyYAML folds long
 * scalars onto indented continuation lines; those are joined with a space, as YAML does.
 * Values that are not scalars (e.g. `tags: []`) come back as their raw text.
 */
export function parseFlatYaml(text: string): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  let key: string | undefined;
  let raw = '';
  const commit = () => {
    if (key !== undefined) out[key] = raw.trim() === '[]' ? '[]' : parseScalar(raw);
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (/^\s/.test(line) && key !== undefined) {
      raw += ' ' + line.trim();
      continue;
    }
    commit();
    const m = /^([^:\s][^:]*):(?:\s+(.*))?$/.exec(line);
    if (!m) {
      key = undefined;
      continue;
    }
    key = m[1];
    raw = m[2] ?? '';
  }
  commit();
  return out;
}
