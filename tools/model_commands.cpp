//===- model_commands.cpp - `netjit eval`, `predict` and `ir` -------------===//
//
// The commands that read a saved model file (frontend/model_file.h):
// evaluate it on data, write its predictions, or dump its graphs at any
// stage of the pipeline.
//
//===----------------------------------------------------------------------===//
#include "codegen/compiled_function.h"
#include "frontend/model_file.h"
#include "frontend/text_data.h"
#include "frontend/trainer.h"
#include "ir/printer.h"
#include "runtime/data_io.h"
#include "runtime/npy.h"
#include "tools/model_options.h"

#include <cstdio>
#include <iostream>
#include <optional>

namespace netjit::tool {

namespace {

constexpr std::string_view EvalHelp =
    R"(usage: netjit eval MODEL --data DATA | --x FILE [--y FILE]
Evaluates a saved model on data and prints its monitors (loss, err, acc,
each loss and penalty) as `NAME = VALUE`, and `accuracy: 0.xxxx` for a
classifier. loss includes the regularizer penalties saved with the model.
  --data fashion-mnist   the Fashion-MNIST test set
  --data FILE.npz        arrays x and y (x_test/y_test when present), and
                         weights (weights_test) for a weighted model
  --data text:PATH       a text, in windows of --steps characters (default
                         30) every --stride (default: --steps), encoded with
                         the alphabet the model was trained with
  --x FILE --y FILE      inputs and targets (.npy, .csv or IDX)
  --weights FILE         the weights of a weighted model
  --batch-size N         rows per evaluation call (default 1000)
)";

constexpr std::string_view PredictHelp =
    R"(usage: netjit predict MODEL --x FILE [--output PATH.npy] [--proba]
Runs a saved model on the inputs in FILE (.npy, .csv or IDX). A classifier
predicts class indices (or, with --proba, the output probabilities); other
models their last layer's output. Writes PATH.npy when given, else prints
one row per line.
)";

constexpr std::string_view IrHelp =
    R"(usage: netjit ir MODEL [--stage STAGE] [--format text|dot]
           [--optimizer NAME]
Prints a saved model's graph at one stage:
  loss       the model's outputs and losses, as built
  gradient   with the gradient requests of every parameter
  optimized  the gradient graph after the pass pipeline (default)
  step       the training step: loss, gradients and the optimizer updates
  fused      the training step after fusion (kernels show their bodies)
  llvm       the training step's LLVM IR
--format dot prints Graphviz for the loss, gradient and optimized stages.
)";

struct Common {
  std::string Model, Data, X, Y, Weights, Output,
      Stage = "optimized", Format = "text", Algo = "adam";
  int64_t BatchSize = 1000, Steps = 30, Stride = 0;
  bool Proba = false;
};

int64_t positive(ArgList Args, size_t &I, std::string_view Name) {
  std::string V = optionValue(Args, I, Name);
  int64_t N = 0;
  try {
    size_t Used = 0;
    N = std::stoll(V, &Used);
    if (Used != V.size())
      N = 0;
  } catch (const std::exception &) {
  }
  if (N < 1)
    throw UsageError(std::string(Name) + " needs a positive integer, got '" +
                     V + "'");
  return N;
}

Common parse(ArgList Args, std::string_view Command) {
  Common C;
  for (size_t I = 0; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    auto Is = [&](std::string_view Name) {
      return A == Name || A.starts_with(std::string(Name) + "=");
    };
    if (Is("--data"))
      C.Data = optionValue(Args, I, "--data");
    else if (Is("--x"))
      C.X = optionValue(Args, I, "--x");
    else if (Is("--y"))
      C.Y = optionValue(Args, I, "--y");
    else if (Is("--weights"))
      C.Weights = optionValue(Args, I, "--weights");
    else if (Is("--output"))
      C.Output = optionValue(Args, I, "--output");
    else if (Is("--stage"))
      C.Stage = optionValue(Args, I, "--stage");
    else if (Is("--format"))
      C.Format = optionValue(Args, I, "--format");
    else if (Is("--optimizer"))
      C.Algo = optionValue(Args, I, "--optimizer");
    else if (A == "--proba")
      C.Proba = true;
    else if (Is("--batch-size"))
      C.BatchSize = positive(Args, I, "--batch-size");
    else if (Is("--steps"))
      C.Steps = positive(Args, I, "--steps");
    else if (Is("--stride"))
      C.Stride = positive(Args, I, "--stride");
    else if (A.size() > 1 && A[0] == '-')
      throw UsageError("unknown option '" + A + "' for '" +
                       std::string(Command) + "'");
    else if (C.Model.empty())
      C.Model = A;
    else
      throw UsageError("'" + std::string(Command) +
                       "' takes one MODEL file, got '" + C.Model + "' and '" +
                       A + "'");
  }
  if (C.Model.empty())
    throw UsageError("'" + std::string(Command) + "' needs a MODEL file");
  return C;
}

