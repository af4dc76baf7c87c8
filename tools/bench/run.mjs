#!/usr/bin/env node
// npm run bench: runs every tools/bench/*.bench.mjs (or those named on the command line) in turn;
// each prints one JSON line with its ratios against a baseline measured in the same run.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, load, ROOT } from './lib.mjs';

ensureBuilt();
const dir = join(ROOT, 'tools/bench');
const wanted = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => !wanted.length || wanted.some((w) => f.startsWith(w)))
  .sort();
process.stderr.write(
  `bench: ${benches.join(', ')} (load average ${load()}; results also in bench-out/results.jsonl)\n`,
);
let failed = 0;
for (const b of benches) {
  try {
    execFileSync('node', [join(dir, b)], { stdio: 'inherit', cwd: ROOT });
  } catch {
    failed++;
    process.stderr.write(`bench: ${b} failed\n`);
  }
}
process.exit(failed ? 1 : 0);
