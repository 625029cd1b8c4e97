//===- hand_losses.h - Hand-written loss + gradient loops -------*- C++ -*-===//
//
// The baselines of the loss cases: what a careful programmer writes by hand
// for a loss and its gradient with respect to the prediction, one pass over
// the data (per row for the cross-entropy). hand_losses.cpp is compiled with
// -O3 -march=native -ffast-math so that GCC vectorizes the reductions and
// std::exp (through glibc's libmvec).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

namespace netjit::bench {

/// mean((y - t)^2); Dy = 2 (y - t) / N.
float handMse(const float *Y, const float *T, float *Dy, int64_t N);
/// mean(|y - t|); Dy = sign(y - t) / N.
float handMae(const float *Y, const float *T, float *Dy, int64_t N);
/// mean(relu(1 - y t)); Dy = -t / N where 1 - y t > 0, else 0.
float handHinge(const float *Y, const float *T, float *Dy, int64_t N);
/// mean over the B rows of logsumexp(z) - z[label]; Dz = (softmax(z) -
/// one_hot(label)) / B. Rows of C logits.
float handXent(const float *Z, const int64_t *Labels, float *Dz, int64_t B,
               int64_t C);
/// y = x + 1 on N elements (the per-call overhead case).
void handAddOne(const float *X, float *Y, int64_t N);

} // namespace netjit::bench
