#!/usr/bin/env bash
# The detection ablation: the demo chain on one cohort with today's former defaults, each change of
# the detection work on its own (fitted boxes, hard negatives, stain normalisation) and together,
# for the built-in backbone and an ONNX backbone; then the table with 90% bootstrap intervals over
# held-out lesion slides (tools/ablation-report.mjs). Configurations share what they have in common
# (cohort, patches, embeddings, first-round heads) through symlinks, so each runs only its own steps.
#   tools/ablation.sh [--out DIR] [--patients N] [--difficulty hard|standard] [--validation-fraction F]
#                     [--backbones "builtin resnet18"] [--hard-negatives K] [--stain macenko|reinhard]
#                     [--stain-augment RECIPE|none] [--onnx-px PX]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/ablation-out
PATIENTS=50
DIFFICULTY=hard
VALIDATION=0.3
BACKBONES="builtin resnet18"
K=2
STAIN=macenko
AUGMENT=none
# The ONNX backbone's input size: 112 px keeps a ResNet-18 on 2 CPU cores near the built-in one's speed.
ONNX_PX=112
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "ablation: $1 needs a value" >&2; exit 64; }
  case $1 in
    --out) OUT=$(realpath -m "$2") ;;
    --patients) PATIENTS=$2 ;;
    --difficulty) DIFFICULTY=$2 ;;
    --validation-fraction) VALIDATION=$2 ;;
    --backbones) BACKBONES=$2 ;;
    --hard-negatives) K=$2 ;;
    --stain) STAIN=$2 ;;
    --stain-augment) AUGMENT=$2 ;;
    --onnx-px) ONNX_PX=$2 ;;
    *) echo "ablation: unknown argument $1" >&2; exit 64 ;;
  esac
  shift 2
done
mkdir -p "$OUT"
log() { echo "ablation: $*" >&2; }
export DEMO_PATIENTS=$PATIENTS DEMO_VALIDATION_FRACTION=$VALIDATION
BASE=$OUT/builtin-defaults

# demo CONFIG-DIR SHARE-FROM "FILES TO SHARE" ARGS...: one configuration, reusing the named outputs.
demo() {
  local dir=$OUT/$1 from=$2 share=$3
  shift 3
  mkdir -p "$dir"
  if [ -n "$from" ]; then
    # PATH, or PATH=SOURCE where the other configuration holds it under another name.
    for f in $share; do
      local dst=${f%%=*} src=${f#*=}
      [ -e "$OUT/$from/$src" ] || { echo "ablation: $from/$src is missing (needed by $1)" >&2; exit 70; }
      mkdir -p "$(dirname "$dir/$dst")"
      [ -e "$dir/$dst" ] || ln -sfn "$OUT/$from/$src" "$dir/$dst"
    done
  fi
  log "$(basename "$dir"): $*"
  local t0=$SECONDS
  SLIDEPIPE_DEMO_DIR=$dir bash "$ROOT/tools/demo.sh" --difficulty "$DIFFICULTY" "$@" > "$dir/summary.txt"
  echo "$(( SECONDS - t0 ))" > "$dir/seconds"
}

COMMON="cohort truth.csv splits.parquet patches real train-sample.parquet"
OLD=(--boxes components --no-size-prior)
STAIN_ARGS=(--stain "$STAIN" --stain-augment "$AUGMENT")
for bb in $BACKBONES; do
  MODEL=()
  if [ "$bb" = resnet18 ]; then
    # Seeded random weights (no download): an ONNX backbone of torchvision's resnet18 topology.
    onnx=$OUT/resnet18-$ONNX_PX.onnx
    [ -f "$onnx" ] || node --input-type=module -e "
      const m = await import('$ROOT/tools/bench/embed-setup.mjs');
      await m.fixtures('resnet18', '$onnx', $ONNX_PX);"
    MODEL=(--model "$onnx")
  elif [ "$bb" != builtin ]; then
    echo "ablation: unknown backbone $bb (builtin, resnet18)" >&2
    exit 64
  fi
  first=""
  [ "$bb" = builtin ] || first=builtin-defaults
  demo "$bb-defaults" "$first" "$COMMON" "${MODEL[@]}" "${OLD[@]}"
  demo "$bb-boxes" "$bb-defaults" "$COMMON train-embeddings.parquet models scores" "${MODEL[@]}"
  # The first round of hard-negative mining is the defaults' training.
  demo "$bb-hardneg" "$bb-defaults" "$COMMON round1/train-embeddings.parquet=train-embeddings.parquet round1/models=models" \
    "${MODEL[@]}" "${OLD[@]}" --hard-negatives "$K"
  demo "$bb-stain" "$bb-defaults" "$COMMON" "${MODEL[@]}" "${OLD[@]}" "${STAIN_ARGS[@]}"
  demo "$bb-boxes+hardneg" "$bb-hardneg" "$COMMON round1 train-sample-hard.parquet train-embeddings.parquet models scores" \
    "${MODEL[@]}" --hard-negatives "$K"
  demo "$bb-all" "$bb-stain" "$COMMON stain.json" \
    "${MODEL[@]}" --hard-negatives "$K" "${STAIN_ARGS[@]}"
done

{
  echo "# Detection ablation: $DIFFICULTY cohort, $PATIENTS patients, validation fraction $VALIDATION"
  echo "hard negatives $K per positive; stain $STAIN, augmentation $AUGMENT; ONNX backbone: ResNet-18, seeded random weights, $ONNX_PX px"
  for bb in $BACKBONES; do
    echo
    echo "## backbone: $bb"
    labels=()
    for c in defaults boxes hardneg stain boxes+hardneg all; do labels+=("$c=$OUT/$bb-$c"); done
    node "$ROOT/tools/ablation-report.mjs" --json "$OUT/ablation-$bb.json" "${labels[@]}"
    echo
    for c in defaults boxes hardneg stain boxes+hardneg all; do
      echo "- $c: $(cat "$OUT/$bb-$c/seconds") s"
    done
  done
} | tee "$OUT/ablation.md"
