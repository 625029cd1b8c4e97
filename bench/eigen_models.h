//===- eigen_models.h - Hand-written Eigen baselines ------------*- C++ -*-===//
//
// The baselines of the model cases: a two-layer network's loss and the
// gradients of its four parameters, written by hand with Eigen (forward,
// then backward), the same network's adam training loop, and a large square
// sgemm that measures what Eigen's GEMM reaches on this machine in the same
// run. eigen_models.cpp is compiled with -O3 -march=native, like netjit's
// own GEMM (runtime/gemm.cpp).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "bench/problems.h"

#include <cstdint>
#include <functional>

namespace netjit::bench {

/// One loss + gradients step; the closure owns its preallocated temporaries.
std::function<void()> eigenTwoLayer(const TwoLayerProblem &P,
                                    const TwoLayerGrads &G);

/// The train cases' loop: per batch the same forward and backward, then
/// adam on the four parameters (bench/problems.h).
TrainLoop eigenTrainLoop(const TrainProblem &P);

/// C = A B on N x N row-major floats (the closure owns the matrices).
std::function<void()> eigenSquareGemm(int64_t N);

/// Eigen's thread count for the whole process (1 for the benchmark).
void eigenSetThreads(int N);

} // namespace netjit::bench
