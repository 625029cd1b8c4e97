//===- trainer.cpp - Early-stopped training of a Network ------------------===//
//
// The step function is one graph: the model's objective and monitors, the
// gradient of the objective w.r.t. every parameter, and the optimizer's
// updates of the parameters and its state. It is compiled once and called
// per batch on slices of the dataset's arrays (bound, not copied), with the
// model's parameter tensors and the optimizer state bound writable, so the
// updates land in place.
//
//===----------------------------------------------------------------------===//
#include "frontend/trainer.h"
#include "codegen/compiled_function.h"
#include "frontend/model_file.h"
#include "frontend/math.h"
#include "frontend/model_graph.h"
#include "ir/printer.h"
#include "runtime/philox.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <sstream>

namespace netjit {

//===----------------------------------------------------------------------===//
// Dataset
//===----------------------------------------------------------------------===//

namespace {

/// A reproducible uniform integer in [0, N) from (Seed, Stream, I).
uint64_t draw(uint64_t Seed, uint64_t Stream, uint64_t I, uint64_t N) {
  PhiloxCounter C = philox4x32({static_cast<uint32_t>(I),
                                static_cast<uint32_t>(I >> 32),
                                static_cast<uint32_t>(Stream), 0},
                               philoxKey(static_cast<int64_t>(Seed)));
  uint64_t R = (static_cast<uint64_t>(C[0]) << 32) | C[1];
  return R % N;
}

/// Fisher-Yates with Philox draws: the same permutation on every platform.
std::vector<int64_t> permutation(int64_t N, uint64_t Seed, uint64_t Stream) {
  std::vector<int64_t> P(static_cast<size_t>(N));
  for (int64_t I = 0; I < N; ++I)
    P[static_cast<size_t>(I)] = I;
  for (int64_t I = N - 1; I > 0; --I)
    std::swap(P[static_cast<size_t>(I)],
              P[draw(Seed, Stream, static_cast<uint64_t>(I),
                     static_cast<uint64_t>(I + 1))]);
  return P;
}

int64_t rowBytes(const Tensor &T) {
  return T.shape().empty() || T.shape()[0] == 0
             ? 0
             : static_cast<int64_t>(T.nbytes()) / T.shape()[0];
}

/// The rows of T in the order P.
Tensor gatherRows(const Tensor &T, const std::vector<int64_t> &P,
                  size_t Begin, size_t End) {
  std::vector<int64_t> Shape = T.shape();
  Shape[0] = static_cast<int64_t>(End - Begin);
  Tensor Out(T.dtype(), Shape);
  int64_t Row = rowBytes(T);
  auto *Dst = static_cast<char *>(Out.raw());
  const auto *Src = static_cast<const char *>(T.raw());
  for (size_t I = Begin; I < End; ++I)
    std::memcpy(Dst + static_cast<int64_t>(I - Begin) * Row,
                Src + P[I] * Row, static_cast<size_t>(Row));
  return Out;
}

} // namespace

Dataset::Dataset(TensorMap A, DatasetOptions O)
    : Arrays(std::move(A)), Options(std::move(O)) {
  validate();
  if (Options.ShuffleRows) {
    Origin = permutation(Rows, Options.Seed, 0);
    for (auto &[Name, T] : Arrays)
      T = gatherRows(T, Origin, 0, Origin.size());
  }
}

Dataset::Dataset(BatchSource S, DatasetOptions O)
    : Options(std::move(O)), Source(std::move(S)) {
  if (!Source)
    throw RuntimeError("dataset '" + Options.Name + "': the batch source is "
                                                    "empty");
  if (Options.IterationSize <= 0)
    Options.IterationSize = 100;
  draw();
}

void Dataset::validate() {
  if (Arrays.empty())
    throw RuntimeError("dataset '" + Options.Name + "' has no arrays");
  if (Options.BatchSize < 1)
    throw RuntimeError("dataset '" + Options.Name + "': batch_size must be " +
                       "at least 1, got " + std::to_string(Options.BatchSize));
  std::string First;
  for (const auto &[Name, T] : Arrays) {
    if (T.shape().empty())
      throw RuntimeError("dataset '" + Options.Name + "': array '" + Name +
                         "' is a scalar; data arrays have one row per sample");
    if (First.empty()) {
      First = Name;
      Rows = T.shape()[0];
    } else if (T.shape()[0] != Rows) {
      throw RuntimeError("dataset '" + Options.Name + "': array '" + Name +
                         "' has " + std::to_string(T.shape()[0]) +
                         " rows but '" + First + "' has " +
                         std::to_string(Rows));
    }
    if (isFloat(T.dtype()))
      for (int64_t I = 0; I < T.numel(); ++I)
        if (!std::isfinite(T.at(I)))
          throw RuntimeError("dataset '" + Options.Name + "': array '" +
                             Name + "' holds " + std::to_string(T.at(I)) +
                             " at flat index " + std::to_string(I) +
                             " (data must be finite)");
  }
  if (Rows == 0)
    throw RuntimeError("dataset '" + Options.Name + "' is empty (0 rows)");
}

void Dataset::draw() {
  Arrays = Source();
  Origin.clear();
  validate();
}

int64_t Dataset::originalRow(int64_t Row) const {
  return Origin.empty() ? Row : Origin[static_cast<size_t>(Row)];
}

int64_t Dataset::batchesPerEpoch() const {
  if (Source)
    return Options.IterationSize;
  int64_t All = (Rows + Options.BatchSize - 1) / Options.BatchSize;
  return Options.IterationSize > 0 ? Options.IterationSize : All;
}

std::vector<std::pair<int64_t, int64_t>> Dataset::nextEpoch() {
  if (Source) // each batch is drawn when it is due
    return std::vector<std::pair<int64_t, int64_t>>(
        static_cast<size_t>(Options.IterationSize), {-1, -1});
  int64_t All = (Rows + Options.BatchSize - 1) / Options.BatchSize;
  std::vector<int64_t> Order = permutation(All, Options.Seed, ++Epochs);
  std::vector<std::pair<int64_t, int64_t>> Out;
  for (int64_t I = 0; I < batchesPerEpoch(); ++I) {
    int64_t B = Order[static_cast<size_t>(I % All)];
    Out.emplace_back(B * Options.BatchSize,
                     std::min(Rows, (B + 1) * Options.BatchSize));
  }
  return Out;
}

void Dataset::conform(const std::string &Name, DType T) {
  Tensor &A = Arrays.at(Name);
  if (A.dtype() != T)
    A = convertData(A, T, Options.Name + "." + Name);
}

Dataset Dataset::split(double Fraction, std::string Name) {
  if (Source)
    throw RuntimeError("dataset '" + Options.Name + "' draws its batches "
                       "from a callable and cannot be split");
  if (!(Fraction > 0 && Fraction < 1))
    throw RuntimeError("dataset '" + Options.Name +
                       "': a split keeps a fraction in (0, 1), got " +
                       std::to_string(Fraction));
  auto Keep = static_cast<int64_t>(std::llround(Fraction * Rows));
  if (Keep < 1 || Keep >= Rows)
    throw RuntimeError("dataset '" + Options.Name + "' (" +
                       std::to_string(Rows) + " rows) is too small to split " +
                       "at " + std::to_string(Fraction));
  std::vector<int64_t> Identity(static_cast<size_t>(Rows));
  for (int64_t I = 0; I < Rows; ++I)
    Identity[static_cast<size_t>(I)] = I;
  TensorMap Rest;
  for (auto &[ArrayName, T] : Arrays) {
    Rest[ArrayName] = gatherRows(T, Identity, static_cast<size_t>(Keep),
                                 Identity.size());
    T = gatherRows(T, Identity, 0, static_cast<size_t>(Keep));
  }
  Rows = Keep;
  DatasetOptions O = Options;
  O.Name = std::move(Name);
  O.ShuffleRows = false;
  Dataset Out(std::move(Rest), O);
  if (!Origin.empty()) {
    Out.Origin.assign(Origin.begin() + Keep, Origin.end());
    Origin.resize(static_cast<size_t>(Keep));
  }
  return Out;
}

//===----------------------------------------------------------------------===//
// The compiled functions
//===----------------------------------------------------------------------===//

namespace detail {

/// A compiled function with its per-call state, bound to a network's
/// parameters and (for the step) the optimizer's state.
struct Bound {
  CompiledFunction Fn;
  CallContext Ctx;
  Bindings B;
  /// The data arguments, by name.
  std::vector<std::string> Data;
  /// The scalar outputs reported as monitors.
  std::vector<std::string> Monitors;
};

struct TrainerState {
  TrainerState(Network &N, Dataset &T, Dataset *V, TrainOptions O)
      : Net(N), Train(T), Valid(V ? V : &T), Options(std::move(O)) {}

