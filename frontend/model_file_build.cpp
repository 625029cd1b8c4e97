//===- model_file_build.cpp - Rebuilding a Network from a model file ------===//
//
// The parsed description becomes LayerSpecs with explicit names and inputs,
// ModelOptions and LossSpecs, and the Network is built by the public
// constructor of its kind, exactly as the saved one was; then the
// parameters the constructor drew are replaced by the file's, after their
// names, order, dtypes and shapes are checked to be the same.
//
// Building draws every parameter before the file's values can be compared,
// so a file that lies about its sizes could make the constructor allocate
// far more than the file holds. A cheap upper bound on what the layers will
// create (their shapes follow from the specs alone) is checked first: no
// layer may have more than 2^40 values per example, and the bound may not
// exceed twice what the file stores (plus a little), so a corrupt or
// crafted file fails before any large allocation. A bound that is loose for
// a future layer form only weakens this guard; it never rejects a file the
// constructor would build with exactly the stored parameters.
//
//===----------------------------------------------------------------------===//
#include "frontend/call_site.h"
#include "frontend/model_file_impl.h"
#include "frontend/recurrent.h"
#include "frontend/recurrent_layers.h"

#include "ir/error.h"

#include <cmath>
#include <cstring>

namespace netjit::detail {
namespace {

[[noreturn]] void fail(std::string_view Source, const std::string &Problem) {
  throw RuntimeError(std::string(Source) + ": " + Problem);
}

std::string lower(std::string S) {
  std::transform(S.begin(), S.end(), S.begin(),
                 [](unsigned char C) { return std::tolower(C); });
  return S;
}

uint64_t satAdd(uint64_t A, uint64_t B) {
  return A > UINT64_MAX - B ? UINT64_MAX : A + B;
}
uint64_t satMul(uint64_t A, uint64_t B) {
  return B && A > UINT64_MAX / B ? UINT64_MAX : A * B;
}
uint64_t product(const std::vector<uint64_t> &Shape) {
  uint64_t N = 1;
  for (uint64_t D : Shape)
    N = satMul(N, D);
  return N;
}

/// Values an activation creates for a layer of Size units (frontend/
/// activations.cpp: prelu's leak, lgrelu's gain and leak, elu's gain,
/// maxout's slope and intercept).
uint64_t activationParams(const std::string &Name, uint64_t Size) {
  uint64_t N = 0;
  size_t Start = 0;
  while (Start <= Name.size()) {
    size_t Plus = std::min(Name.find('+', Start), Name.size());
    std::string Part = lower(Name.substr(Start, Plus - Start));
    Start = Plus + 1;
    if (Part == "prelu" || Part == "leaky-relu" || Part == "elu")
      N = satAdd(N, Size);
    else if (Part == "lgrelu" || Part == "leaky-gain-relu")
      N = satAdd(N, satMul(2, Size));
    else if (Part.rfind("maxout:", 0) == 0 && Part.size() > 7 &&
             Part.size() <= 13 &&
             Part.find_first_not_of("0123456789", 7) == std::string::npos)
      N = satAdd(N, satMul(satMul(2, Size), std::stoull(Part.substr(7))));
  }
  return N;
}

/// Values a recurrent layer of Form (not bidirectional) with In inputs and
/// N units creates (recurrent_layers.cpp); 0 when the constructor will
/// refuse the options.
uint64_t
recurrentParams(const std::string &Form, uint64_t In, uint64_t N,
                const std::map<std::string, LayerSpec::Value> &Options) {
  auto Mul = [](std::initializer_list<uint64_t> Xs) {
    uint64_t P = 1;
    for (uint64_t X : Xs)
      P = satMul(P, X);
    return P;
  };
  auto Sum = [](std::initializer_list<uint64_t> Xs) {
    uint64_t S = 0;
    for (uint64_t X : Xs)
      S = satAdd(S, X);
    return S;
  };
  if (Form == "rnn" || Form == "clockwork" || Form == "bcrnn")
    return Sum({Mul({In, N}), Mul({N, N}), N});
  if (Form == "lstm")
    return Sum({Mul({In, 4, N}), Mul({N, 4, N}), Mul({7, N})});
  if (Form == "gru")
    return Sum({Mul({3, N, N}), Mul({In, 3, N}), Mul({3, N})});
  if (Form == "scrn")
    return Sum({Mul({In, 2, N}), Mul({4, N, N}), Mul({2, N})});
  if (Form == "mrnn") {
    double F = std::ceil(std::sqrt(static_cast<double>(N)));
    if (auto It = Options.find("factors"); It != Options.end()) {
      const double *V = std::get_if<double>(&It->second);
      if (!V || !(*V >= 1))
        return 0;
      F = *V;
    }
    uint64_t Factors =
        F < 0x1p62 ? static_cast<uint64_t>(F) : uint64_t(1) << 62;
    return Sum({Mul({In, N}), Mul({In, Factors}), Mul({2, N, Factors}), N});
  }
  return 0;
}

/// Fails when building D's layers could create far more parameter values
/// than the file stores (Stored), or a layer shape is absurdly large. It
/// follows the constructor's rules (model.cpp, layers.cpp) for names,
/// inputs and shapes; where it stops early, the constructor is certain to
/// throw at that layer before it draws anything.
void checkPlausible(const ModelDescription &D, uint64_t Stored,
                    std::string_view Source) {
  constexpr uint64_t kMaxLayerValues = uint64_t(1) << 40;
  std::map<std::string, std::vector<uint64_t>, std::less<>> Shapes;
  std::string Previous;
  uint64_t MaxLast = 0, Params = 0;
  for (size_t I = 0; I < D.Layers.size(); ++I) {
    const LayerRecord &L = D.Layers[I];
    std::string Name = !L.Name.empty()             ? L.Name
                       : I == 0                    ? "in"
                       : I + 1 == D.Layers.size() ? "out"
                                                   : "hid" + std::to_string(I);
    std::string Form = lower(L.Form.empty() ? (I ? "feedforward" : "input")
                                            : L.Form);
    std::vector<const std::vector<uint64_t> *> Ins;
    std::vector<std::string> Names = L.Inputs;
    if (Names.empty() && I > 0)
      Names.push_back(Previous);
    if (Names.empty() && Form != "input")
      return; // a first layer that is not an input: the constructor says so
    for (const std::string &In : Names) {
      auto It = Shapes.find(std::string_view(In).substr(0, In.find(':')));
      if (It == Shapes.end())
        return; // not an earlier layer's output: the constructor says so
      Ins.push_back(&It->second);
    }
    // A "shape" option of integers, each checked positive; nullopt when
    // there is none (or it is not a list, which the layer reports).
    auto ShapeOption = [&]() -> std::optional<std::vector<uint64_t>> {
      auto It = L.Options.find("shape");
      if (It == L.Options.end())
        return std::nullopt;
      const auto *Ints = std::get_if<std::vector<int64_t>>(&It->second);
      if (!Ints || Ints->empty())
        return std::nullopt;
      std::vector<uint64_t> Out;
      for (int64_t V : *Ints) {
        if (V < 1)
          fail(Source, "layer '" + Name + "': its shape option has dim " +
                           std::to_string(V) + "; dims must be positive");
        Out.push_back(static_cast<uint64_t>(V));
      }
      return Out;
    };
    uint64_t Size = L.Size && *L.Size > 0 ? static_cast<uint64_t>(*L.Size) : 0;
    std::vector<uint64_t> Shape;
    if (Form == "input") {
      if (auto S = ShapeOption())
        Shape = *S;
      else if (Size)
        Shape = {Size};
    } else if (L.Size && *L.Size < 1) {
      return; // every other form checks its size before drawing
    } else if (Form == "feedforward" || Form == "ff" ||
               Form == "classifier" || Form == "softmax") {
      if (!Size)
        return;
      Shape = *Ins[0];
      Shape.back() = Size;
      for (const auto *In : Ins)
        Params = satAdd(Params, satMul(In->back(), Size));
      Params = satAdd(Params, Size);
    } else if (Form == "tied") {
      Shape = *Ins[0];
      Shape.back() = MaxLast; // the partner's input size is no larger
      Params = satAdd(Params, MaxLast);
    } else if (Form == "concatenate" || Form == "concat") {
      Shape = *Ins[0];
      for (size_t K = 1; K < Ins.size(); ++K)
        Shape.back() = satAdd(Shape.back(), Ins[K]->back());
    } else if (Form == "product" || Form == "prod") {
      Shape = *Ins[0];
    } else if (Form == "flatten" || Form == "flat") {
      Shape = {product(*Ins[0])};
    } else if (Form == "reshape") {
      if (auto S = ShapeOption())
        Shape = *S;
    } else if (isRecurrentForm(Form)) {
      if (!Size || Ins[0]->size() != 1)
        return; // the layer reads [B, T, features] and needs a size
      std::string Worker = Form;
      uint64_t Units = Size, Copies = 1;
      if (Form == "bidirectional") {
        auto It = L.Options.find("worker");
        const std::string *W = It == L.Options.end()
                                   ? nullptr
                                   : std::get_if<std::string>(&It->second);
        Worker = W ? lower(*W) : "rnn";
        Units = Size / 2;
        Copies = 2;
      }
      Params =
          satAdd(Params, satMul(Copies, recurrentParams(Worker, Ins[0]->back(),
                                                        Units, L.Options)));
      Shape = {Size};
    } else {
      return; // an unknown form: the constructor names it
    }
    if (Shape.empty())
      return; // an input or reshape layer without a shape
    if (product(Shape) > kMaxLayerValues)
      fail(Source, "layer '" + Name + "' would have more than 2^40 values "
                   "per example: the architecture is corrupt");
    Params = satAdd(Params, activationParams(L.Activation, Shape.back()));
    MaxLast = std::max(MaxLast, Shape.back());
    Shapes[Name] = std::move(Shape);
    Previous = Name;
  }
  if (Params > satAdd(satMul(2, Stored), 4096))
    fail(Source, "the architecture creates at least " +
                     std::to_string(Params) +
                     " parameter values but the file stores " +
                     std::to_string(Stored) + ": the file is inconsistent");
}

std::string shapeStr(DType T, const std::vector<int64_t> &Shape) {
  std::string S = std::string(dtypeName(T)) + "[";
  for (size_t I = 0; I < Shape.size(); ++I)
    S += (I ? "," : "") + std::to_string(Shape[I]);
  return S + "]";
}

LossSpec lossSpec(const LossRecord &R) {
  LossSpec S(R.Form);
  S.weight(R.Weight).output(R.Output).target(R.Target);
  for (const auto &[Key, V] : R.Options)
    S.option(Key, V);
  return S;
}

} // namespace

ModelFile buildModel(ModelDescription D, std::string_view Data,
                     std::string_view Source) {
  std::vector<std::string> Registered = lossNames();
  for (const LossRecord &L : D.Losses)
    if (!std::binary_search(Registered.begin(), Registered.end(),
                            lower(L.Form))) {
      std::string Known;
      for (const std::string &N : Registered)
        Known += (Known.empty() ? "" : ", ") + N;
      fail(Source, "loss '" + L.Form +
                       "' is not registered in this program: register it "
                       "(registerLoss) before loading the model (registered: " +
                       Known + ")");
    }
  uint64_t Stored = 0;
  for (const ParamRecord &P : D.Params) {
    uint64_t N = 1;
    for (int64_t Dim : P.Shape)
      N = satMul(N, static_cast<uint64_t>(Dim));
    Stored = satAdd(Stored, N);
  }
  checkPlausible(D, Stored, Source);

  std::vector<LayerSpec> Specs;
  for (LayerRecord &R : D.Layers) {
    LayerSpec S("");
    S.Size = R.Size;
    S.Form = std::move(R.Form);
    S.Activation = std::move(R.Activation);
    S.Name = std::move(R.Name);
    S.Inputs = std::move(R.Inputs);
    S.Options = std::move(R.Options);
    Specs.push_back(std::move(S));
  }
  ModelOptions O;
  O.Loss = lossSpec(D.Losses[0]);
  O.Weighted = D.Weighted;
  O.Seed = D.Seed;
  O.FloatType = D.FloatType;

  ModelFile F;
  try {
    // One level of call depth, so the frontend's errors arrive without the
    // call site this file would add (frontend/call_site.h).
    CallDepth Depth;
    if (D.Recurrent) {
      // The parser admits no recurrent plain network.
      if (D.Kind == 1)
        F.Net = std::make_unique<recurrent::Regressor>(std::move(Specs),
                                                       std::move(O));
      else if (D.Kind == 2)
        F.Net = std::make_unique<recurrent::Classifier>(std::move(Specs),
                                                        std::move(O));
      else
        F.Net = std::make_unique<recurrent::Autoencoder>(std::move(Specs),
                                                         std::move(O));
    } else {
      switch (D.Kind) {
      case 0:
        F.Net = std::make_unique<Network>(std::move(Specs), std::move(O));
        break;
      case 1:
        F.Net = std::make_unique<Regressor>(std::move(Specs), std::move(O));
        break;
      case 2:
        F.Net = std::make_unique<Classifier>(std::move(Specs), std::move(O));
        break;
      default:
        F.Net = std::make_unique<Autoencoder>(std::move(Specs), std::move(O));
        break;
      }
    }
    for (size_t I = 1; I < D.Losses.size(); ++I)
      F.Net->add_loss(lossSpec(D.Losses[I]));
  } catch (const Error &E) {
    fail(Source, std::string("the architecture does not build: ") + E.what());
  }

  const std::vector<std::string> &Expected = F.Net->params();
  auto Names = [](const std::vector<std::string> &Ns) {
    std::string Out;
    for (const std::string &N : Ns)
      Out += (Out.empty() ? "" : ", ") + N;
    return Out.empty() ? std::string("none") : Out;
  };
  std::vector<std::string> InFile;
  for (const ParamRecord &P : D.Params)
    InFile.push_back(P.Name);
  if (InFile != Expected)
    fail(Source, "the file's parameters (" + Names(InFile) +
                     ") are not the ones the architecture has (" +
                     Names(Expected) + ")");
  TensorMap &Values = ModelFileAccess::values(*F.Net);
  size_t Offset = 0;
  for (const ParamRecord &P : D.Params) {
    Tensor &V = Values.at(P.Name);
    if (V.dtype() != P.Type || V.shape() != P.Shape)
      fail(Source, "parameter '" + P.Name + "' is " +
                       shapeStr(P.Type, P.Shape) +
                       " in the file but the architecture makes it " +
                       V.typeStr());
    if (V.nbytes())
      std::memcpy(V.raw(), Data.data() + Offset, V.nbytes());
    Offset += V.nbytes();
  }
  ModelFileAccess::setStep(*F.Net, D.Step);
  F.Regs = std::move(D.Regs);
  F.Metadata = std::move(D.Meta);
  return F;
}

} // namespace netjit::detail
