//===- cases.cpp - The cases of netjit-bench ------------------------------===//
//
// Each case owns its data for the whole of its timing and binds every side
// to it: netjit's compiled function through Bindings on the case's arrays
// (zero-copy; the outputs land in the case's gradient arrays), the
// baselines on the same arrays, libtorch on copies made once. Before any
// timing, every side runs once and its loss and gradients are compared with
// the baseline's; a disagreement beyond the tolerance is reported in the
// row (and makes netjit-bench exit non-zero), since timing two programs that
// compute different things means nothing.
//
//===----------------------------------------------------------------------===//
#include "bench/cases.h"

#include "bench/eigen_models.h"
#include "bench/graphs.h"
#include "bench/hand_losses.h"
#include "bench/problems.h"
#include "bench/train_cases.h"
#ifdef NETJIT_BENCH_HAVE_TORCH
#include "bench/torch_cases.h"
#endif

#include "codegen/compile_cache.h"
#include "codegen/compiled_function.h"
#include "ir/error.h"
#include "runtime/gemm.h"
#include "ir/parser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace netjit::bench {
namespace {

const char *kHandNote = "hand loop, g++ -O3 -march=native -ffast-math "
                        "(bench/hand_losses.cpp)";
const char *kEigenNote = "hand-written Eigen forward + backward, -O3 "
                         "-march=native (bench/eigen_models.cpp)";
const char *kNetjitNote = "CompiledFunction::call with Bindings (zero-copy), "
                          "default CompileOptions but UseCache = false";
const char *kTorchNote = "libtorch eager forward + torch::autograd::grad, "
                         "1 thread, default allocator";

/// A compiled graph with its call state; the bindings are set by the case.
struct Compiled {
  CompiledFunction F;
  CallContext Ctx;
  Bindings B;
  explicit Compiled(const std::string &Text)
      : F(CompiledFunction::compile(parseGraph(Text), uncached())),
        Ctx(F.newContext()), B(F.newBindings()) {}
  /// The timed functions leave the user's compile cache alone.
  static CompileOptions uncached() {
    CompileOptions O;
    O.UseCache = false;
    return O;
  }
  void call() { F.call(Ctx, B); }
};

std::vector<float> uniform(int64_t N, float Lo, float Hi, uint64_t Seed) {
  std::mt19937_64 Rng(Seed);
  std::uniform_real_distribution<float> D(Lo, Hi);
  std::vector<float> V(N);
  for (float &X : V)
    X = D(Rng);
  return V;
}

std::vector<int64_t> labels(int64_t N, int64_t Classes, uint64_t Seed) {
  std::mt19937_64 Rng(Seed);
  std::uniform_int_distribution<int64_t> D(0, Classes - 1);
  std::vector<int64_t> V(N);
  for (int64_t &X : V)
    X = D(Rng);
  return V;
}

/// Compares results with the baseline's: largest |got - want| relative to
/// the largest |want| of each array. Returns "" or what disagrees.
class Checker {
public:
  explicit Checker(double Tol) : Tol(Tol) {}
  void add(const char *Name, const float *Got, const float *Want, size_t N) {
    double Diff = 0, Scale = 0;
    for (size_t I = 0; I < N; ++I) {
      Diff = std::max(Diff, std::fabs(double(Got[I]) - double(Want[I])));
      Scale = std::max(Scale, std::fabs(double(Want[I])));
      if (std::isnan(Got[I]) != std::isnan(Want[I]))
        Diff = INFINITY;
    }
    double Rel = Scale > 0 ? Diff / Scale : Diff;
    Worst = std::max(Worst, Rel);
    if (!(Rel <= Tol)) {
      char Buf[96];
      std::snprintf(Buf, sizeof Buf, "%s%s off by %.3g (relative)",
                    Problems.empty() ? "" : "; ", Name, Rel);
      Problems += Buf;
    }
  }
  const std::string &problems() const { return Problems; }
  double worst() const { return Worst; }

private:
  double Tol, Worst = 0;
  std::string Problems;
};

class Runner {
public:
  Runner(const Options &O, const std::regex &Filter) : Opt(O), Filter(Filter) {}

