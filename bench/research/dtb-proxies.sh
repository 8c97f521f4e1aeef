#!/usr/bin/env bash
# Proxies on the shipped DTB (BENCHMARKS.md, issue 6): training-free and three fast-training settings.
# Usage: bash bench/research/dtb-proxies.sh   (writes runs/dtb-s-*.jsonl; then bench/research/dtb-validity.ts --scores ...)
set -e
mkdir -p runs
C="npx tsnas correlate --bench-dtb results/dtb-nb201-c10-100-v1.json --data-dir ../shared/data/cifar10 --batch 128 --store runs/dtbcorr.db --json"
$C --proxies naswot,das,dis,units,active,synflow,snip,grad_norm,jacob_cov,zen,params,flops --scores-out runs/dtb-s-k0.jsonl | tail -1
for cfg in "10 0.1" "10 0.01" "3 0.1"; do set -- $cfg
  $C --proxies naswot,das,dis,units,synflow --train-steps $1 --train-lr $2 --scores-out runs/dtb-s-k$1-lr$2.jsonl | tail -1
done
