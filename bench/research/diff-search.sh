#!/usr/bin/env bash
# Differentiable search benchmark (issue 4): NB201, CIFAR-10, cpu-small preset, 5 seeds per strategy.
# Each run writes runs/diff/<strategy>-s<seed>/search.json (history with per-epoch α, genotype,
# table accuracies, collapse counts) and prints one JSON line; summarise with
#   jq -s 'group_by(.strategy)[] | {s: .[0].strategy, acc: [.[].bench.cifar10_test_acc], wall: [.[].wall_s]}' runs/diff/results.jsonl
# Usage: bench/research/diff-search.sh [strategies] [seeds] [backend]   (defaults: darts,darts2,single-darts,pc-darts "0 1 2 3 4" wasm)
# Extra search flags through EXTRA, with TAG naming the output folder runs/diff-TAG, e.g.
#   TAG=c16 EXTRA="--channels 16" bench/research/diff-search.sh single-darts "0 1 2 3 4" native
# ≈ 1 min per run on the native backend (10–15 min on wasm). Runs resume (--resume) if killed.
set -euo pipefail
STRATS=${1:-darts,darts2,single-darts,pc-darts}
SEEDS=${2:-"0 1 2 3 4"}
BACKEND=${3:-wasm}
DATA=${TSNAS_CIFAR10_DIR:-../shared/data/cifar10}
DIR=runs/diff${TAG:+-$TAG}
mkdir -p "$DIR"
for s in ${STRATS//,/ }; do
  for seed in $SEEDS; do
    out=$DIR/$s-s$seed
    nice -n 10 npx tsx src/cli/main.ts search --space nb201 --strategy "$s" --dataset cifar10 --data-dir "$DATA" \
      --preset cpu-small --backend "$BACKEND" --seed "$seed" --out "$out" --plot "$out/alpha.svg" --resume --json ${EXTRA:-} \
      | tail -1 | tee -a "$DIR/results.jsonl"
  done
done