  bool selected(const std::string &Case) const {
    return std::regex_search(Case, Filter);
  }
  /// Times the sides, records the check results in the rows (side I > 0
  /// gets Checks[I - 1]) and keeps the rows.
  std::vector<Row> &time(const std::string &Case, const std::vector<Impl> &I,
                         const std::vector<Checker> &Checks,
                         int MinBatches = 5) {
    std::fprintf(stderr, "netjit-bench: %s\n", Case.c_str());
    std::vector<Row> R = compareInterleaved(Case, I, Opt, MinBatches);
    for (size_t K = 1; K < R.size() && K - 1 < Checks.size(); ++K) {
      R[K].Mismatch = Checks[K - 1].problems();
      R[K].Extras.emplace_back("max_rel_diff", Checks[K - 1].worst());
    }
    Last = std::move(R);
    return Last;
  }
  void keep() { Rows.insert(Rows.end(), Last.begin(), Last.end()); }

  Options Opt;
  std::regex Filter;
  std::vector<Row> Rows, Last;
  double GemmPeakGflops = 0;
};

float handLoss(const LossProblem &P, float *Grad) {
  if (P.Kind == "mse")
    return handMse(P.Y, P.T, Grad, P.elements());
  if (P.Kind == "mae")
    return handMae(P.Y, P.T, Grad, P.elements());
  if (P.Kind == "hinge")
    return handHinge(P.Y, P.T, Grad, P.elements());
  return handXent(P.Y, P.Labels, Grad, P.Rows, P.Cols);
}

std::string lossGraph(const std::string &Kind, int64_t Cols) {
  if (Kind == "mse")
    return kMseGraph;
  if (Kind == "mae")
    return kMaeGraph;
  if (Kind == "hinge")
    return kHingeGraph;
  return xentGraph(Cols);
}

void lossCase(Runner &R, const std::string &Kind, int64_t Rows, int64_t Cols) {
  std::string Name =
      "loss/" + Kind + "/" +
      (Kind == "xent" ? std::to_string(Rows) + "x" + std::to_string(Cols)
                      : "n=" + std::to_string(Rows * Cols));
  if (!R.selected(Name))
    return;
  LossProblem P;
  P.Kind = Kind;
  P.Rows = Rows;
  P.Cols = Cols;
  int64_t N = P.elements();
  std::vector<float> Y = uniform(N, -2, 2, 1), T;
  std::vector<int64_t> L;
  if (Kind == "xent") {
    L = labels(Rows, Cols, 3);
  } else {
    T = uniform(N, -2, 2, 2);
    if (Kind == "hinge")
      for (float &X : T)
        X = X < 0 ? -1.0f : 1.0f;
  }
  P.Y = Y.data();
  P.T = T.data();
  P.Labels = L.data();

  float HandL = 0, NjL = 0;
  std::vector<float> HandG(N), NjG(N);
  std::vector<Impl> Impls = {
      {"hand", [&] { HandL = handLoss(P, HandG.data()); }, kHandNote}};

  Compiled C(lossGraph(Kind, Cols));
  if (Kind == "xent") {
    C.B.bind("y", Y.data(), {Rows, Cols}, DType::F32);
    C.B.bind("labels", L.data(), {Rows}, DType::I64);
    C.B.bindOutput("dy", NjG.data(), {Rows, Cols}, DType::F32);
  } else {
    C.B.bind("y", Y.data(), {N}, DType::F32);
    C.B.bind("t", T.data(), {N}, DType::F32);
    C.B.bindOutput("dy", NjG.data(), {N}, DType::F32);
  }
  C.B.bindOutput("loss", &NjL, {}, DType::F32);
  Impls.push_back({"netjit", [&] { C.call(); }, kNetjitNote});

  std::vector<Checker> Checks;
  auto check = [&](float Loss, const std::vector<float> &G) {
    Checker K(1e-4);
    K.add("loss", &Loss, &HandL, 1);
    K.add("gradient", G.data(), HandG.data(), G.size());
    Checks.push_back(K);
  };
  Impls[0].Run();
  Impls[1].Run();
  check(NjL, NjG);
#ifdef NETJIT_BENCH_HAVE_TORCH
  float TorchL = 0;
  std::vector<float> TorchG(N);
  TorchImpl TI = torchLoss(P, &TorchL, TorchG.data());
  TI.Run();
  TI.Fetch();
  check(TorchL, TorchG);
  Impls.push_back({"libtorch", TI.Run, kTorchNote});
#endif
  std::vector<Row> &Out = R.time(Name, Impls, Checks);
  addRate(Out, "gbps", P.bytes(), 1e9);
  R.keep();
}

/// A two-layer network's data, gradients and sides.
struct TwoLayerData {
  std::vector<float> X, Y, W1, B1, W2, B2;
  std::vector<int64_t> Labels;
  TwoLayerProblem P;

