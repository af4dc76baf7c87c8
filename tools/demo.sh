#!/usr/bin/env bash
# The main job, end to end, on a generated DigiLut-like cohort: every per-slide step is its own
# process, joined to the next by a shell pipe, and slides run in parallel on the available cores.
# Re-running reuses finished work: per-slide outputs appear only when complete (atomic renames).
#   tools/demo.sh [--model backbone.onnx]     (default: the built-in H&E colour/texture features)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH"
OUT=${SLIDEPIPE_DEMO_DIR:-$ROOT/demo-out}
PATIENTS=${DEMO_PATIENTS:-10}
SIZE=${DEMO_SIZE:-small}
SEED=${DEMO_SEED:-1}
JOBS=${DEMO_JOBS:-$(nproc)}
MODEL=builtin
while [ $# -gt 0 ]; do
  case $1 in
    --model) MODEL=$2; shift 2 ;;
    *) echo "demo: unknown argument $1 (expected --model FILE.onnx)" >&2; exit 64 ;;
  esac
done
EMBED_ARGS=()
[ "$MODEL" != builtin ] && EMBED_ARGS=(--model "$(realpath "$MODEL")")
started=$(date +%s)
say() { echo "demo: $*" >&2; }
mkdir -p "$OUT"/{patches,scores,heatmaps,geojson,real}
cd "$OUT"

# 1. A synthetic cohort: slides, DigiLut CSVs, manifest, contact sheet.
if [ ! -f cohort/manifest.json ]; then
  say "generating $PATIENTS patients x 2 slides ($SIZE) into $OUT/cohort"
  rm -rf cohort.partial
  wsi-synth -q -o cohort.partial --patients "$PATIENTS" --size "$SIZE" --seed "$SEED"
  mv cohort.partial cohort
fi
# Ground truth of every slide (train boxes + the held-out boxes), for labels and evaluation.
[ -f truth.csv ] || { cat cohort/train.csv; tail -n +2 cohort/validation_truth.csv; } > truth.csv

# 2. Patient-grouped split: DigiLut's validation slides are the test set; 5 folds over the rest.
[ -f splits.parquet ] || wsi-split -q --slides cohort/ --boxes cohort/train.csv --presence cohort/presence_of_lesion.csv \
  --test-list cohort/validation.csv --folds 5 --seed "$SEED" -o splits.parquet
TEST_SLIDES=$(wsi-cat --csv --select slide_id,set splits.parquet | awk -F, '$2=="test"{print $1}')

# 3. One process pipeline per slide: tile | label | write. Test slides are tiled with half-patch
#    overlap (stride 128 px at 0.5 um/px) so that boxes can be placed below patch resolution.
tile_one() {
  local slide=$1 id stride=256
  id=$(basename "$slide" .tif)
  [ -f "patches/$id.parquet" ] && return 0
  grep -qx "$id" <<<"$TEST_SLIDES" && stride=128
  if ! wsi-tile -q "$slide" --stride-px "$stride" | wsi-label -q --boxes truth.csv | wsi-cat -q -o "patches/$id.parquet"; then
    echo "demo: slide $id failed (see the message above); stopping" >&2
    return 255  # makes xargs stop starting new slides
  fi
}
export -f tile_one
export TEST_SLIDES
say "tiling and labelling $(ls cohort/*.tif | wc -l) slides, $JOBS at a time"
ls cohort/*.tif | xargs -P "$JOBS" -I{} bash -c 'tile_one "$@"' _ {}

# 4. Training set: train slides only, all positives, 2 negatives per positive; then embeddings.
TRAIN_PATCHES=$(ls patches/*.parquet | while read -r f; do id=$(basename "$f" .parquet); grep -qx "$id" <<<"$TEST_SLIDES" || echo "$f"; done)
if [ ! -f train-embeddings.parquet ]; then
  say "sampling and embedding the training patches (backbone: $MODEL)"
  # shellcheck disable=SC2086
  wsi-cat -q $TRAIN_PATCHES | wsi-sample -q --neg-per-pos 2 --splits splits.parquet --set train \
    | wsi-embed -q "${EMBED_ARGS[@]}" -o train-embeddings.parquet
fi

# 5. One MLP head per fold; the five heads are the ensemble. TensorBoard and MLflow logs.
say "training 5 fold heads"
wsi-train -q train-embeddings.parquet --splits splits.parquet -o models/ --logs tensorboard/ --seed "$SEED"

# 6. Held-out slides: embed | predict with the ensemble | write the heat map scores.
predict_one() {
  local id=$1
  [ -f "scores/$id.parquet" ] && return 0
  wsi-cat -q "patches/$id.parquet" | wsi-embed -q "${EMBED_ARGS[@]}" --threads 1 | wsi-predict -q --models models/ \
    | wsi-cat -q -o "scores/$id.parquet" || { echo "demo: slide $id failed; stopping" >&2; return 255; }
}
export -f predict_one
export EMBED_ARGS_STR="${EMBED_ARGS[*]:-}"
say "scoring $(wc -w <<<"$TEST_SLIDES") held-out slides"
for id in $TEST_SLIDES; do echo "$id"; done | xargs -P "$JOBS" -I{} bash -c 'EMBED_ARGS=($EMBED_ARGS_STR); predict_one "$@"' _ {}

# 7. Exactly the expected number of boxes per slide (validation.csv), the submission CSV, QuPath
#    GeoJSON; the same count of boxes placed at random, as the chance baseline.
SCORES=$(for id in $TEST_SLIDES; do echo "scores/$id.parquet"; done)
# shellcheck disable=SC2086
wsi-cat -q $SCORES | wsi-boxes -q --counts cohort/validation.csv --submission submission.csv --force \
  --geojson 'geojson/{slide}.geojson' -o boxes.parquet --force
# shellcheck disable=SC2086
wsi-cat -q $SCORES | wsi-boxes -q -m random:seed="$SEED" --no-refine --counts cohort/validation.csv -o random-boxes.parquet --force

# 8. The DigiLut metric: F2 at GIoU > 0.5, per slide and the mean.
wsi-eval -q boxes.parquet --truth truth.csv -o eval.parquet --force
wsi-eval -q random-boxes.parquet --truth truth.csv -o random-eval.parquet --force

# 9. Heat maps for a person to look at.
for id in $TEST_SLIDES; do
  [ -f "heatmaps/$id.png" ] || wsi-heatmap -q "scores/$id.parquet" --slide "cohort/$id.tif" --boxes boxes.parquet --truth truth.csv -o "heatmaps/$id.png"
done

# 10. Real slide formats: the bundled fixtures (Aperio SVS; generic tiled TIFF with mpp from its
#     resolution tags), with the kept patch grid drawn for a person to look at.
FIX=$(node "$ROOT/libs/fixtures/src/index.mjs")
for f in CMU-1-Small-Region.svs CMU-1-Small-Region.generic-tiled-jpeg.tif; do
  [ -f "$FIX/$f" ] || { echo "demo: fixture slide $FIX/$f is missing: skipped" >&2; continue; }
  id=${f%.*}
  [ -f "real/$id.parquet" ] || wsi-tile -q "$FIX/$f" --grid-png "real/$id.grid.png" | wsi-cat -q -o "real/$id.parquet"
done

node "$ROOT/tools/demo-summary.mjs" "$OUT" "$(( $(date +%s) - started ))" "$FIX" && echo "explore the results in the browser: wsi-view --run ${OUT#"$ROOT"/}"
