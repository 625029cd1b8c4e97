//===- train_command.cpp - `netjit train` ---------------------------------===//
//
// Builds a model from the command line (kind, layers in theanets' forms,
// losses, regularizers), loads data (Fashion-MNIST, .npz, arrays from
// .npy/.csv/IDX files, or a text cut into character windows), trains it with
// the early-stopped loop (frontend/trainer.h) showing progress, then reports
// the test accuracy or loss, saves the model, and writes the monitor log, the
// training plot and the IR dumps when asked. The defaults are chosen for fast,
// good training (adam at 5e-4, batches of 64, patience 10), not theanets'
// (rmsprop at 1e-4, 32): see docs/training.md.
//
//===----------------------------------------------------------------------===//
#include "frontend/model_file.h"
#include "frontend/recurrent.h"
#include "frontend/text_data.h"
#include "frontend/trainer.h"
#include "runtime/data_io.h"
#include "tools/commands.h"
#include "tools/model_options.h"
#include "tools/plot.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace netjit::tool {

namespace {

constexpr std::string_view TrainHelp =
    R"(usage: netjit train --layers SPEC --data DATA [options]
Builds a model, trains it with early stopping, and saves it.
Model:
  --model KIND           classifier (default), regressor, autoencoder, or
                         recurrent-classifier, recurrent-regressor,
                         recurrent-autoencoder (sequence data [B,T,D])
  --layers SPEC          comma-separated layers, each N, N:ACT, N:FORM or
                         N:FORM:ACT (784,256:relu,10; 65,64:gru,65); the
                         first is the input
  --loss NAME[:WEIGHT]   the loss (repeat to add more; default: the model's,
                         xe for a classifier, mse otherwise)
  --weighted             every loss reads per-element weights ("weights";
                         implied by --weights or an .npz's weights)
  --seed N               initial parameters and batch order (default 13)
Data:
  --data fashion-mnist   Fashion-MNIST from Debian's dataset-fashion-mnist
  --data FILE.npz        arrays x and y (labels or targets), optionally
                         x_test and y_test, weights and weights_test
  --data text:PATH       a text file for a character model: windows of
                         --steps characters (default 30) every --stride
                         (default: --steps), one-hot, labelled with the next
                         characters; the alphabet is the text's bytes
  --x FILE --y FILE      inputs and targets (.npy, .csv, or IDX, gzipped or
                         not; sequences .npy [B,T,D], labels [B,T]);
                         --test-x/--test-y for a test set
  --weights FILE         per-element weights shaped like the targets
                         (labels [B,T] for a recurrent classifier; 0/1 masks
                         padding); --test-weights FILE for the test set
  --valid-split F        the fraction of training rows held out to validate
                         (default 0.1)
Training:
  --optimizer NAME       sgd, nag, rmsprop, adam (default), adadelta,
                         adagrad, rprop, esgd
  --learning-rate X      (default 5e-4)   --momentum X   --nesterov
  --hyper NAME=X         any optimizer hyper-parameter (rms_halflife, ...)
  --batch-size N         (default 64)
  --max-epochs N         stop after N epochs (default 40; 0 = no limit)
  --max-seconds S        stop after S seconds of training
  --patience N           (default 10)   --validate-every N (default 1)
  --min-improvement X    relative improvement that resets patience (0)
  --weight-l1 X --weight-l2 X --hidden-l1 X --contractive X
  --recurrent-state X --recurrent-norm X   (recurrent models)
  --input-dropout P --hidden-dropout P --input-noise S --hidden-noise S
  --monitor PATTERN=L1,L2  report mean(value < L) of outputs/params
  --monitor-gradients    report the squared norm of each gradient
Output:
  --save PATH            the trained model (default model.njm)
  --save-every N         also save every N epochs to --save-progress PATH
                         ("{}" in PATH becomes the Unix time)
  --log PATH             the monitors per epoch, CSV or JSON (by extension)
  --plot PATH.svg        the training curves
  --ir-dir DIR           the IR of every stage (loss, gradient, optimized,
                         fused step, LLVM IR)
  --quiet                no per-epoch lines
The last lines are `test loss: X` (with the regularizer penalties, as the
loss monitor) and `test accuracy: 0.xxxx` when test data is given, and
`saved: PATH`.
)";

struct Options {
  ModelChoice Model;
  std::string Data, X, Y, TestX, TestY, Weights, TestWeights;
  int64_t Steps = 30, Stride = 0;
  double ValidSplit = 0.1;
  TrainOptions Train;
  int64_t BatchSize = 64;
  std::string Save = "model.njm", Log, Plot, IrDir;
  bool Quiet = false;
};

double number(const std::string &Value, std::string_view Option) {
  try {
    size_t Used = 0;
    double V = std::stod(Value, &Used);
    if (Used == Value.size())
      return V;
  } catch (const std::exception &) {
  }
  throw UsageError("option '" + std::string(Option) + "' needs a number, got '" +
                   Value + "'");
}

int64_t integer(const std::string &Value, std::string_view Option) {
  double V = number(Value, Option);
  if (V != static_cast<double>(static_cast<int64_t>(V)) || V < 0)
    throw UsageError("option '" + std::string(Option) +
                     "' needs a non-negative integer, got '" + Value + "'");
  return static_cast<int64_t>(V);
}

Options parse(ArgList Args) {
  Options O;
  O.Train.Algo = "adam";
  O.Train.Hyper["learning_rate"] = 5e-4;
  O.Train.ValidateEvery = 1;
  O.Train.MaxUpdates = 40;
  O.Train.Patience = 10;
  for (size_t I = 0; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    auto Is = [&](std::string_view Name) {
      return A == Name || A.starts_with(std::string(Name) + "=");
    };
    auto Value = [&](std::string_view Name) {
      return optionValue(Args, I, Name);
    };
    if (parseModelOption(Args, I, O.Model))
      continue;
    if (Is("--data"))
      O.Data = Value("--data");
    else if (Is("--x"))
      O.X = Value("--x");
    else if (Is("--y"))
      O.Y = Value("--y");
    else if (Is("--test-x"))
      O.TestX = Value("--test-x");
    else if (Is("--test-y"))
      O.TestY = Value("--test-y");
    else if (Is("--weights"))
      O.Weights = Value("--weights");
    else if (Is("--test-weights"))
      O.TestWeights = Value("--test-weights");
    else if (Is("--steps"))
      O.Steps = integer(Value("--steps"), "--steps");
    else if (Is("--stride"))
      O.Stride = integer(Value("--stride"), "--stride");
    else if (Is("--valid-split"))
      O.ValidSplit = number(Value("--valid-split"), "--valid-split");
    else if (Is("--optimizer"))
      O.Train.Algo = Value("--optimizer");
    else if (Is("--learning-rate"))
      O.Train.Hyper["learning_rate"] =
          number(Value("--learning-rate"), "--learning-rate");
    else if (Is("--momentum"))
      O.Train.Hyper["momentum"] = number(Value("--momentum"), "--momentum");
    else if (A == "--nesterov")
      O.Train.Hyper["nesterov"] = 1;
    else if (Is("--hyper")) {
      std::string H = Value("--hyper");
      size_t Eq = H.find('=');
      if (Eq == std::string::npos || Eq == 0)
        throw UsageError("--hyper takes NAME=VALUE, got '" + H + "'");
      O.Train.Hyper[H.substr(0, Eq)] = number(H.substr(Eq + 1), "--hyper");
    } else if (Is("--batch-size"))
      O.BatchSize = integer(Value("--batch-size"), "--batch-size");
    else if (Is("--max-epochs"))
      O.Train.MaxUpdates = integer(Value("--max-epochs"), "--max-epochs");
    else if (Is("--max-seconds"))
      O.Train.MaxSeconds = number(Value("--max-seconds"), "--max-seconds");
    else if (Is("--patience"))
      O.Train.Patience = integer(Value("--patience"), "--patience");
    else if (Is("--validate-every"))
      O.Train.ValidateEvery =
          integer(Value("--validate-every"), "--validate-every");
    else if (Is("--min-improvement"))
      O.Train.MinImprovement =
          number(Value("--min-improvement"), "--min-improvement");
    else if (parseRegularizerOption(Args, I, O.Train.Reg))
      continue;
    else if (Is("--monitor")) {
      std::string M = Value("--monitor");
      size_t Eq = M.find('=');
      if (Eq == std::string::npos || Eq == 0)
        throw UsageError("--monitor takes PATTERN=LEVEL[,LEVEL...], got '" +
                         M + "'");
      MonitorSpec Spec{M.substr(0, Eq), {}};
      std::string Levels = M.substr(Eq + 1);
      for (size_t Start = 0; Start <= Levels.size();) {
        size_t Comma = Levels.find(',', Start);
        if (Comma == std::string::npos)
          Comma = Levels.size();
        Spec.Levels.push_back(
            number(Levels.substr(Start, Comma - Start), "--monitor"));
        Start = Comma + 1;
      }
      O.Train.Monitors.push_back(std::move(Spec));
    } else if (A == "--monitor-gradients")
      O.Train.MonitorGradients = true;
    else if (Is("--save"))
      O.Save = Value("--save");
    else if (Is("--save-every"))
      O.Train.SaveEvery = integer(Value("--save-every"), "--save-every");
    else if (Is("--save-progress"))
      O.Train.SaveProgress = Value("--save-progress");
    else if (Is("--log"))
      O.Log = Value("--log");
    else if (Is("--plot"))
      O.Plot = Value("--plot");
    else if (Is("--ir-dir"))
      O.IrDir = Value("--ir-dir");
    else if (A == "--quiet")
      O.Quiet = true;
    else
      throw UsageError("unknown option '" + A + "' for 'train'");
  }
  if (O.Model.Layers.empty())
    throw UsageError("'train' needs --layers (e.g. --layers 784,256,10)");
  if (O.Data.empty() && O.X.empty())
    throw UsageError("'train' needs --data or --x/--y");
  if (O.Train.SaveEvery > 0 && O.Train.SaveProgress.empty())
    throw UsageError("--save-every needs --save-progress PATH");
  if (O.Steps < 1)
    throw UsageError("--steps needs a positive integer");
  bool IsText = !textDataPath(O.Data).empty();
  if (IsText && (!O.Weights.empty() || !O.TestWeights.empty() || !O.X.empty()))
    throw UsageError("--data text: holds the inputs and labels; it takes no "
                     "--x, --weights or --test-weights");
  if (!IsText && O.Data != "fashion-mnist" && !O.Data.empty() &&
      (!O.Weights.empty() || !O.TestWeights.empty()))
    throw UsageError("an .npz holds its own weights (arrays weights and "
                     "weights_test); --weights is for --x/--y files");
  if (!O.Weights.empty())
    O.Model.Weighted = true;
  return O;
}

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

std::string monitorLine(const MonitorValues &M) {
  std::string Out;
  char Buf[64];
  for (const char *Key : {"loss", "err", "acc"})
    if (auto It = M.find(Key); It != M.end()) {
      std::snprintf(Buf, sizeof Buf, "%s%s %.4f", Out.empty() ? "" : "  ",
                    Key, It->second);
      Out += Buf;
    }
  for (const auto &[Key, V] : M)
    if (Key != "loss" && Key != "err" && Key != "acc" &&
        (Key.find('<') != std::string::npos || Key.starts_with("grad("))) {
      std::snprintf(Buf, sizeof Buf, "  %s %.4g", Key.c_str(), V);
      Out += Buf;
    }
  return Out;
}

/// The bar on stderr when it is a terminal, updated at most 10 times a
/// second; the epoch lines on stdout.
class Progress {
public:
  explicit Progress(bool Quiet)
      : Quiet(Quiet), Tty(isatty(STDERR_FILENO) != 0),
        Start(std::chrono::steady_clock::now()) {}

