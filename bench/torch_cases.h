//===- torch_cases.h - libtorch eager implementations -----------*- C++ -*-===//
//
// The libtorch side of the cases, compiled only when CMake finds libtorch
// (NETJIT_BENCH_TORCH): eager forward, then torch::autograd::grad for the
// gradients, with libtorch's default allocator and one intra-op thread, and
// the train case's loop (nn::Linear, optim::Adam). The header does not
// include libtorch's (slow to compile) headers; only torch_cases.cpp does.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "bench/problems.h"

#include <functional>
#include <string>

namespace netjit::bench {

/// Run computes the loss and gradients (results stay in libtorch tensors);
/// Fetch copies the last ones into the arrays given at construction.
struct TorchImpl {
  std::function<void()> Run, Fetch;
};

/// One intra-op thread; returns "libtorch <version>".
std::string torchInit();

TorchImpl torchLoss(const LossProblem &P, float *Loss, float *Grad);
TorchImpl torchTwoLayer(const TwoLayerProblem &P, const TwoLayerGrads &G);

/// The train cases' loop with torch::nn::Linear and torch::optim::Adam.
TrainLoop torchTrainLoop(const TrainProblem &P);

} // namespace netjit::bench
