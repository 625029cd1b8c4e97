//===- recurrent_layers.cpp - The recurrent layer forms -------------------===//
//
// rnn, lstm, gru, mrnn, scrn and bidirectional here; clockwork and bcrnn in
// recurrent_modular.cpp, on the common base of recurrent_base.h.
//
// Every recurrent form reads batch-major sequences [B, T, D] and gives
// batch-major outputs [B, T, n]. Inside, the input is made time-major once
// (the IR's scan steps along axis 0), and every term that does not depend
// on the recurrence is computed for all steps before the loop: the input
// projection x_t·W + b is one [(T·B), D] x [D, k·n] GEMM, not T small ones.
// The loop body (a scan) then holds only the recurrent matmuls and the
// elementwise gate arithmetic; the parameters and activation parameters it
// reads enter it as scan constants (BodyParams). Stacked step outputs come
// back in forward time order for either direction, and are transposed back
// to batch-major.
//
//===----------------------------------------------------------------------===//
#include "frontend/recurrent_layers.h"
#include "frontend/recurrent_base.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace netjit {

namespace {

using namespace recurrent_detail;

//===----------------------------------------------------------------------===//
// rnn: pre_t = x_t W_xh + b + h_{t-1} W_hh; h_t = act(pre_t)
//===----------------------------------------------------------------------===//

class Rnn : public RecurrentLayer {
public:
  using RecurrentLayer::RecurrentLayer;
  std::string form() const override { return "rnn"; }
  std::vector<std::string> outputs() const override { return {"pre", "out"}; }

protected:
  void createParams(LayerContext &C) override { addRnnParams(C); }
  std::map<std::string, Expr> run(LayerContext &C,
                                  const Expr &X) const override {
    std::vector<Expr> R = loop(
        [&](ScanBody &S) {
          BodyParams P(C, S);
          Expr Pre = S.element(0) + matmul(S.carry(0), P.get("hh"));
          Expr H = Act->apply(Pre, P);
          return std::vector<Expr>{H, Pre, H};
        },
        {initial(C, X, "h_0")}, {project(C, X, "xh", "b")});
    return stepOutputs(R, 1);
  }
};

//===----------------------------------------------------------------------===//
// lstm: z = x_t W_xh + b + h_{t-1} W_hh split [i | f | c | o]; peepholes
//===----------------------------------------------------------------------===//

class Lstm : public RecurrentLayer {
public:
  using RecurrentLayer::RecurrentLayer;
  std::string form() const override { return "lstm"; }
  std::vector<std::string> outputs() const override { return {"out", "cell"}; }

protected:
  std::vector<std::string> stateOptions() const override {
    return {"h_0", "c_0"};
  }
  void createParams(LayerContext &C) override {
    int64_t N = size();
    addWeights(C, "xh", inputSize(), 4 * N);
    addWeights(C, "hh", N, 4 * N);
    // theanets starts every gate's bias at 2 (mean_b overrides it).
    addBias(C, "b", 4 * N, /*Mean=*/2);
    addBias(C, "ci", N);
    addBias(C, "cf", N);
    addBias(C, "co", N);
  }
  std::map<std::string, Expr> run(LayerContext &C,
                                  const Expr &X) const override {
    int64_t N = size();
    std::vector<Expr> R = loop(
        [&](ScanBody &S) {
          BodyParams P(C, S);
          Expr H = S.carry(0), Cell = S.carry(1);
          Expr Z = S.element(0) + matmul(H, P.get("hh"));
          Expr I = sigmoid(gate(Z, 0, N) + Cell * P.get("ci"));
          Expr F = sigmoid(gate(Z, 1, N) + Cell * P.get("cf"));
          Expr NewCell = F * Cell + I * tanh(gate(Z, 2, N));
          Expr O = sigmoid(gate(Z, 3, N) + NewCell * P.get("co"));
          Expr NewH = O * tanh(NewCell);
          return std::vector<Expr>{NewH, NewCell, NewH, NewCell};
        },
        {initial(C, X, "h_0"), initial(C, X, "c_0")},
        {project(C, X, "xh", "b")});
    return stepOutputs(R, 2);
  }
};

//===----------------------------------------------------------------------===//
// gru: [a | ρ | ζ] = x_t W + b; r, z gates; h_t = (1-z) h_{t-1} + z act(pre)
//===----------------------------------------------------------------------===//

class Gru : public RecurrentLayer {
public:
  using RecurrentLayer::RecurrentLayer;
  std::string form() const override { return "gru"; }
  std::vector<std::string> outputs() const override {
    return {"pre", "hid", "rate", "out"};
  }

protected:
  void createParams(LayerContext &C) override {
    int64_t N = size();
    addWeights(C, "hh", N, N);
    addWeights(C, "hr", N, N);
    addWeights(C, "hz", N, N);
    addWeights(C, "w", inputSize(), 3 * N);
    addBias(C, "b", 3 * N);
  }
  std::map<std::string, Expr> run(LayerContext &C,
                                  const Expr &X) const override {
    int64_t N = size();
    std::vector<Expr> R = loop(
        [&](ScanBody &S) {
          BodyParams P(C, S);
          Expr H = S.carry(0), In = S.element(0);
          Expr Reset = sigmoid(gate(In, 1, N) + matmul(H, P.get("hr")));
          Expr Rate = sigmoid(gate(In, 2, N) + matmul(H, P.get("hz")));
          Expr Pre = gate(In, 0, N) + matmul(Reset * H, P.get("hh"));
          Expr Hid = Act->apply(Pre, P);
          Expr NewH = (1.0 - Rate) * H + Rate * Hid;
          return std::vector<Expr>{NewH, Pre, Hid, Rate, NewH};
        },
        {initial(C, X, "h_0")}, {project(C, X, "w", "b")});
    return stepOutputs(R, 1);
  }
};

//===----------------------------------------------------------------------===//
// mrnn: pre_t = x_t W_xh + b + ((h_{t-1} W_hf) ⊙ (x_t W_xf)) W_fh
//===----------------------------------------------------------------------===//

class Mrnn : public RecurrentLayer {
public:
  using RecurrentLayer::RecurrentLayer;
  std::string form() const override { return "mrnn"; }
  std::vector<std::string> outputs() const override {
    return {"pre", "factors", "out"};
  }

protected:
  void resolveShape(LayerContext &C) override {
    RecurrentLayer::resolveShape(C);
    double F = Spec.number("factors",
                           std::ceil(std::sqrt(static_cast<double>(size()))));
    if (F < 1 || F != std::floor(F))
      throw TypeError("layer '" + Name +
                      "': 'factors' must be a positive "
                      "integer, got " +
                      std::to_string(F));
    Factors = static_cast<int64_t>(F);
  }
  void createParams(LayerContext &C) override {
    addWeights(C, "xh", inputSize(), size());
    addWeights(C, "xf", inputSize(), Factors);
    addWeights(C, "hf", size(), Factors);
    addWeights(C, "fh", Factors, size());
    addBias(C, "b", size());
  }
  std::map<std::string, Expr> run(LayerContext &C,
                                  const Expr &X) const override {
    Expr Fs = project(C, X, "xf");
    std::vector<Expr> R = loop(
        [&](ScanBody &S) {
          BodyParams P(C, S);
          Expr Mixed = matmul(S.carry(0), P.get("hf")) * S.element(1);
          Expr Pre = S.element(0) + matmul(Mixed, P.get("fh"));
          Expr H = Act->apply(Pre, P);
          return std::vector<Expr>{H, Pre, H};
        },
        {initial(C, X, "h_0")}, {project(C, X, "xh", "b"), Fs});
    return {{"pre", swapBatchAndTime(R[1])},
            {"factors", swapBatchAndTime(Fs)},
            {"out", swapBatchAndTime(R[2])}};
  }

private:
  int64_t Factors = 0;
};

//===----------------------------------------------------------------------===//
// scrn: a slow context state s beside a fast hidden state h
//===----------------------------------------------------------------------===//

class Scrn : public RecurrentLayer {
public:
  using RecurrentLayer::RecurrentLayer;
  std::string form() const override { return "scrn"; }
  std::vector<std::string> outputs() const override {
    return {"rate", "state", "hid", "out"};
  }

protected:
  std::vector<std::string> stateOptions() const override {
    return {"h_0", "s_0"};
  }
  void resolveShape(LayerContext &C) override {
    RecurrentLayer::resolveShape(C);
    std::string Rate = Spec.text("rate", "vector");
    if (Rate != "vector")
      throw TypeError("layer '" + Name + "' (scrn): rate '" + Rate +
                      "' is not supported (only 'vector', a learned rate "
                      "per unit)");
  }
  void createParams(LayerContext &C) override {
    int64_t N = size();
    addWeights(C, "w", inputSize(), 2 * N);
    addWeights(C, "sh", N, N);
    addWeights(C, "hh", N, N);
    addWeights(C, "ho", N, N);
    addWeights(C, "so", N, N);
    addBias(C, "b", N);
    addBias(C, "r", N);
  }
  std::map<std::string, Expr> run(LayerContext &C,
                                  const Expr &X) const override {
    int64_t N = size();
    Expr Rho = sigmoid(C.get("r"));
    std::vector<Expr> R = loop(
        [&](ScanBody &S) {
          BodyParams P(C, S);
          Expr H = S.carry(0), State = S.carry(1), In = S.element(0);
          Expr Keep = S.capture(Rho);
          Expr NewState = (1.0 - Keep) * State + Keep * gate(In, 1, N);
          Expr Pre = gate(In, 0, N) + matmul(H, P.get("hh")) +
                     matmul(NewState, P.get("sh"));
          Expr NewH = Act->apply(Pre, P);
          return std::vector<Expr>{NewH, NewState, NewState, NewH};
        },
        {initial(C, X, "h_0"), initial(C, X, "s_0")}, {project(C, X, "w")});
    Expr State = swapBatchAndTime(R[2]), Hid = swapBatchAndTime(R[3]);
    // The output reads no recurrence: two GEMMs over every step at once.
    Expr Out =
        matmul(Hid, C.get("ho")) + matmul(State, C.get("so")) + C.get("b");
    return {{"rate", Rho}, {"state", State}, {"hid", Hid}, {"out", Out}};
  }
};

//===----------------------------------------------------------------------===//
// bidirectional: a forward and a backward worker, concatenated
//===----------------------------------------------------------------------===//

/// A worker's view of its bidirectional layer's context: its parameters
/// are "<layer>.<prefix><param>".
class PrefixedContext : public LayerContext {
public:
  PrefixedContext(LayerContext &C, std::string Prefix)
      : C(C), Prefix(std::move(Prefix)) {}
  std::vector<int64_t> inputShape(size_t I) const override {
    return C.inputShape(I);
  }
  InitStream &stream() override { return C.stream(); }
  DType floatType() const override { return C.floatType(); }
  const Layer &layer(std::string_view Name) const override {
    return C.layer(Name);
  }
  std::vector<const Layer *> earlierLayers() const override {
    return C.earlierLayers();
  }
  Expr input(size_t I) override { return C.input(I); }
  Expr dataInput(std::string_view Name,
                 const std::vector<int64_t> &Dims) override {
    return C.dataInput(Name, Dims);
  }
  Expr param(std::string_view FullName) override { return C.param(FullName); }
  bool sequences() const override { return C.sequences(); }
  Expr output(std::string_view FullName) override { return C.output(FullName); }
  void create(std::string_view Suffix, Tensor Initial) override {
    C.create(Prefix + std::string(Suffix), std::move(Initial));
  }
  Expr get(std::string_view Suffix) override {
    return C.get(Prefix + std::string(Suffix));
  }

private:
  LayerContext &C;
  std::string Prefix;
};

class Bidirectional : public Layer {
public:
  Bidirectional(LayerSpec Spec, std::string Name,
                std::vector<std::string> Inputs, std::string DefaultActivation)
      : Layer(std::move(Spec), std::move(Name), std::move(Inputs)),
        DefaultActivation(std::move(DefaultActivation)) {}
  std::string form() const override { return "bidirectional"; }
  std::vector<std::string> outputs() const override {
    std::vector<std::string> Out = {"out"};
    if (!Workers[0])
      return Out;
    std::vector<std::string> W = Workers[0]->outputs();
    for (const char *Shared : {"pre", "cell"})
      if (std::find(W.begin(), W.end(), Shared) != W.end())
        Out.push_back(Shared);
    for (const char *Side : {"fw_", "bw_"})
      for (const std::string &O : W)
        Out.push_back(Side + O);
    return Out;
  }
  std::map<std::string, Expr> connect(LayerContext &C) const override {
    std::map<std::string, Expr> Halves[2];
    for (int I = 0; I < 2; ++I) {
      PrefixedContext P(C, kSides[I]);
      Halves[I] = Workers[I]->connect(P);
    }
    std::map<std::string, Expr> Out;
    for (const std::string &O : outputs())
      if (Halves[0].count(O))
        Out[O] = concatenate({Halves[0].at(O), Halves[1].at(O)}, -1);
    for (int I = 0; I < 2; ++I)
      for (const auto &[K, V] : Halves[I])
        Out[kSides[I] + K] = V;
    return Out;
  }

protected:
  void resolveShape(LayerContext &C) override {
    if (!Spec.Size)
      throw TypeError("layer '" + Name + "' (bidirectional) needs a size");
    if (*Spec.Size % 2 != 0)
      throw TypeError("layer '" + Name + "' (bidirectional) has size " +
                      std::to_string(*Spec.Size) +
                      "; it must be even (each "
                      "direction gets half)");
    if (Spec.has("direction"))
      throw TypeError("layer '" + Name +
                      "' (bidirectional) runs one worker "
                      "each way; it takes no 'direction'");
    std::string Worker = Spec.text("worker", "rnn");
    std::transform(Worker.begin(), Worker.end(), Worker.begin(),
                   [](unsigned char Ch) { return std::tolower(Ch); });
    if (!isRecurrentForm(Worker) || Worker == "bidirectional")
      throw TypeError("layer '" + Name + "' (bidirectional): worker '" +
                      Worker +
                      "' is not one of rnn, lstm, gru, mrnn, scrn, "
                      "clockwork, bcrnn");
    for (int I = 0; I < 2; ++I) {
      LayerSpec W = Spec;
      W.Form = Worker;
      W.Size = *Spec.Size / 2;
      W.Options.erase("worker");
      W.Options["direction"] = std::string(I == 0 ? "forward" : "backward");
      std::unique_ptr<Layer> L = makeLayer(W, Name, Inputs, DefaultActivation);
      Workers[I].reset(static_cast<RecurrentLayer *>(L.release()));
    }
    // The workers read (and check) every other option.
    for (const auto &[Key, V] : Spec.Options)
      (void)Spec.has(Key);
    Shape = {*Spec.Size};
    (void)C;
  }
  void createParams(LayerContext &C) override {
    for (int I = 0; I < 2; ++I) {
      PrefixedContext P(C, kSides[I]);
      Workers[I]->setup(P);
      for (const std::string &Full : Workers[I]->params())
        Params.push_back(Name + "." + kSides[I] + Full.substr(Name.size() + 1));
    }
  }

private:
  static constexpr const char *kSides[2] = {"fw_", "bw_"};
  std::string DefaultActivation;
  std::unique_ptr<RecurrentLayer> Workers[2];
};

} // namespace