/// The evaluation data: the test split of a named data set, a text, or
/// files.
TensorMap evalData(const Common &C, const ModelFile &F) {
  const Network &Net = *F.Net;
  std::string In = Net.layers().front()->name();
  bool Auto = dynamic_cast<const Autoencoder *>(&Net) != nullptr;
  TensorMap M;
  if (std::string Path = textDataPath(C.Data); !Path.empty()) {
    if (!C.X.empty() || !C.Weights.empty())
      throw UsageError("--data text: holds the inputs and labels; it takes "
                       "no --x or --weights");
    // The model's codes are its training text's alphabet.
    auto It = F.Metadata.find("text_alphabet");
    recurrent::Text T = recurrent::Text::fromFile(
        Path, It == F.Metadata.end() ? std::nullopt
                                     : std::optional<std::string>(It->second));
    return textData(T, Path, Net, C.Steps, C.Stride);
  }
  if (C.Data == "fashion-mnist") {
    FashionMnist F = loadFashionMnist();
    M[In] = std::move(F.TestImages);
    if (!Auto)
      M["target"] = std::move(F.TestLabels);
    return M;
  }
  if (!C.Data.empty()) {
    TensorMap Z = readNpz(C.Data);
    bool Test = Z.count("x_test");
    std::string X = Test ? "x_test" : "x", Y = Test ? "y_test" : "y",
                W = Test ? "weights_test" : "weights";
    if (!Z.count(X) || (!Auto && !Z.count(Y)))
      throw RuntimeError(C.Data + ": needs arrays x and y (or x_test and "
                                  "y_test)");
    M[In] = Z.at(X);
    if (!Auto)
      M["target"] = Z.at(Y);
    if (Net.weighted() && Z.count(W))
      M["weights"] = Z.at(W);
    if (Net.weighted() && !M.count("weights"))
      throw RuntimeError(C.Data + ": the model is weighted, so the data " +
                         "needs an array '" + W + "'");
    return M;
  }
  if (C.X.empty())
    throw UsageError("'eval' needs --data or --x");
  M[In] = readArray(C.X);
  if (!Auto) {
    if (C.Y.empty())
      throw UsageError("'eval' needs --y (the targets or labels)");
    M["target"] = readArray(C.Y);
  }
  if (!C.Weights.empty() && !Net.weighted())
    throw UsageError("--weights: the model is not weighted");
  if (Net.weighted() && C.Weights.empty())
    throw UsageError("the model is weighted: give its weights with --weights "
                     "FILE");
  if (!C.Weights.empty())
    M["weights"] = readArray(C.Weights);
  return M;
}

} // namespace

std::string_view evalHelp() { return EvalHelp; }
std::string_view predictHelp() { return PredictHelp; }
std::string_view irHelp() { return IrHelp; }

int runEvalCommand(ArgList Args) {
  Common C = parse(Args, "eval");
  ModelFile F = readModelFile(C.Model);
  const Network &Net = *F.Net;
  DatasetOptions O;
  O.BatchSize = C.BatchSize;
  O.ShuffleRows = false;
  O.Name = "eval";
  Dataset D(evalData(C, F), O);
  // The saved penalties count, as in training's loss monitor.
  MonitorValues M = evaluateDataset(Net, D, F.Regs);
  for (const auto &[Name, V] : M)
    std::printf("%s = %.9g\n", Name.c_str(), V);
  if (auto *Cl = dynamic_cast<const Classifier *>(&Net)) {
    const TensorMap &A = D.arrays();
    const Tensor &X = A.at(Net.layers().front()->name());
    std::printf("accuracy: %.4f\n",
                A.count("weights")
                    ? Cl->score(X, A.at("target"), A.at("weights"))
                    : Cl->score(X, A.at("target")));
  }
  return 0;
}

int runPredictCommand(ArgList Args) {
  Common C = parse(Args, "predict");
  if (C.X.empty())
    throw UsageError("'predict' needs --x FILE");
  std::unique_ptr<Network> Net = loadModel(C.Model);
  Tensor X = readArray(C.X);
  Tensor Out;
  auto *Cl = dynamic_cast<const Classifier *>(Net.get());
  if (C.Proba && !Cl)
    throw UsageError("--proba is for classifiers");
  Out = C.Proba ? Cl->predict_proba(X) : Net->predict(X);
  if (!C.Output.empty()) {
    writeNpy(C.Output, Out);
    std::printf("wrote %s (%s)\n", C.Output.c_str(), Out.typeStr().c_str());
    return 0;
  }
  int64_t Rows = Out.shape().empty() ? 1 : Out.shape()[0];
  int64_t Cols = Rows ? Out.numel() / Rows : 0;
  for (int64_t R = 0; R < Rows; ++R) {
    for (int64_t K = 0; K < Cols; ++K)
      std::printf("%s%.9g", K ? " " : "", Out.at(R * Cols + K));
    std::printf("\n");
  }
  return 0;
}

int runIrCommand(ArgList Args) {
  Common C = parse(Args, "ir");
  std::unique_ptr<Network> Net = loadModel(C.Model);
  if (C.Format != "text" && C.Format != "dot")
    throw UsageError("--format is text or dot, got '" + C.Format + "'");
  GraphStage Stage;
  if (C.Stage == "loss")
    Stage = GraphStage::Loss;
  else if (C.Stage == "gradient")
    Stage = GraphStage::Gradient;
  else if (C.Stage == "optimized")
    Stage = GraphStage::Optimized;
  else if (C.Stage == "step" || C.Stage == "fused" || C.Stage == "llvm") {
    if (C.Format == "dot")
      throw UsageError("--format dot is for the loss, gradient and optimized "
                       "stages");
    TrainOptions O;
    O.Algo = C.Algo;
    StepDump S = dumpTrainingStep(*Net, O);
    std::cout << (C.Stage == "step"    ? S.Graph
                  : C.Stage == "fused" ? S.Fused
                                       : S.LlvmIR);
    return 0;
  } else {
    throw UsageError("--stage is loss, gradient, optimized, step, fused or "
                     "llvm, got '" + C.Stage + "'");
  }
  std::cout << (C.Format == "dot" ? Net->dot(Stage) : Net->ir(Stage));
  return 0;
}

} // namespace netjit::tool
