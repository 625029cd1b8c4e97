#!/usr/bin/env bash
# The main job, until training lands: set-up + build, then print the example
# MLP classifier's graph and evaluate its loss with the reference
# interpreter on the inputs in examples/data/mlp_xe/ (numpy gives
# loss = 1.495828663 for them; see examples/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
data=examples/data/mlp_xe
set -x
./build/tools/netjit print examples/mlp_xe.nj
./build/tools/netjit run examples/mlp_xe.nj \
  --input x=$data/x.npy --input labels=$data/labels.npy \
  --input w1=$data/w1.npy --input b1=$data/b1.npy \
  --input w2=$data/w2.npy --input b2=$data/b2.npy