  void batch(int64_t Epoch, int64_t Done, int64_t Total) {
    if (!Tty || Quiet)
      return;
    auto Now = std::chrono::steady_clock::now();
    if (Done != Total && Now - Last < std::chrono::milliseconds(100))
      return;
    Last = Now;
    constexpr int Width = 30;
    int Filled = static_cast<int>(Width * Done / std::max<int64_t>(Total, 1));
    std::fprintf(stderr, "\r  epoch %3lld [%s%s] %lld/%lld  %.1f s ",
                 static_cast<long long>(Epoch + 1),
                 std::string(static_cast<size_t>(Filled), '#').c_str(),
                 std::string(static_cast<size_t>(Width - Filled), '.').c_str(),
                 static_cast<long long>(Done), static_cast<long long>(Total),
                 seconds());
    std::fflush(stderr);
  }

  void epoch(const EpochReport &R) {
    if (Tty && !Quiet)
      std::fprintf(stderr, "\r%80s\r", "");
    if (Quiet)
      return;
    std::string Line;
    char Buf[64];
    std::snprintf(Buf, sizeof Buf, "epoch %3lld  ",
                  static_cast<long long>(R.Epoch));
    Line = Buf;
    if (!R.Train.empty())
      Line += "train: " + monitorLine(R.Train);
    else
      Line += "(initial parameters)";
    if (R.Valid)
      Line += "  | valid: " + monitorLine(*R.Valid) +
              (R.Improved ? " *" : "");
    std::snprintf(Buf, sizeof Buf, "  (%.1f s)", seconds());
    std::cout << Line << Buf << std::endl;
  }

  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         Start)
        .count();
  }

