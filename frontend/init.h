//===- init.h - Parameter initialisation as theanets does it --------------===//
//
// Weights are drawn as theanets draws them: W = mean + std * N(0, 1) with
// std = 1/sqrt(n_in + n_out) by default, then optionally sparsified (a
// Bernoulli(1 - sparsity) mask that keeps the leading diagonal), rescaled to
// a spectral radius, or replaced by diagonal * I. Biases are zero unless the
// layer's std_b/mean_b options say otherwise (theanets draws them with std
// 1; netjit's default is zero, see theanets.md's decisions).
//
// Draws come from Philox-4x32-10 (runtime/philox.h) under a key derived
// from the model seed and the layer's name: one stream per layer, the same
// numbers on every platform, and same-shaped layers start different.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/layer_spec.h"
#include "ir/dtype.h"
#include "runtime/tensor.h"

#include <cstdint>
#include <string>

namespace netjit {

/// FNV-1a of Text, its offset basis xored with Seed: the name hash behind
/// the random keys (InitStream, the model's noise sites, esgd's probes).
uint64_t fnv1a(std::string_view Text, uint64_t Seed = 0);

/// One layer's random stream.
class InitStream {
public:
  InitStream(uint64_t ModelSeed, std::string_view LayerName);
  /// The next standard normal, or uniform [0, 1), draw.
  double normal();
  double uniform();

private:
  int64_t Key;
  uint64_t Counter = 0;
};

/// A Rows x Cols weight matrix for the parameter Param ("w", "hh", ...),
/// read from Spec's options std/mean/sparsity/diagonal/radius (each
/// overridable as option_<Param>).
Tensor initWeights(const LayerSpec &Spec, std::string_view Param, int64_t Rows,
                   int64_t Cols, InitStream &S, DType T);

/// A recurrent layer's weights for Units units, as theanets draws them:
/// when Rows == Units and Cols is a multiple of it (the recurrent matrices,
/// and the input matrix when the input has Units features), Cols/Rows
/// square blocks drawn one after another, each sparsified, rescaled to the
/// radius or made diagonal on its own, with the default std
/// 1/sqrt(Rows + Cols) of the whole matrix; otherwise as initWeights.
Tensor initRecurrentWeights(const LayerSpec &Spec, std::string_view Param,
                            int64_t Rows, int64_t Cols, int64_t Units,
                            InitStream &S, DType T);

/// A bias vector: mean_<Param> + std_<Param> * N(0,1); the std defaults to
/// 0 and the mean to DefaultMean (2 for an LSTM's biases, else 0).
Tensor initBias(const LayerSpec &Spec, std::string_view Param, int64_t Size,
                InitStream &S, DType T, double DefaultMean = 0);

/// A tensor of Shape filled by Draw() in C order.
template <class F>
Tensor fillTensor(std::vector<int64_t> Shape, DType T, F &&Draw) {
  Tensor Out(T, std::move(Shape));
  for (int64_t I = 0; I < Out.numel(); ++I)
    Out.set(I, Draw());
  return Out;
}

} // namespace netjit
