#!/usr/bin/env bash
# The main job, end to end, on a generated DigiLut-like cohort: every per-slide step is its own
# process, joined to the next by a shell pipe, and slides run in parallel on the available cores.
# Re-running reuses finished work: per-slide outputs appear only when complete (atomic renames).
#   tools/demo.sh [--model backbone.onnx] [--difficulty standard|hard] [--patients N]
#                 [--boxes RECIPE] [--no-size-prior] [--hard-negatives K] [--stain none|macenko|reinhard]
#                 [--stain-augment RECIPE|none]
set -euo pipefail
# A step that fails without a message of its own still says where the demo stopped.
trap 'echo "demo: stopped at line $LINENO ($BASH_COMMAND), exit $?" >&2' ERR
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH"
OUT=${SLIDEPIPE_DEMO_DIR:-$ROOT/demo-out}
PATIENTS=${DEMO_PATIENTS:-10}
SIZE=${DEMO_SIZE:-small}
SEED=${DEMO_SEED:-1}
JOBS=${DEMO_JOBS:-$(nproc)}
VALIDATION=${DEMO_VALIDATION_FRACTION:-}
MODEL=builtin
DIFFICULTY=standard
BOXES=peaks
SIZE_PRIOR=1
# The ablation's best combination (README, "Detection on realistic slides"): peaks + size prior + 2 hard negatives per positive.
HARD_NEGATIVES=2
STAIN=none
AUGMENT=none
usage() {
  echo "demo: $1 (expected --model FILE.onnx, --difficulty standard|hard, --patients N, --boxes RECIPE, --no-size-prior, --hard-negatives K, --stain none|macenko|reinhard, --stain-augment RECIPE|none)" >&2
  exit 64
}
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || case $1 in --no-size-prior) ;; *) usage "$1 needs a value" ;; esac
  case $1 in
    --model) MODEL=$2; shift 2 ;;
    --difficulty) DIFFICULTY=$2; shift 2 ;;
    --patients) PATIENTS=$2; shift 2 ;;
    --boxes) BOXES=$2; shift 2 ;;
    --no-size-prior) SIZE_PRIOR=0; shift ;;
    --hard-negatives) HARD_NEGATIVES=$2; shift 2 ;;
    --stain) STAIN=$2; shift 2 ;;
    --stain-augment) AUGMENT=$2; shift 2 ;;
    *) usage "unknown argument $1" ;;
  esac
done
case $DIFFICULTY in standard | hard) ;; *) usage "--difficulty $DIFFICULTY" ;; esac
case $STAIN in none | macenko | reinhard) ;; *) usage "--stain $STAIN" ;; esac
[[ $HARD_NEGATIVES =~ ^[0-9]+$ ]] || usage "--hard-negatives $HARD_NEGATIVES"
[[ $PATIENTS =~ ^[1-9][0-9]*$ ]] || usage "--patients $PATIENTS"
EMBED_ARGS=()
[ "$MODEL" != builtin ] && EMBED_ARGS=(--model "$(realpath "$MODEL")")
# Training embeddings may be stain-augmented; held-out ones never are (wsi-predict refuses them).
TRAIN_STAIN=()
[ "$STAIN" != none ] && TRAIN_STAIN=(--stain "$STAIN:target=stain.json")
[ "$AUGMENT" != none ] && TRAIN_STAIN+=(--stain-augment "$AUGMENT")
PREDICT_STAIN=()
[ "$STAIN" != none ] && PREDICT_STAIN=(--stain "$STAIN:target=models/ensemble.json")
started=$(date +%s)
say() { echo "demo: $*" >&2; }
mkdir -p "$OUT"/{patches,scores,heatmaps,geojson,real}
cd "$OUT"

# 1. A synthetic cohort: slides, DigiLut CSVs, manifest, contact sheet.
# A cohort of another difficulty would mix results silently: refuse it.
if [ -f cohort/manifest.json ]; then
  have=$(node -e 'const m=require(process.argv[1]); console.log(m.difficulty ?? "standard")' "$OUT/cohort/manifest.json")
  [ "$have" = "$DIFFICULTY" ] || { say "$OUT/cohort is a $have cohort, not $DIFFICULTY: use another SLIDEPIPE_DEMO_DIR"; exit 64; }
fi
if [ ! -f cohort/manifest.json ]; then
  say "generating $PATIENTS patients x 2 slides ($SIZE, $DIFFICULTY) into $OUT/cohort"
  rm -rf cohort.partial
  # shellcheck disable=SC2046
  wsi-synth -q -o cohort.partial --patients "$PATIENTS" --size "$SIZE" --seed "$SEED" --difficulty "$DIFFICULTY" \
    $([ "$DIFFICULTY" = hard ] && echo --texture "$ROOT/test/fixtures/slides/CMU-1-Small-Region.svs") \
    $([ -n "$VALIDATION" ] && echo --validation-fraction "$VALIDATION")
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

