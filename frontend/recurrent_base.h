//===- recurrent_base.h - The common part of the recurrent forms ----------===//
//
// Internal to the frontend: the base class every recurrent form derives
// from (direction, initial states, bptt_limit, the hoisted input projection
// and the scan loop) and its helpers, shared by recurrent_layers.cpp and
// recurrent_modular.cpp (clockwork, bcrnn).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/array.h"
#include "frontend/init.h"
#include "frontend/layers.h"
#include "frontend/math.h"
#include "frontend/scan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace netjit::recurrent_detail {

inline std::string shapeText(const std::vector<int64_t> &S) {
  std::string Out = "[";
  for (size_t I = 0; I < S.size(); ++I)
    Out += (I ? "," : "") + std::to_string(S[I]);
  return Out + "]";
}

/// [B, T, ...] <-> [T, B, ...].
inline Expr swapBatchAndTime(const Expr &X) { return transpose(X, {1, 0, 2}); }

/// The columns [Block·N, (Block+1)·N) of a [B, k·N] gate matrix.
inline Expr gate(const Expr &Z, int64_t Block, int64_t N) {
  return slice(Z, -1, DimSpec(Block * N), DimSpec((Block + 1) * N));
}

/// A layer's parameters as a scan body sees them: captured constants.
class BodyParams : public LayerParams {
public:
  BodyParams(LayerContext &C, ScanBody &S) : C(C), S(S) {}
  void create(std::string_view, Tensor) override {
    NJ_CHECK(false, "create() inside a scan body");
  }
  Expr get(std::string_view Suffix) override {
    return S.capture(C.get(Suffix));
  }

private:
  LayerContext &C;
  ScanBody &S;
};

//===----------------------------------------------------------------------===//
// The common part: direction, initial states, the hoisted projection
//===----------------------------------------------------------------------===//

class RecurrentLayer : public Layer {
public:
  using Layer::Layer;

  std::map<std::string, Expr> connect(LayerContext &C) const override {
    Expr X = C.input(0);
    if (X.rank() != 3)
      throw TypeError("layer '" + Name + "' (" + form() +
                      ") reads sequences [B, T, features], got " +
                      X.type().str());
    return run(C, X);
  }

protected:
  /// The outputs (batch-major) for the input X [B, T, D].
  virtual std::map<std::string, Expr> run(LayerContext &C,
                                          const Expr &X) const = 0;
  /// The options that may name an initial state ("h_0", "c_0", ...).
  virtual std::vector<std::string> stateOptions() const { return {"h_0"}; }
  /// The input's feature count D (one step reads [B, D]).
  int64_t inputSize() const { return InputSize; }

  void resolveShape(LayerContext &C) override {
    if (!C.sequences())
      throw TypeError("layer '" + Name + "' (" + form() +
                      ") reads sequences; use it in a recurrent model "
                      "(recurrent::Regressor, recurrent::Classifier or "
                      "recurrent::Autoencoder), whose data is [B, T, "
                      "features]");
    if (!Spec.Size)
      throw TypeError("layer '" + Name + "' (" + form() + ") needs a size");
    std::vector<int64_t> In = C.inputShape(0);
    if (In.size() != 1)
      throw TypeError("layer '" + Name + "' (" + form() +
                      ") reads one feature axis per step, but its input '" +
                      Inputs.at(0) + "' has shape " + shapeText(In));
    InputSize = In[0];
    Shape = {*Spec.Size};
    std::string Direction = Spec.text("direction", "forward");
    if (Direction == "backward" || Direction == "back" ||
        Direction == "backwards")
      Reverse = true;
    else if (Direction != "forward")
      throw TypeError("layer '" + Name + "': direction '" + Direction +
                      "' is neither 'forward' nor 'backward'");
    double Limit = Spec.number("bptt_limit", -1);
    if (Limit != -1 && (Limit < 1 || Limit != std::floor(Limit)))
      throw TypeError("layer '" + Name +
                      "': bptt_limit must be a whole "
                      "number of steps >= 1, or -1 for no limit; got " +
                      std::to_string(Limit));
    BpttLimit = Limit == -1 ? 0 : static_cast<int64_t>(Limit);
    for (const std::string &Option : stateOptions()) {
      std::string Source = Spec.text(Option, "");
      if (Source.empty())
        continue;
      if (Source.find(':') == std::string::npos)
        Source += ":out";
      const Layer &From = C.layer(Source.substr(0, Source.find(':')));
      std::string Suffix = Source.substr(Source.find(':') + 1);
      std::vector<std::string> Outs = From.outputs();
      if (std::find(Outs.begin(), Outs.end(), Suffix) == Outs.end())
        throw TypeError("layer '" + Name + "': " + Option + " names '" +
                        Source + "', which layer '" + From.name() +
                        "' does not give");
      if (From.size() != size())
        throw TypeError("layer '" + Name + "': " + Option + " '" + Source +
                        "' has size " + std::to_string(From.size()) +
                        ", the layer " + std::to_string(size()));
      States[Option] = Source;
    }
  }