private:
  bool Quiet, Tty;
  std::chrono::steady_clock::time_point Start, Last;
};

//===----------------------------------------------------------------------===//
// Logs and dumps
//===----------------------------------------------------------------------===//

struct History {
  std::vector<EpochReport> Epochs;
};

void writeText(const std::string &Path, const std::string &Text) {
  std::filesystem::path P(Path);
  if (P.has_parent_path())
    std::filesystem::create_directories(P.parent_path());
  writeFileAtomic(Path, Text);
}

void writeLog(const std::string &Path, const History &H) {
  std::vector<std::string> Keys;
  for (const EpochReport &R : H.Epochs) {
    for (const auto &[K, V] : R.Train)
      if (std::find(Keys.begin(), Keys.end(), "train_" + K) == Keys.end())
        Keys.push_back("train_" + K);
    if (R.Valid)
      for (const auto &[K, V] : *R.Valid)
        if (std::find(Keys.begin(), Keys.end(), "valid_" + K) == Keys.end())
          Keys.push_back("valid_" + K);
  }
  auto Get = [](const EpochReport &R, const std::string &Key,
                double &Out) -> bool {
    const MonitorValues *M = Key.starts_with("train_") ? &R.Train
                             : R.Valid                 ? &*R.Valid
                                                       : nullptr;
    if (!M)
      return false;
    auto It = M->find(Key.substr(6));
    if (It == M->end())
      return false;
    Out = It->second;
    return true;
  };
  bool Json = Path.ends_with(".json");
  std::ostringstream S;
  S.precision(9);
  if (Json) {
    S << "[\n";
    for (size_t I = 0; I < H.Epochs.size(); ++I) {
      const EpochReport &R = H.Epochs[I];
      S << "  {\"epoch\": " << R.Epoch << ", \"seconds\": " << R.Seconds;
      double V;
      for (const std::string &K : Keys)
        if (Get(R, K, V))
          S << ", \"" << K << "\": " << V;
      S << "}" << (I + 1 < H.Epochs.size() ? ",\n" : "\n");
    }
    S << "]\n";
  } else {
    S << "epoch,seconds";
    for (const std::string &K : Keys)
      S << "," << K;
    S << "\n";
    for (const EpochReport &R : H.Epochs) {
      S << R.Epoch << "," << R.Seconds;
      double V;
      for (const std::string &K : Keys) {
        S << ",";
        if (Get(R, K, V))
          S << V;
      }
      S << "\n";
    }
  }
  writeText(Path, S.str());
}

