#!/usr/bin/env bash
# The main job: set-up + build (scripts/setup.sh), then train a Fashion-MNIST
# classifier (784 -> 256 relu -> 10 softmax) with the `netjit train`
# defaults, showing progress, and report its test accuracy. Writes into
# out/: the model (fashion.njm), the monitors per epoch (training.csv), the
# training curves (training.svg) and the IR of every stage (ir/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
set -x
./build/tools/netjit train --model classifier --layers 784,256,10 \
  --data fashion-mnist --save out/fashion.njm --log out/training.csv \
  --plot out/training.svg --ir-dir out/ir
