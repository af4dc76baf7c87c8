// npm run bench entry for wsi-tile: the benchmark itself is tools/bench/tile.mjs (also runnable
// alone); this records its one JSON line with the others in bench-out/results.jsonl.
import { report } from './lib.mjs';
import { benchTile } from './tile.mjs';

report(benchTile());