void writePlot(const std::string &Path, const History &H,
               const std::string &Title) {
  std::vector<PlotPanel> Panels;
  for (const char *Key : {"loss", "err", "acc"}) {
    PlotPanel P{Key, {}};
    for (const EpochReport &R : H.Epochs) {
      // Both describe the parameters during/after epoch R.Epoch.
      if (auto It = R.Train.find(Key); It != R.Train.end())
        P.Series["train"].emplace_back(R.Epoch, It->second);
      if (R.Valid)
        if (auto It = R.Valid->find(Key); It != R.Valid->end())
          P.Series["valid"].emplace_back(R.Epoch, It->second);
    }
    if (!P.Series.empty())
      Panels.push_back(std::move(P));
  }
  writeText(Path, renderSvg(Panels, Title));
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

struct Data {
  TensorMap Train, Test;
  /// A text data set, cut into windows once the model exists.
  std::optional<recurrent::Text> Text;
};

/// The arrays the options name, keyed as the model reads them ("in",
/// "target", "weights"); a text data set is only read here.
Data loadData(const Options &O) {
  Data D;
  std::string TargetName = O.Model.autoencoder() ? "" : "target";
  auto Put = [&](TensorMap &M, Tensor X, Tensor Y) {
    M["in"] = std::move(X);
    if (!TargetName.empty())
      M[TargetName] = std::move(Y);
  };
  if (std::string Path = textDataPath(O.Data); !Path.empty()) {
    D.Text.emplace(recurrent::Text::fromFile(Path));
    return D;
  }
  if (O.Data == "fashion-mnist") {
    FashionMnist F = loadFashionMnist();
    Put(D.Train, std::move(F.TrainImages), std::move(F.TrainLabels));
    Put(D.Test, std::move(F.TestImages), std::move(F.TestLabels));
    return D;
  }
  if (!O.Data.empty()) {
    TensorMap Z = readNpz(O.Data);
    auto Need = [&](const char *Name) -> Tensor & {
      auto It = Z.find(Name);
      if (It == Z.end())
        throw RuntimeError(O.Data + ": no array '" + Name +
                           "' (the .npz needs x and y; x_test, y_test, "
                           "weights and weights_test are optional)");
      return It->second;
    };
    Put(D.Train, Need("x"), TargetName.empty() ? Tensor() : Need("y"));
    if (Z.count("weights"))
      D.Train["weights"] = Z.at("weights");
    if (Z.count("x_test")) {
      Put(D.Test, Need("x_test"),
          TargetName.empty() ? Tensor() : Need("y_test"));
      if (Z.count("weights_test"))
        D.Test["weights"] = Z.at("weights_test");
    }
    return D;
  }
  if (!TargetName.empty() && O.Y.empty())
    throw UsageError("--x needs --y (the targets or labels)");
  Put(D.Train, readArray(O.X), O.Y.empty() ? Tensor() : readArray(O.Y));
  if (!O.Weights.empty())
    D.Train["weights"] = readArray(O.Weights);
  if (!O.TestX.empty()) {
    Put(D.Test, readArray(O.TestX),
        O.TestY.empty() ? Tensor() : readArray(O.TestY));
    if (!O.TestWeights.empty())
      D.Test["weights"] = readArray(O.TestWeights);
  }
  return D;
}

void dumpIr(const std::string &Dir, const Network &Net, const Options &O) {
  std::filesystem::create_directories(Dir);
  writeText(Dir + "/loss.nj", Net.ir(GraphStage::Loss, O.Train.Reg));
  writeText(Dir + "/gradient.nj", Net.ir(GraphStage::Gradient, O.Train.Reg));
  writeText(Dir + "/optimized.nj",
            Net.ir(GraphStage::Optimized, O.Train.Reg));
  writeText(Dir + "/loss.dot", Net.dot(GraphStage::Loss, O.Train.Reg));
  StepDump Step = dumpTrainingStep(Net, O.Train);
  writeText(Dir + "/step.nj", Step.Graph);
  writeText(Dir + "/step.fused.nj", Step.Fused);
  if (!Step.LlvmIR.empty())
    writeText(Dir + "/step.ll", Step.LlvmIR);
}

} // namespace