  Network &Net;
  Dataset &Train;
  Dataset *Valid;
  TrainOptions Options;
  std::unique_ptr<Optimizer> Opt;
  TensorMap OptState;
  Tensor StepCounter;
  std::optional<Bound> Step, Eval;

  EpochReport Report;
  int64_t Epoch = 0, BestEpoch = -1, SinceBest = 0, Validated = -1;
  double Best = 1e100;
  TensorMap BestValues;
  std::string Stop;
  bool Finished = false;
  double Elapsed = 0;

  Function build(bool Training) const;
  Bound compile(const Function &F) const;
  void bindState(Bound &Fn);
  MonitorValues runEpoch(Bound &Fn, Dataset &D, bool Training);
  /// Validates the current parameters (epoch Epoch) into R; whether they
  /// are the best so far.
  bool validate(EpochReport &R);
  bool next();
  void finish();
  void checkData(Bound &Fn, Dataset &D) const;
  void maybeSave();
  /// The random-step counter from the network, and back.
  void loadStep() {
    StepCounter = Tensor::scalar(static_cast<double>(Net.Step), DType::I64);
  }
  void storeStep() { Net.Step = static_cast<int64_t>(StepCounter.at(0)); }
  const TensorMap &values() const { return Net.Values; }
};

} // namespace detail

namespace {

/// Regularizers without dropout and noise (validation, evaluation).
Regularizers deterministic(Regularizers R) {
  R.InputDropout = R.HiddenDropout = R.OutputDropout = 0;
  R.InputNoise = R.HiddenNoise = R.OutputNoise = 0;
  R.Dropout.clear();
  R.Noise.clear();
  return R;
}

std::string levelName(double L) {
  std::ostringstream S;
  S << L;
  return S.str();
}

/// theanets' user monitors on the outputs and params of a model graph.
void addMonitors(Function &F, ModelGraph &G, const Network &Net,
                 const std::vector<MonitorSpec> &Specs) {
  for (const MonitorSpec &M : Specs) {
    bool Matched = false;
    auto Add = [&](const std::string &Name, const Expr &E) {
      Matched = true;
      for (double L : M.Levels)
        F.output(Name + "<" + levelName(L),
                 mean(cast(less(E, L), F.floatType())));
    };
    for (const auto &[Name, E] : G.Ordered)
      if (globMatch(M.Pattern, Name))
        Add(Name, E);
    for (const std::string &P : Net.params())
      if (globMatch(M.Pattern, P))
        Add(P, G.param(P));
    if (!Matched)
      throw TypeError("monitor pattern '" + M.Pattern +
                      "' matches no output or parameter of the model");
  }
}

} // namespace

Function detail::TrainerState::build(bool Training) const {
  Function F(Training ? "train_step" : "evaluate", Net.floatType());
  Regularizers R = Training ? Options.Reg : deterministic(Options.Reg);
  ModelGraph G(Net, F, &R);
  G.connect();
  ModelGraph::Objective O = G.objective();
  G.outputMonitors(O);
  addMonitors(F, G, Net, Options.Monitors);
  if (Training) {
    std::vector<Expr> Params, Grads;
    for (const std::string &P : Net.params()) {
      Params.push_back(G.param(P));
      Grads.push_back(grad(O.Total, Params.back()));
      if (Options.MonitorGradients)
        F.output("grad(" + P + ")", sum(square(Grads.back())));
    }
    Opt->addUpdates(F, O.Total, Params, Grads);
  }
  G.addStepUpdate();
  return F;
}

detail::Bound detail::TrainerState::compile(const Function &F) const {
  CompiledFunction Fn = CompiledFunction::compile(F.graph());
  CallContext Ctx = Fn.newContext();
  Bindings B = Fn.newBindings();
  Bound Out{std::move(Fn), std::move(Ctx), std::move(B), {}, {}};
  const Graph &G = F.graph();
  for (NodeId A : G.arguments())
    if (G.node(A).Op == OpCode::Input)
      Out.Data.push_back(G.node(A).Attributes.getString("name"));
  for (const auto &[Name, Id] : G.outputs())
    if (G.node(Id).Type.Dims.empty())
      Out.Monitors.push_back(Name);
  return Out;
}

void detail::TrainerState::bindState(Bound &Fn) {
  for (const Bindings::Entry &E : Fn.B.arguments()) {
    if (auto It = Net.Values.find(E.Name); It != Net.Values.end())
      Fn.B.bindParam(E.Name, It->second);
    else if (auto S = OptState.find(E.Name); S != OptState.end())
      Fn.B.bindParam(E.Name, S->second);
    else if (E.Name == "step")
      Fn.B.bindParam(E.Name, StepCounter);
  }
}

void detail::TrainerState::checkData(Bound &Fn, Dataset &D) const {
  const Graph &G = Fn.Fn.fusedGraph();
  std::string Reads;
  for (const std::string &Name : Fn.Data)
    Reads += (Reads.empty() ? "" : ", ") + Name;
  for (const std::string &Name : Fn.Data) {
    if (!D.arrays().count(Name))
      throw RuntimeError("dataset '" + D.options().Name +
                         "' has no array '" + Name + "' (the model reads: " +
                         Reads + ")");
    NodeId A = G.findArgument(Name);
    D.conform(Name, G.node(A).Type.Dtype);
  }
  for (const auto &[Name, T] : D.arrays())
    if (std::find(Fn.Data.begin(), Fn.Data.end(), Name) == Fn.Data.end())
      throw RuntimeError("dataset '" + D.options().Name + "' has an array '" +
                         Name + "' the model does not read (it reads: " +
                         Reads + ")");
  // Labels must index the classifier's output: the compiled call would stop
  // at the first bad one, but naming the row is more helpful.
  if (const auto *C = dynamic_cast<const Classifier *>(&Net)) {
    int64_t Classes = Net.Layers.back()->size();
    for (const auto &[Name, T] : D.arrays())
      if (!isFloat(T.dtype()))
        for (int64_t I = 0; I < T.numel(); ++I)
          if (T.at(I) < 0 || T.at(I) >= static_cast<double>(Classes))
            throw RuntimeError(
                "dataset '" + D.options().Name + "': label " +
                std::to_string(static_cast<int64_t>(T.at(I))) + " in row " +
                std::to_string(D.originalRow(I / (T.numel() / D.rows()))) +
                " of '" + Name + "' is outside [0, " +
                std::to_string(Classes) + ")");
    (void)C;
  }
  for (const auto &[Name, T] : D.arrays())
    if (Name == "weights" || Name.ends_with("_weights")) {
      std::string Target = Name == "weights" ? Net.defaultTarget()
                                             : Name.substr(0, Name.size() - 8);
      if (D.arrays().count(Target))
        check_weights(T, D.arrays().at(Target).shape(), Name);
    }
}

MonitorValues detail::TrainerState::runEpoch(Bound &Fn, Dataset &D,
                                             bool Training) {
  std::vector<std::pair<int64_t, int64_t>> Batches = D.nextEpoch();
  std::vector<double> Sums(Fn.Monitors.size(), 0.0);
  std::vector<int64_t> Shape;
  int64_t Done = 0;
  for (auto [Begin, End] : Batches) {
    if (Begin < 0) {
      D.draw();
      checkData(Fn, D);
      Begin = 0;
      End = D.rows();
    }
    for (const std::string &Name : Fn.Data) {
      const Tensor &T = D.arrays().at(Name);
      Shape = T.shape();
      Shape[0] = End - Begin;
      Fn.B.bind(Name, static_cast<const char *>(T.raw()) + Begin * rowBytes(T),
                Shape, T.dtype());
    }
    try {
      Fn.Fn.call(Fn.Ctx, Fn.B);
    } catch (const RuntimeError &E) {
      throw RuntimeError("dataset '" + D.options().Name + "': " +
                         std::string(E.what()));
    }
    for (size_t I = 0; I < Fn.Monitors.size(); ++I)
      Sums[I] += Fn.Ctx.output(Fn.Monitors[I]).at(0);
    if (Training && Options.OnBatch)
      Options.OnBatch(Epoch, ++Done, static_cast<int64_t>(Batches.size()));
  }
  MonitorValues Out;
  for (size_t I = 0; I < Fn.Monitors.size(); ++I)
    Out[Fn.Monitors[I]] = Sums[I] / static_cast<double>(Batches.size());
  if (Training && !std::isfinite(Out.at("loss")))
    throw RuntimeError("training diverged: the loss is " +
                       std::to_string(Out.at("loss")) + " in epoch " +
                       std::to_string(Epoch) + " (lower the learning rate " +
                       "or clip gradients with max_gradient_norm)");
  return Out;
}

void detail::TrainerState::maybeSave() {
  if (Options.SaveEvery <= 0 || Options.SaveProgress.empty() ||
      Epoch % Options.SaveEvery != 0)
    return;
  std::string Path = Options.SaveProgress;
  if (size_t At = Path.find("{}"); At != std::string::npos)
    Path.replace(At, 2, std::to_string(std::time(nullptr)));
  saveModel(Net, Path, Options.Reg);
}

bool detail::TrainerState::validate(EpochReport &R) {
  MonitorValues V = runEpoch(*Eval, *Valid, false);
  double Loss = V.at("loss");
  R.Improved = Best - Loss > Best * Options.MinImprovement;
  if (R.Improved) {
    Best = Loss;
    BestEpoch = Epoch;
    BestValues = Net.Values;
    SinceBest = 0;
  } else {
    ++SinceBest;
  }
  Validated = Epoch;
  R.Valid = std::move(V);
  return R.Improved;
}

bool detail::TrainerState::next() {
  if (Finished)
    return false;
  auto Start = std::chrono::steady_clock::now();
  Report = EpochReport{};
  Report.Train = runEpoch(*Step, Train, true);
  Report.Epoch = ++Epoch;
  maybeSave();
  if (Epoch % Options.ValidateEvery == 0 && !validate(Report) &&
      SinceBest > Options.Patience)
    Stop = "patience";
  Elapsed += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           Start)
                 .count();
  Report.Seconds = Elapsed;
  if (Stop.empty() && Options.MaxUpdates > 0 && Epoch >= Options.MaxUpdates)
    Stop = "max_updates";
  if (Stop.empty() && Options.MaxSeconds > 0 && Elapsed >= Options.MaxSeconds)
    Stop = "max_seconds";
  if (Options.OnEpoch && !Options.OnEpoch(Report) && Stop.empty())
    Stop = "callback";
  if (!Stop.empty()) {
    finish();
    return false;
  }
  return true;
}