  explicit TwoLayerData(TwoLayerProblem Shape) : P(Shape) {
    float Scale1 = 1.0f / std::sqrt(float(P.In)),
          Scale2 = 1.0f / std::sqrt(float(P.Hidden));
    X = uniform(P.Batch * P.In, -1, 1, 11);
    W1 = uniform(P.In * P.Hidden, -Scale1, Scale1, 12);
    B1 = uniform(P.Hidden, -0.1f, 0.1f, 13);
    W2 = uniform(P.Hidden * P.Out, -Scale2, Scale2, 14);
    B2 = uniform(P.Out, -0.1f, 0.1f, 15);
    if (P.Xent)
      Labels = labels(P.Batch, P.Out, 16);
    else
      Y = uniform(P.Batch * P.Out, -1, 1, 17);
    P.X = X.data();
    P.Y = Y.data();
    P.Labels = Labels.data();
    P.W1 = W1.data();
    P.B1 = B1.data();
    P.W2 = W2.data();
    P.B2 = B2.data();
  }
};

struct GradArrays {
  float Loss = 0;
  std::vector<float> DW1, DB1, DW2, DB2;
  explicit GradArrays(const TwoLayerProblem &P)
      : DW1(P.In * P.Hidden), DB1(P.Hidden), DW2(P.Hidden * P.Out), DB2(P.Out) {
  }
  TwoLayerGrads pointers() {
    return {&Loss, DW1.data(), DB1.data(), DW2.data(), DB2.data()};
  }
  Checker against(const GradArrays &Want, double Tol) const {
    Checker K(Tol);
    K.add("loss", &Loss, &Want.Loss, 1);
    K.add("dw1", DW1.data(), Want.DW1.data(), DW1.size());
    K.add("db1", DB1.data(), Want.DB1.data(), DB1.size());
    K.add("dw2", DW2.data(), Want.DW2.data(), DW2.size());
    K.add("db2", DB2.data(), Want.DB2.data(), DB2.size());
    return K;
  }
};

void twoLayerCase(Runner &R, const std::string &Name, TwoLayerProblem Shape,
                  const char *Graph) {
  if (!R.selected(Name))
    return;
  TwoLayerData D(Shape);
  const TwoLayerProblem &P = D.P;
  GradArrays Want(P), Nj(P);
  std::vector<Impl> Impls = {
      {"eigen", eigenTwoLayer(P, Want.pointers()), kEigenNote}};

  Compiled C(Graph);
  C.B.bind("x", D.X.data(), {P.Batch, P.In}, DType::F32);
  if (P.Xent)
    C.B.bind("labels", D.Labels.data(), {P.Batch}, DType::I64);
  else
    C.B.bind("y", D.Y.data(), {P.Batch, P.Out}, DType::F32);
  C.B.bind("w1", D.W1.data(), {P.In, P.Hidden}, DType::F32);
  C.B.bind("b1", D.B1.data(), {P.Hidden}, DType::F32);
  C.B.bind("w2", D.W2.data(), {P.Hidden, P.Out}, DType::F32);
  C.B.bind("b2", D.B2.data(), {P.Out}, DType::F32);
  C.B.bindOutput("loss", &Nj.Loss, {}, DType::F32);
  C.B.bindOutput("dw1", Nj.DW1.data(), {P.In, P.Hidden}, DType::F32);
  C.B.bindOutput("db1", Nj.DB1.data(), {P.Hidden}, DType::F32);
  C.B.bindOutput("dw2", Nj.DW2.data(), {P.Hidden, P.Out}, DType::F32);
  C.B.bindOutput("db2", Nj.DB2.data(), {P.Out}, DType::F32);
  Impls.push_back({"netjit", [&] { C.call(); }, kNetjitNote});

  // f32 GEMMs of depth up to 784 summed in another order: 1e-4 of the
  // largest gradient is far above rounding and far below any real bug.
  const double Tol = 1e-4;
  Impls[0].Run();
  Impls[1].Run();
  std::vector<Checker> Checks = {Nj.against(Want, Tol)};
#ifdef NETJIT_BENCH_HAVE_TORCH
  GradArrays Torch(P);
  TorchImpl TI = torchTwoLayer(P, Torch.pointers());
  TI.Run();
  TI.Fetch();
  Checks.push_back(Torch.against(Want, Tol));
  Impls.push_back({"libtorch", TI.Run, kTorchNote});
#endif
  std::vector<Row> &Out = R.time(Name, Impls, Checks);
  addRate(Out, "gflops", P.gemmFlops(), 1e9);
  if (R.GemmPeakGflops > 0)
    for (Row &Row : Out)
      Row.Extras.emplace_back("gemm_peak_fraction", P.gemmFlops() /
                                                        Row.MedianSeconds /
                                                        1e9 / R.GemmPeakGflops);
  R.keep();
}

void gemmPeakCase(Runner &R) {
  const int64_t N = 1024;
  std::string Name = "gemm/peak/n=" + std::to_string(N);
  if (!R.selected(Name))
    return;
  std::vector<Impl> Impls = {
      {"eigen", eigenSquareGemm(N),
       "Eigen sgemm C = A B, row-major, -O3 -march=native, 1 thread"}};
  std::vector<Row> &Out = R.time(Name, Impls, {});
  double Flops = 2.0 * double(N) * double(N) * double(N);
  addRate(Out, "gflops", Flops, 1e9);
  R.GemmPeakGflops = Flops / Out[0].MedianSeconds / 1e9;
  R.keep();
}

/// A fresh directory for the disk cache, removed with the object.
class TempDir {
public:
  TempDir() {
    std::string Pattern =
        (std::filesystem::temp_directory_path() / "netjit-bench-XXXXXX")
            .string();
    if (!mkdtemp(Pattern.data()))
      throw Error("netjit-bench: cannot create a directory like '" + Pattern +
                  "'");
    Path = Pattern;
  }
  ~TempDir() {
    std::error_code Ignored;
    std::filesystem::remove_all(Path, Ignored);
  }
  std::string Path;
};

void compileCase(Runner &R) {
  std::string Name = "compile/mlp";
  if (!R.selected(Name))
    return;
  Graph G = parseGraph(kMlpGraph);
  TempDir Dir;
  CompileOptions Cold, Cached;
  Cold.UseCache = false;
  Cached.CacheDir = Dir.Path;
  CompiledFunction::compile(G, Cached); // writes the disk entry
  const char *What = "CompiledFunction::compile of the mlp loss + 4 "
                     "gradients (graph parsed once): ";
  std::vector<Impl> Impls = {
      {"cold", [&] { CompiledFunction::compile(G, Cold); },
       std::string(What) + "from scratch (UseCache = false)"},
      {"disk",
       [&] {
         clearCompileCache();
         CompiledFunction::compile(G, Cached);
       },
       std::string(What) + "from a warm disk cache entry (memory cache "
                           "cleared first)"},
      {"memory", [&] { CompiledFunction::compile(G, Cached); },
       std::string(What) + "memory cache hit"}};
  resetCompileCacheStats();
  std::vector<Row> &Out = R.time(Name, Impls, {}, 1);
  // Every disk-side call must have been a disk hit, every cold one a compile.
  CompileCacheStats S = compileCacheStats();
  if (S.DiskHits == 0 || S.DiskRejects != 0)
    Out[1].Mismatch = "the disk cache was not used (" +
                      std::to_string(S.DiskHits) + " disk hits, " +
                      std::to_string(S.DiskRejects) + " rejects)";
  Out[0].Extras.emplace_back("compiles", double(S.Compiles));
  Out[1].Extras.emplace_back("disk_hits", double(S.DiskHits));
  R.keep();
}

void tinyCase(Runner &R) {
  std::string Name = "tiny/add-one";
  if (!R.selected(Name))
    return;
  float X = 2.0f, HandY = 0, NjY = 0;
  Compiled C(kTinyGraph);
  C.B.bind("x", &X, {1}, DType::F32);
  C.B.bindOutput("y", &NjY, {1}, DType::F32);
  const double Two[] = {2.0};
  TensorMap Inputs = {{"x", Tensor::fromValues(DType::F32, {1}, Two)}};
  TensorMap Params;
  std::vector<Impl> Impls = {
      {"hand", [&] { handAddOne(&X, &HandY, 1); },
       "y[0] = x[0] + 1 in a separate translation unit, called through "
       "std::function like every side"},
      {"netjit", [&] { C.call(); }, kNetjitNote},
      {"netjit-tm", [&] { C.F.call(C.Ctx, Inputs, Params); },
       "CompiledFunction::call with TensorMaps (allocates the outputs)"}};
  for (const Impl &I : Impls)
    I.Run();
  Checker K(0);
  K.add("y", &NjY, &HandY, 1);
  Checker KT(0);
  float TmY = static_cast<float>(C.Ctx.output("y").at(0));
  KT.add("y", &TmY, &HandY, 1);
  std::vector<Row> &Out = R.time(Name, Impls, {K, KT});
  for (Row &Row : Out)
    Row.Extras.emplace_back("overhead_ns",
                            (Row.MedianSeconds - Out[0].MedianSeconds) * 1e9);
  R.keep();
}

} // namespace

