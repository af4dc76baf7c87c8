// Test support: a grid from a picture of scores, one character or number per patch.
import { PatchColumns, ScoreGrid } from './grid';

/** Rows of scores (null = no patch) on a grid of `stride0` with `tile0` footprints, from (0, 0). */
export function gridOf(scores: (number | null)[][], stride0 = 512, tile0 = 512, size0 = 100_000): ScoreGrid {
  const p = new PatchColumns();
  scores.forEach((line, row) =>
    line.forEach((s, col) => {
      if (s !== null) p.push(col * stride0, row * stride0, tile0, tile0, col, row, s);
    }),
  );
  return new ScoreGrid('t', p, size0, size0);
}

/** "." = 0.05, "#" = 0.95, digits d = d / 10, " " = no patch. */
export function gridFromPicture(picture: string, stride0 = 512, tile0 = 512, size0 = 100_000): ScoreGrid {
  const lines = picture.split('\n').filter((l) => l.trim() !== '');
  const indent = Math.min(...lines.map((l) => l.length - l.trimStart().length));
  return gridOf(
    lines.map((l) => [...l.slice(indent)].map((ch) => (ch === ' ' ? null : ch === '.' ? 0.05 : ch === '#' ? 0.95 : Number(ch) / 10))),
    stride0,
    tile0,
    size0,
  );
}
