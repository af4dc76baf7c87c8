#!/usr/bin/env bash
# The main job on bundled and generated data. Grows with the pipeline: every stage that exists runs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SLIDEPIPE_DEMO_DIR:-demo-out}
mkdir -p "$out"
cat_() { node dist/apps/cat/main.js "$@"; }
echo "demo: records through pipes: synthetic patches -> Arrow -> Parquet -> Arrow" >&2
node tools/make-patches.mjs 2000 15000 2 | cat_ | cat_ --force -o "$out/patches.parquet"
cat_ --count "$out/patches.parquet" >&2
cat_ --schema "$out/patches.parquet" | head -20 >&2
echo "demo: outputs in $out/" >&2