void detail::TrainerState::finish() {
  if (Finished)
    return;
  Finished = true;
  if (Stop.empty())
    Stop = "finish";
  // The epochs since the last validation may have improved on the best.
  if (Validated != Epoch) {
    if (Report.Epoch == Epoch && !Report.Valid) {
      validate(Report); // the last epoch's report gains its validation
    } else {
      EpochReport Final;
      Final.Epoch = Epoch;
      validate(Final);
    }
  }
  for (auto &[Name, T] : BestValues)
    std::memcpy(Net.Values.at(Name).raw(), T.raw(), T.nbytes());
}

//===----------------------------------------------------------------------===//
// Trainer
//===----------------------------------------------------------------------===//

Trainer::Trainer(Network &Net, Dataset &Train, Dataset *Valid, TrainOptions O)
    : S(std::make_unique<detail::TrainerState>(Net, Train, Valid,
                                               std::move(O))) {
  const TrainOptions &Opts = S->Options;
  if (Opts.ValidateEvery < 1)
    throw RuntimeError("validate_every must be at least 1, got " +
                       std::to_string(Opts.ValidateEvery));
  if (Opts.Patience < 0)
    throw RuntimeError("patience must not be negative, got " +
                       std::to_string(Opts.Patience));
  S->Opt = Optimizer::create(Opts.Algo, Opts.Hyper);
  S->loadStep();
  Function StepFn = S->build(true);
  S->OptState = S->Opt->initialState(S->values());
  S->Step.emplace(S->compile(StepFn));
  S->Eval.emplace(S->compile(S->build(false)));
  S->checkData(*S->Step, Train);
  S->checkData(*S->Eval, *S->Valid);
  S->bindState(*S->Step);
  S->bindState(*S->Eval);
  // theanets validates before the first update: epoch 0 is a candidate too.
  S->Report.Epoch = 0;
  S->validate(S->Report);
}