  /// The initial value of a carry: zeros [B, n], or the output the option
  /// names ([B, n] as it is; [B, T, n] at its last step, t = T-1, the state
  /// a forward layer ends in).
  Expr initial(LayerContext &C, const Expr &X,
               const std::string &Option) const {
    auto It = States.find(Option);
    if (It == States.end()) {
      Expr Zero(X.graphPtr(), X.graph().scalar(0, X.dtype()));
      return broadcast_to(Zero, {X.dim(0), size()});
    }
    Expr H = C.output(It->second);
    if (H.rank() == 3)
      H = reshape(slice(H, 1, DimSpec(-1)), {H.dim(0), H.dim(2)});
    if (H.rank() != 2 || H.dim(0) != X.dim(0) || H.dim(1) != Dim(size()))
      throw TypeError("layer '" + Name + "': " + Option + " '" + It->second +
                      "' is " + H.type().str() + ", not [B, " +
                      std::to_string(size()) + "] or [B, T, " +
                      std::to_string(size()) + "]");
    return H;
  }

  /// x_t·W (+ b) for every step at once, time-major [T, B, cols]: the input
  /// is transposed (D wide) and multiplied as one [(T·B), D] GEMM.
  Expr project(LayerContext &C, const Expr &X, const std::string &W,
               const std::string &Bias = "") const {
    Expr P = matmul(swapBatchAndTime(X), C.get(W));
    return Bias.empty() ? P : P + C.get(Bias);
  }

  /// Runs Step over the time-major sequences, in this layer's direction.
  std::vector<Expr> loop(const ScanStep &Step, const std::vector<Expr> &Carries,
                         const std::vector<Expr> &Sequences) const {
    ScanOptions O;
    O.Reverse = Reverse;
    O.BpttLimit = BpttLimit;
    return scan(Step, Carries, Sequences, {}, O);
  }

  /// The outputs() in order, made batch-major, from the stacked outputs
  /// that follow loop()'s Carries final carries in R.
  std::map<std::string, Expr> stepOutputs(const std::vector<Expr> &R,
                                          size_t Carries) const {
    std::vector<std::string> Names = outputs();
    NJ_CHECK(R.size() == Carries + Names.size(),
             "layer '" << Name << "': " << R.size() - Carries
                       << " stacked outputs for " << Names.size() << " names");
    std::map<std::string, Expr> Out;
    for (size_t I = 0; I < Names.size(); ++I)
      Out.emplace(Names[I], swapBatchAndTime(R[Carries + I]));
    return Out;
  }

  /// Creates the [Rows, Cols] weight parameter "<layer>.<Param>".
  void addWeights(LayerContext &C, const char *Param, int64_t Rows,
                  int64_t Cols) {
    addParam(C, Param,
             initRecurrentWeights(Spec, Param, Rows, Cols, size(), C.stream(),
                                  C.floatType()));
  }
  /// Creates the [Size] bias parameter "<layer>.<Param>".
  void addBias(LayerContext &C, const char *Param, int64_t Size,
               double Mean = 0) {
    addParam(C, Param,
             initBias(Spec, Param, Size, C.stream(), C.floatType(), Mean));
  }
  /// rnn's parameters: xh [D, n], hh [n, n] and b [n].
  void addRnnParams(LayerContext &C) {
    addWeights(C, "xh", inputSize(), size());
    addWeights(C, "hh", size(), size());
    addBias(C, "b", size());
  }

  bool Reverse = false;
  int64_t BpttLimit = 0; // 0: back-propagate through every step
  int64_t InputSize = 0;
  std::map<std::string, std::string> States; // option -> output name
};

/// The clockwork or bcrnn layer (recurrent_modular.cpp).
std::unique_ptr<Layer> makeModularLayer(const std::string &Form,
                                        const LayerSpec &Spec, std::string Name,
                                        std::vector<std::string> Inputs);

} // namespace netjit::recurrent_detail
