//===- recurrent_models.cpp - The recurrent models and penalties ----------===//
//
// The recurrent models are the feedforward ones with sequence data: the
// shared graph building (model_graph.cpp) declares their inputs [B, T, D],
// and the losses, written over "rows" (every axis but the last), take
// targets [B, T, K] and labels [B, T] as they are. predict_sequence is the
// classifier's sampler.
//
//===----------------------------------------------------------------------===//
#include "frontend/array.h"
#include "frontend/call_site.h"
#include "frontend/init.h"
#include "frontend/math.h"
#include "frontend/recurrent.h"

namespace netjit::recurrent {

namespace {

/// H at steps [1, T) and [0, T-1), for a sequence output H [B, T, ...].
std::pair<Expr, Expr> successive(const Expr &H) {
  if (H.rank() < 3)
    throw TypeError("needs a sequence output [B, T, units], got " +
                    H.type().str());
  return {slice(H, 1, DimSpec(1)), slice(H, 1, DimSpec(0), DimSpec(-1))};
}

/// The mean of X's elements; 0 when X has none (a single step has no
/// successive pair).
Expr meanOrZero(const Expr &X) {
  return sum(X) / maximum(num_elements(X, X.dtype()), 1.0);
}

} // namespace

Expr recurrent_state(const Expr &H, SourceLoc Loc) {
  return detail::guarded("recurrent_state", Loc, [&] {
    auto [Next, Prev] = successive(H);
    return meanOrZero(square(Next - Prev));
  });
}

Expr recurrent_norm(const Expr &H, SourceLoc Loc) {
  return detail::guarded("recurrent_norm", Loc, [&] {
    auto [Next, Prev] = successive(H);
    return meanOrZero(
        square(sum(square(Next), {-1}) - sum(square(Prev), {-1})));
  });
}

Regressor::Regressor(std::vector<LayerSpec> Layers, ModelOptions Options,
                     SourceLoc Loc)
    : netjit::Regressor(std::move(Layers), std::move(Options), Loc,
                        /*Sequences=*/true) {}

Classifier::Classifier(std::vector<LayerSpec> Layers, ModelOptions Options,
                       SourceLoc Loc)
    : netjit::Classifier(std::move(Layers), std::move(Options), Loc,
                         /*Sequences=*/true) {}

Autoencoder::Autoencoder(std::vector<LayerSpec> Layers, ModelOptions Options,
                         SourceLoc Loc)
    : netjit::Autoencoder(std::move(Layers), std::move(Options), Loc,
                          /*Sequences=*/true) {}

Tensor Classifier::predict_sequence(const std::vector<int64_t> &Labels,
                                    int64_t Steps, int64_t Streams,
                                    uint64_t Seed) const {
  int64_t Width = Layers[0]->size();
  if (Labels.empty())
    throw TypeError("predict_sequence: the seed has no labels");
  if (Steps < 0 || Streams < 1)
    throw TypeError("predict_sequence: needs Steps >= 0 and Streams >= 1, "
                    "got " +
                    std::to_string(Steps) + " and " + std::to_string(Streams));
  for (int64_t L : Labels)
    if (L < 0 || L >= Width)
      throw TypeError("predict_sequence: seed label " + std::to_string(L) +
                      " does not fit the input layer's " +
                      std::to_string(Width) + " one-hot columns");
  // Every stream's labels so far, one-hot encoded step by step.
  std::vector<std::vector<int64_t>> Drawn(Streams, Labels);
  InitStream Random(Seed, "predict_sequence");
  Tensor Out(DType::I64, {Streams, Steps});
  for (int64_t Step = 0; Step < Steps; ++Step) {
    int64_t Prefix = static_cast<int64_t>(Drawn[0].size());
    Tensor X(Options.FloatType, {Streams, Prefix, Width});
    for (int64_t S = 0; S < Streams; ++S)
      for (int64_t T = 0; T < Prefix; ++T)
        X.set((S * Prefix + T) * Width + Drawn[S][T], 1);
    Tensor P = predict_proba(X); // [Streams, Prefix, K]
    int64_t K = P.shape().back();
    for (int64_t S = 0; S < Streams; ++S) {
      int64_t Row = (S * Prefix + Prefix - 1) * K;
      double U = Random.uniform(), Acc = 0;
      int64_t Pick = K - 1;
      for (int64_t C = 0; C < K; ++C) {
        Acc += P.at(Row + C);
        if (U < Acc) {
          Pick = C;
          break;
        }
      }
      if (Pick >= Width)
        throw RuntimeError("predict_sequence: the model predicted class " +
                           std::to_string(Pick) + ", which the input's " +
                           std::to_string(Width) +
                           " one-hot columns cannot encode");
      Drawn[S].push_back(Pick);
      Out.set(S * Steps + Step, static_cast<double>(Pick));
    }
  }
  return Out;
}

} // namespace netjit::recurrent