bool isRecurrentForm(std::string_view Form) {
  for (const char *F : {"rnn", "lstm", "gru", "mrnn", "scrn", "clockwork",
                        "bcrnn", "bidirectional"})
    if (Form == F)
      return true;
  return false;
}

std::unique_ptr<Layer>
makeRecurrentLayer(const std::string &Form, const LayerSpec &Spec,
                   std::string Name, std::vector<std::string> Inputs,
                   const std::string &DefaultActivation) {
  if (Form == "rnn")
    return std::make_unique<Rnn>(Spec, std::move(Name), std::move(Inputs));
  if (Form == "lstm")
    return std::make_unique<Lstm>(Spec, std::move(Name), std::move(Inputs));
  if (Form == "gru")
    return std::make_unique<Gru>(Spec, std::move(Name), std::move(Inputs));
  if (Form == "mrnn")
    return std::make_unique<Mrnn>(Spec, std::move(Name), std::move(Inputs));
  if (Form == "scrn")
    return std::make_unique<Scrn>(Spec, std::move(Name), std::move(Inputs));
  if (Form == "clockwork" || Form == "bcrnn")
    return makeModularLayer(Form, Spec, std::move(Name), std::move(Inputs));
  NJ_CHECK(Form == "bidirectional", "not a recurrent form: " << Form);
  return std::make_unique<Bidirectional>(Spec, std::move(Name),
                                         std::move(Inputs), DefaultActivation);
}

} // namespace netjit