std::string_view trainHelp() { return TrainHelp; }

int runTrainCommand(ArgList Args) {
  Options O = parse(Args);
  Data D = loadData(O);
  // Weights in the data make the model weighted, as --weighted does.
  if (D.Train.count("weights"))
    O.Model.Weighted = true;
  std::unique_ptr<Network> Net = makeModel(O.Model);
  ModelMetadata Meta;
  if (D.Text) {
    D.Train = textData(*D.Text, textDataPath(O.Data), *Net, O.Steps, O.Stride);
    Meta["text_alphabet"] = D.Text->alphabet();
    std::cout << "text " << textDataPath(O.Data) << ": "
              << D.Text->text().size() << " characters, an alphabet of "
              << D.Text->alphabetSize() << ", " << D.Train.at("in").shape()[0]
              << " windows of " << O.Steps << " steps" << std::endl;
  }
  if (Net->weighted() && !D.Test.empty() && !D.Test.count("weights"))
    throw UsageError("the model is weighted, so the test set needs weights "
                     "too (--test-weights, or weights_test in the .npz)");

  DatasetOptions DO;
  DO.BatchSize = O.BatchSize;
  DO.Seed = O.Model.Seed;
  DO.Name = "train";
  Dataset Train(std::move(D.Train), DO);
  std::optional<Dataset> Valid;
  if (O.ValidSplit > 0)
    Valid.emplace(Train.split(1 - O.ValidSplit, "valid"));

  // Fail on an unusable output directory before training, not after.
  for (const std::string &Out : {O.Save, O.Log, O.Plot})
    if (std::filesystem::path P(Out); !Out.empty() && P.has_parent_path())
      std::filesystem::create_directories(P.parent_path());
  if (!O.IrDir.empty())
    dumpIr(O.IrDir, *Net, O);

  Progress P(O.Quiet);
  History H;
  TrainOptions T = O.Train;
  T.OnBatch = [&](int64_t E, int64_t Done, int64_t Total) {
    P.batch(E, Done, Total);
  };
  T.OnEpoch = [&](const EpochReport &R) {
    H.Epochs.push_back(R);
    P.epoch(R);
    return true;
  };
  std::cout << "training " << O.Model.Kind << " " << O.Model.LayerText
            << " on " << Train.rows() << " rows ("
            << (Valid ? Valid->rows() : 0) << " validation), " << T.Algo
            << " lr " << T.Hyper.at("learning_rate") << ", batch "
            << O.BatchSize << std::endl;
  Trainer Tr(*Net, Train, Valid ? &*Valid : nullptr, T);
  H.Epochs.push_back(Tr.report());
  P.epoch(Tr.report());
  while (Tr.next()) {
  }
  double Seconds = P.seconds();
  std::printf("stopped: %s after %lld epochs, %.1f s; best validation loss "
              "%.6g (epoch %lld, restored)\n",
              Tr.stopReason().c_str(),
              static_cast<long long>(H.Epochs.back().Epoch), Seconds,
              Tr.bestLoss(), static_cast<long long>(Tr.bestEpoch()));

  if (!O.Log.empty())
    writeLog(O.Log, H);
  if (!O.Plot.empty())
    writePlot(O.Plot, H, O.Model.Kind + " " + O.Model.LayerText);

  if (!D.Test.empty()) {
    DatasetOptions TO;
    TO.BatchSize = 1000;
    TO.ShuffleRows = false;
    TO.Name = "test";
    Dataset Test(std::move(D.Test), TO);
    MonitorValues M = evaluateDataset(*Net, Test, O.Train.Reg);
    if (auto It = M.find("acc"); It != M.end()) {
      // The monitor is a mean over batches; the accuracy over rows is what
      // a person expects, so compute it from the predictions.
      auto *C = dynamic_cast<const Classifier *>(Net.get());
      const TensorMap &A = Test.arrays();
      double Acc = !C ? It->second
                   : A.count("weights")
                       ? C->score(A.at("in"), A.at("target"), A.at("weights"))
                       : C->score(A.at("in"), A.at("target"));
      std::printf("test loss: %.6g\ntest accuracy: %.4f\n", M.at("loss"), Acc);
    } else {
      std::printf("test loss: %.6g\n", M.at("loss"));
    }
  }
  saveModel(*Net, O.Save, O.Train.Reg, Meta);
  std::printf("saved: %s\n", O.Save.c_str());
  if (!O.Log.empty())
    std::printf("log: %s\n", O.Log.c_str());
  if (!O.Plot.empty())
    std::printf("plot: %s\n", O.Plot.c_str());
  if (!O.IrDir.empty())
    std::printf("ir: %s/\n", O.IrDir.c_str());
  return 0;
}

} // namespace netjit::tool