Trainer::Trainer(Trainer &&) noexcept = default;
Trainer::~Trainer() = default;

bool Trainer::next() {
  bool More = S->next();
  S->storeStep();
  return More;
}

const EpochReport &Trainer::report() const { return S->Report; }
double Trainer::bestLoss() const { return S->Best; }
int64_t Trainer::bestEpoch() const { return S->BestEpoch; }
void Trainer::finish() { S->finish(); }
const std::string &Trainer::stopReason() const { return S->Stop; }

std::pair<MonitorValues, MonitorValues>
train(Network &Net, Dataset &Train, Dataset *Valid, const TrainOptions &O) {
  Trainer T(Net, Train, Valid, O);
  MonitorValues LastTrain, LastValid;
  bool More = true;
  while (More) {
    More = T.next();
    if (!T.report().Train.empty())
      LastTrain = T.report().Train;
    if (T.report().Valid)
      LastValid = *T.report().Valid;
  }
  return {LastTrain, LastValid};
}

StepDump dumpTrainingStep(const Network &Net, const TrainOptions &O) {
  Dataset None(TensorMap{{"rows", Tensor(DType::F32, {1})}});
  detail::TrainerState S(const_cast<Network &>(Net), None, &None, O);
  S.Opt = Optimizer::create(O.Algo, O.Hyper);
  Function F = S.build(true);
  CompiledFunction Fn = CompiledFunction::compile(F.graph());
  return {F.str(), printGraph(Fn.fusedGraph()), Fn.llvmIR()};
}

MonitorValues evaluateDataset(const Network &Net, Dataset &Data,
                              const Regularizers &Reg,
                              const std::vector<MonitorSpec> &Monitors) {
  TrainOptions O;
  O.Reg = Reg;
  O.Monitors = Monitors;
  detail::TrainerState S(const_cast<Network &>(Net), Data, &Data, O);
  S.loadStep();
  S.Eval.emplace(S.compile(S.build(false)));
  S.checkData(*S.Eval, Data);
  S.bindState(*S.Eval);
  return S.runEpoch(*S.Eval, Data, false);
}

} // namespace netjit