# 4. Training set: train slides only, all positives, 2 negatives per positive. With --stain, the
#    stain target is fitted on this sample (the training slides only).
TRAIN_PATCHES=$(ls patches/*.parquet | while read -r f; do id=$(basename "$f" .parquet); grep -qx "$id" <<<"$TEST_SLIDES" || echo "$f"; done)
if [ ! -f train-sample.parquet ]; then
  say "sampling the training patches"
  # shellcheck disable=SC2086
  wsi-cat -q $TRAIN_PATCHES | wsi-sample -q --neg-per-pos 2 --splits splits.parquet --set train -o train-sample.parquet
fi
[ "$STAIN" = none ] || [ -f stain.json ] || wsi-stain -q train-sample.parquet -o stain.json

# 5. One MLP head per fold; the five heads are the ensemble. TensorBoard and MLflow logs.
#    With --hard-negatives K a second round follows: every training patch is scored by the head
#    that never saw its slide (out of fold), and the K x positives highest-scoring negatives join
#    the sample; the second round's heads are the ensemble.
train_round() { # folder sample
  local dir=$1 sample=$2
  mkdir -p "$dir"
  if [ ! -f "$dir/train-embeddings.parquet" ]; then
    say "embedding $(wsi-cat -q --count "$sample" | tail -1) training patches into $dir (backbone: $MODEL, stain: $STAIN, augmentation: $AUGMENT)"
    wsi-embed -q "${EMBED_ARGS[@]}" "${TRAIN_STAIN[@]}" "$sample" -o "$dir/train-embeddings.parquet"
  fi
  # Heads newer than their embeddings are finished work (ensemble.json is written last).
  [ "$dir/models/ensemble.json" -nt "$dir/train-embeddings.parquet" ] && return 0
  say "training 5 fold heads into $dir/models"
  wsi-train -q "$dir/train-embeddings.parquet" --splits splits.parquet -o "$dir/models/" --logs "$dir/tensorboard/" --seed "$SEED"
}
if [ "$HARD_NEGATIVES" -gt 0 ]; then
  train_round round1 train-sample.parquet
  if [ ! -f round1/oof-scores.parquet ]; then
    say "scoring every training patch out of fold"
    ROUND1_STAIN=()
    [ "$STAIN" != none ] && ROUND1_STAIN=(--stain "$STAIN:target=round1/models/ensemble.json")
    # shellcheck disable=SC2086
    wsi-cat -q $TRAIN_PATCHES | wsi-embed -q "${EMBED_ARGS[@]}" "${ROUND1_STAIN[@]}" \
      | wsi-predict -q --models round1/models/ --out-of-fold --splits splits.parquet | wsi-cat -q -o round1/oof-scores.parquet
  fi
  if [ ! -f train-sample-hard.parquet ]; then
    # shellcheck disable=SC2086
    wsi-cat -q $TRAIN_PATCHES | wsi-sample -q --neg-per-pos 2 --splits splits.parquet --set train \
      --hard-negatives round1/oof-scores.parquet --per-pos "$HARD_NEGATIVES" -o train-sample-hard.parquet
  fi
  train_round . train-sample-hard.parquet
else
  train_round . train-sample.parquet
fi

# 6. Held-out slides: embed | predict with the ensemble | write the heat map scores.
predict_one() {
  local id=$1
  [ -f "scores/$id.parquet" ] && return 0
  wsi-cat -q "patches/$id.parquet" | wsi-embed -q "${EMBED_ARGS[@]}" "${PREDICT_STAIN[@]}" --threads 1 | wsi-predict -q --models models/ \
    | wsi-cat -q -o "scores/$id.parquet" || { echo "demo: slide $id failed; stopping" >&2; return 255; }
}
export -f predict_one
export EMBED_ARGS_STR="${EMBED_ARGS[*]:-} ${PREDICT_STAIN[*]:-}"
say "scoring $(wc -w <<<"$TEST_SLIDES") held-out slides"
for id in $TEST_SLIDES; do echo "$id"; done | xargs -P "$JOBS" -I{} bash -c 'EMBED_ARGS=($EMBED_ARGS_STR); PREDICT_STAIN=(); predict_one "$@"' _ {}

# 7. Exactly the expected number of boxes per slide (validation.csv), the submission CSV, QuPath
#    GeoJSON; the same count of boxes placed at random, as the chance baseline.
SCORES=$(for id in $TEST_SLIDES; do echo "scores/$id.parquet"; done)
BOX_ARGS=(-m "$BOXES")
PRIOR_TEXT=""
if [ "$SIZE_PRIOR" = 1 ] && [[ $BOXES == peaks* ]]; then
  BOX_ARGS+=(--size-prior cohort/train.csv)
  PRIOR_TEXT=" + size prior"
fi
# shellcheck disable=SC2086
wsi-cat -q $SCORES | wsi-boxes -q "${BOX_ARGS[@]}" --counts cohort/validation.csv --submission submission.csv --force \
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

CONFIG="difficulty $DIFFICULTY, boxes $BOXES$PRIOR_TEXT, hard negatives ${HARD_NEGATIVES} per positive, stain $STAIN, augmentation $AUGMENT"
node "$ROOT/tools/demo-summary.mjs" "$OUT" "$(( $(date +%s) - started ))" "$FIX" "$CONFIG" && echo "explore the results in the browser: wsi-view --run ${OUT#"$ROOT"/}"
