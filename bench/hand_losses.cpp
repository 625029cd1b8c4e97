//===- hand_losses.cpp - Hand-written loss + gradient loops ---------------===//
//
// Single-pass loops: each element is read once and its gradient written
// once, the loss accumulated in float on the way (GCC splits the sum over
// vector lanes under -ffast-math, as netjit's reassociating reductions do).
// The cross-entropy takes three sweeps over a row of C logits (max; exp and
// sum, stored in Dz; scale), which stay in L1, so memory sees one pass.
//
//===----------------------------------------------------------------------===//
#include "bench/hand_losses.h"

#include <algorithm>
#include <cmath>

namespace netjit::bench {

float handMse(const float *__restrict Y, const float *__restrict T,
              float *__restrict Dy, int64_t N) {
  float Sum = 0, Scale = 2.0f / static_cast<float>(N);
  for (int64_t I = 0; I < N; ++I) {
    float D = Y[I] - T[I];
    Sum += D * D;
    Dy[I] = Scale * D;
  }
  return Sum / static_cast<float>(N);
}

float handMae(const float *__restrict Y, const float *__restrict T,
              float *__restrict Dy, int64_t N) {
  float Sum = 0, Inv = 1.0f / static_cast<float>(N);
  for (int64_t I = 0; I < N; ++I) {
    float D = Y[I] - T[I];
    Sum += std::fabs(D);
    Dy[I] = D > 0 ? Inv : (D < 0 ? -Inv : 0.0f);
  }
  return Sum * Inv;
}

float handHinge(const float *__restrict Y, const float *__restrict T,
                float *__restrict Dy, int64_t N) {
  float Sum = 0, Inv = 1.0f / static_cast<float>(N);
  for (int64_t I = 0; I < N; ++I) {
    float M = 1.0f - Y[I] * T[I];
    Sum += std::max(M, 0.0f);
    Dy[I] = M > 0 ? -T[I] * Inv : 0.0f;
  }
  return Sum * Inv;
}

float handXent(const float *__restrict Z, const int64_t *__restrict Labels,
               float *__restrict Dz, int64_t B, int64_t C) {
  float Loss = 0, InvB = 1.0f / static_cast<float>(B);
  for (int64_t R = 0; R < B; ++R) {
    const float *Row = Z + R * C;
    float *Out = Dz + R * C;
    float Max = Row[0];
    for (int64_t J = 1; J < C; ++J)
      Max = std::max(Max, Row[J]);
    float Sum = 0;
    for (int64_t J = 0; J < C; ++J) {
      float E = std::exp(Row[J] - Max);
      Out[J] = E;
      Sum += E;
    }
    float Scale = InvB / Sum;
    for (int64_t J = 0; J < C; ++J)
      Out[J] *= Scale;
    int64_t L = Labels[R];
    Out[L] -= InvB;
    Loss += std::log(Sum) + Max - Row[L];
  }
  return Loss * InvB;
}

void handAddOne(const float *__restrict X, float *__restrict Y, int64_t N) {
  for (int64_t I = 0; I < N; ++I)
    Y[I] = X[I] + 1.0f;
}

} // namespace netjit::bench