std::vector<std::string> caseNames() {
  return {"tiny/add-one",         "loss/mse/n=1024",    "loss/mse/n=1048576",
          "loss/mae/n=1024",      "loss/mae/n=1048576", "loss/hinge/n=1024",
          "loss/hinge/n=1048576", "loss/xent/16x64",    "loss/xent/16384x64",
          "gemm/peak/n=1024",     "mlp/b=32",           "mlp/b=256",
          "regressor/b=64",       "compile/mlp",        kTrainCase};
}

bool optInCase(const std::string &Name) { return Name == kTrainCase; }

std::vector<Row> runCases(const Options &O, const std::regex &Filter,
                          bool FilterGiven) {
  Runner R(O, Filter);
  // One thread on every side: netjit's GEMM would otherwise split large
  // products over two (runtime/gemm.h).
  eigenSetThreads(1);
  setGemmThreads(1);
#ifdef NETJIT_BENCH_HAVE_TORCH
  torchInit();
#endif
  tinyCase(R);
  for (const char *Kind : {"mse", "mae", "hinge"}) {
    lossCase(R, Kind, 1, 1024);
    lossCase(R, Kind, 1, 1 << 20);
  }
  lossCase(R, "xent", 16, 64);
  lossCase(R, "xent", 16384, 64);
  gemmPeakCase(R);
  TwoLayerProblem Mlp;
  Mlp.In = 784;
  Mlp.Hidden = 256;
  Mlp.Out = 10;
  Mlp.Xent = true;
  for (int64_t Batch : {32, 256}) {
    Mlp.Batch = Batch;
    twoLayerCase(R, "mlp/b=" + std::to_string(Batch), Mlp, kMlpGraph);
  }
  TwoLayerProblem Reg;
  Reg.Batch = 64;
  Reg.In = 10;
  Reg.Hidden = 20;
  Reg.Out = 3;
  Reg.Tanh = true;
  twoLayerCase(R, "regressor/b=64", Reg, kRegressorGraph);
  compileCase(R);
  if (FilterGiven && R.selected(kTrainCase)) {
    std::vector<Row> Train = trainFashionMnist();
    R.Rows.insert(R.Rows.end(), Train.begin(), Train.end());
  }
  return R.Rows;
}

std::string torchVersion() {
#ifdef NETJIT_BENCH_HAVE_TORCH
  return torchInit();
#else
  return "";
#endif
}

} // namespace netjit::bench
