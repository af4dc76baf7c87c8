#!/usr/bin/env node
// Thin launcher: the tool is bundled by `npm run build` into dist/apps/stain/main.js.
import { existsSync } from 'node:fs';
const main = new URL('../../../dist/apps/stain/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('wsi-stain: not built: run `npm run setup` (or `npm run build`) in the slidepipe folder\n');
  process.exit(70);
}
await import(main.href);
