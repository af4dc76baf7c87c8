#!/usr/bin/env node
// Keeps the README's per-tool sections equal to each tool's --help: between
// `<!-- help:wsi-X -->` and `<!-- /help -->` markers. `--check` exits 1 when they differ.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const check = process.argv.includes('--check');

export function helpOf(toolName) {
  const main = join(root, 'dist/apps', toolName.replace(/^wsi-/, ''), 'main.js');
  if (!existsSync(main)) throw new Error(`${toolName} is not built`);
  // A fixed width so the text does not depend on the terminal.
  return execFileSync('node', [main, '--help'], { env: { ...process.env, COLUMNS: '100' } })
    .toString()
    .trimEnd();
}

let stale = [];
const updated = readme.replace(/<!-- help:(wsi-[a-z]+) -->\n[\s\S]*?<!-- \/help -->/g, (block, name) => {
  const fresh = `<!-- help:${name} -->\n\`\`\`text\n${helpOf(name)}\n\`\`\`\n<!-- /help -->`;
  if (fresh !== block) stale.push(name);
  return fresh;
});
if (check) {
  if (stale.length) {
    process.stderr.write(
      `README.md: help sections out of date: ${stale.join(', ')} (run node tools/readme-help.mjs)\n`,
    );
    process.exit(1);
  }
} else if (updated !== readme) {
  writeFileSync(readmePath, updated);
  process.stderr.write(`README.md: updated ${stale.join(', ')}\n`);
}
