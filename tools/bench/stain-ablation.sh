#!/usr/bin/env bash
# Stain robustness on a cohort with strong per-patient stain variation (a one-off measurement, not
# part of npm run bench): each patient's patches get their own HED shift (libs/testing
# writeStainShifted), then the demo's chain runs with no normalisation, Macenko, Reinhard and HED
# augmentation, and prints held-out patch AUC and F2 per setting.
#   tools/bench/stain-ablation.sh DIR      DIR holds cohort/, truth.csv, splits.parquet, test.list and
#                                          patches/<slide>.parquet (tiled and labelled as tools/demo.sh does)
# Env: SHIFT_SIGMA (0.25), SHIFT_BIAS (0.05), SHIFT_SEED (1), AUGMENT (hed:sigma=0.2,bias=0.05,seed=1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$ROOT/node_modules/.bin:$PATH"
DIR=$(realpath "$1")
cd "$DIR"
SIGMA=${SHIFT_SIGMA:-0.25} BIAS=${SHIFT_BIAS:-0.05} SEED=${SHIFT_SEED:-1}
AUGMENT=${AUGMENT:-hed:sigma=0.2,bias=0.05,seed=1}
TEST=$(cat test.list)
TRAIN=$(for f in "$DIR"/patches/*.parquet; do id=$(basename "$f" .parquet); grep -qx "$id" test.list || echo "$f"; done)
TESTF=$(for id in $TEST; do echo "$DIR/patches/$id.parquet"; done)
shift_to() { # out inputs...
  local out=$1; shift
  [ -f "$out" ] || node --input-type=module -e "
    const m = await import('$ROOT/tools/bench/embed-setup.mjs');
    await m.fixtures('stain-shift', '$out', '$SEED', '$SIGMA', '$BIAS', ...process.argv.slice(1));" "$@"
}
shift_to "$DIR/shifted-train.arrows" $TRAIN
shift_to "$DIR/shifted-test.arrows" $TESTF
auc() { # scores file -> patch AUC (ties counted half)
  wsi-cat -q --csv --select label,score "$1" | node -e '
    const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    rows.sort((a, b) => a[1] - b[1]);
    let pos = 0, neg = 0, rank = 0, sum = 0;
    for (let i = 0; i < rows.length; ) {
      let j = i; while (j < rows.length && rows[j][1] === rows[i][1]) j++;
      const r = (i + j + 1) / 2;
      for (let k = i; k < j; k++) if (rows[k][0] === 1) { sum += r; pos++; } else neg++;
      i = j;
    }
    console.log(((sum - pos * (pos + 1) / 2) / (pos * neg)).toFixed(4));'
}
f2() { # scores file -> F2 of the boxes (wsi-eval)
  wsi-boxes -q 2>/dev/null --counts cohort/validation.csv -o "$1.boxes.parquet" --force "$1" &&
    wsi-eval -q "$1.boxes.parquet" --truth truth.csv -o "$1.eval.parquet" --force &&
    wsi-cat -q --jsonl "$1.eval.parquet" | node -e '
      const r = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse).find((r) => r.scope === "mean");
      console.log(r.fbeta.toFixed(3));'
}
run() { # name input-train input-test embed-train-args... -- embed-test-args...
  local name=$1 train=$2 test=$3; shift 3
  local a=() b=() seen=0
  for x in "$@"; do if [ "$x" = -- ]; then seen=1; elif [ $seen = 0 ]; then a+=("$x"); else b+=("$x"); fi; done
  b=("${b[@]//MODELS/models-$name}")
  wsi-cat -q "$train" | wsi-sample -q --neg-per-pos 2 --splits splits.parquet --set train | wsi-embed -q "${a[@]}" -o "emb-$name.parquet" --force
  wsi-train -q "emb-$name.parquet" --splits splits.parquet -o "models-$name" --seed 1 --no-mlflow --no-tensorboard --force
  wsi-cat -q "$test" | wsi-embed -q "${b[@]}" | wsi-predict -q --models "models-$name" -o "scores-$name.parquet" --force
  printf '%-22s patch AUC %s  F2 %s\n' "$name" "$(auc "scores-$name.parquet")" "$(f2 "scores-$name.parquet" || echo -)"
}
wsi-cat -q $TRAIN -o train.parquet --force
wsi-cat -q $TESTF -o test.parquet --force
wsi-cat -q shifted-train.arrows | wsi-sample -q --neg-per-pos 2 --splits splits.parquet --set train | wsi-stain -q -o stain.json --force
wsi-cat -q train.parquet | wsi-sample -q --neg-per-pos 2 --splits splits.parquet --set train | wsi-stain -q -o stain-unshifted.json --force
run unshifted-none train.parquet test.parquet --
run unshifted-macenko train.parquet test.parquet --stain macenko:target=stain-unshifted.json -- --stain macenko:target=MODELS/ensemble.json
run shifted-none shifted-train.arrows shifted-test.arrows --
run shifted-macenko shifted-train.arrows shifted-test.arrows --stain macenko:target=stain.json -- --stain macenko:target=MODELS/ensemble.json
run shifted-reinhard shifted-train.arrows shifted-test.arrows --stain reinhard:target=stain.json -- --stain reinhard:target=MODELS/ensemble.json
run shifted-augment shifted-train.arrows shifted-test.arrows --stain-augment "$AUGMENT" --
run shifted-macenko+aug shifted-train.arrows shifted-test.arrows --stain macenko:target=stain.json --stain-augment "$AUGMENT" -- --stain macenko:target=MODELS/ensemble.json
