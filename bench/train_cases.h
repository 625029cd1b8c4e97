//===- train_cases.h - Training a classifier on Fashion-MNIST ---*- C++ -*-===//
//
// The train group of netjit-bench: the classifier `netjit train --model
// classifier --layers 784,256,10 --data fashion-mnist` builds, trained with
// the same settings (adam at 5e-4 with netjit's betas, batches of 64) by
// netjit's Trainer, by a hand-written Eigen loop and by libtorch when built
// with it. The group takes under a minute (15 s without libtorch, whose
// epoch on Debian's reference BLAS dominates), so it runs only when asked
// for by --filter (bench/README.md).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "bench/harness.h"

#include <vector>

namespace netjit::bench {

/// The group's case name.
inline constexpr const char *kTrainCase = "train/fashion-mnist";

/// Trains the three sides interleaved, an epoch each per round, and returns
/// a row per side (seconds per epoch, test accuracy in the extras). Returns
/// no rows, having said why on stderr, when Fashion-MNIST is not installed.
std::vector<Row> trainFashionMnist();

} // namespace netjit::bench
