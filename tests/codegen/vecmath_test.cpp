//===- vecmath_test.cpp - Vector math: accuracy, special values, SIMD -----===//
//
// Every function of codegen/vecmath.h is JIT-compiled inside a loop over an
// array and checked against a reference computed in a wider type with glibc
// (double for f32, long double for f64), in ulps of the exact result, over
// 2^24 f32 bit patterns spread evenly over all 2^32 (NaNs, infinities and
// subnormals included); 2^20 f64 bit patterns spread likewise plus 2^20
// doubles of moderate magnitude; and every branch boundary of the algorithms
// (the exp reduction's switches of n, powers of two, sqrt(2) multiples, the
// clamps) with neighbours. netjit.expneg must equal netjit.exp bit for bit
// on every input <= 0 or NaN. NETJIT_EXHAUSTIVE=1 runs all 2^32 floats and
// 2^28 doubles. Special values are compared exactly (signed zeros
// included). The O3 IR of each loop must be full-width vector code with no
// calls, and NETJIT_VECMATH_BENCH=1 prints throughput against glibc's scalar
// functions.
//
//===----------------------------------------------------------------------===//
#include "codegen/jit.h"
#include "codegen/vecmath.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <sstream>
#include <vector>

namespace netjit {
namespace {

//===----------------------------------------------------------------------===//
// References and the error measure
//===----------------------------------------------------------------------===//

template <class R> R sigmoidRef(R X) {
  if (X < 0) {
    R E = std::exp(X);
    return E / (1 + E);
  }
  return 1 / (1 + std::exp(-X));
}
template <class R> R softplusRef(R X) {
  return (X > 0 ? X : R(0)) + std::log1p(std::exp(-std::fabs(X)));
}

template <class T> struct Traits;
template <> struct Traits<float> {
  using Bits = uint32_t;
  using Ref = double; // 29 more bits than float
  static constexpr DType Type = DType::F32;
  static constexpr const char *IR = "float";
};
template <> struct Traits<double> {
  using Bits = uint64_t;
  using Ref = long double; // 11 more bits than double
  static constexpr DType Type = DType::F64;
  static constexpr const char *IR = "double";
};

struct MathCase {
  OpCode Op;
  const char *Name;
  double (*Ref32)(double);
  long double (*Ref64)(long double);
};

const MathCase Cases[] = {
    {OpCode::Exp, "exp", [](double X) { return std::exp(X); },
     [](long double X) { return std::exp(X); }},
    {OpCode::Log, "log", [](double X) { return std::log(X); },
     [](long double X) { return std::log(X); }},
    {OpCode::Log1p, "log1p", [](double X) { return std::log1p(X); },
     [](long double X) { return std::log1p(X); }},
    {OpCode::Expm1, "expm1", [](double X) { return std::expm1(X); },
     [](long double X) { return std::expm1(X); }},
    {OpCode::Tanh, "tanh", [](double X) { return std::tanh(X); },
     [](long double X) { return std::tanh(X); }},
    {OpCode::Sigmoid, "sigmoid", sigmoidRef<double>, sigmoidRef<long double>},
    {OpCode::Softplus, "softplus", softplusRef<double>,
     softplusRef<long double>},
};

const MathCase *caseFor(OpCode Op) {
  for (const MathCase &C : Cases)
    if (C.Op == Op)
      return &C;
  return nullptr;
}

template <class T> typename Traits<T>::Ref reference(const MathCase &C, T X) {
  if constexpr (std::is_same_v<T, float>)
    return C.Ref32(X);
  else
    return C.Ref64(X);
}

/// The spacing of T's numbers at |V| (the largest binade's for overflow).
template <class T> typename Traits<T>::Ref ulpOf(typename Traits<T>::Ref V) {
  using L = std::numeric_limits<T>;
  V = std::fabs(V);
  if (V < L::min())
    return L::denorm_min();
  int E = std::min(std::ilogb(V), L::max_exponent - 1);
  return std::ldexp(typename Traits<T>::Ref(1), E - (L::digits - 1));
}

/// |Y - Exact| in ulps of Exact; infinite for a wrong NaN or infinity.
template <class T> double ulpError(T Y, typename Traits<T>::Ref Exact) {
  constexpr double Inf = std::numeric_limits<double>::infinity();
  if (std::isnan(Exact) || std::isnan(Y))
    return std::isnan(Exact) && std::isnan(Y) ? 0.0 : Inf;
  T Rounded = static_cast<T>(Exact);
  if (std::isinf(Y))
    return Y == Rounded ? 0.0 : Inf;
  if (std::isinf(Exact))
    return Inf;
  return static_cast<double>(std::fabs(Y - Exact) / ulpOf<T>(Exact));
}

//===----------------------------------------------------------------------===//
// The JIT-compiled loops
//===----------------------------------------------------------------------===//

/// `void @Sym(ptr %in, ptr %out, i64 %n)`: out[i] = Fn(in[i]); with
/// FixedN > 0 the trip count is that constant instead of %n.
std::string applyLoopIR(const std::string &Fn, const std::string &Sym,
                        const char *Ty, int FixedN) {
  std::string N = FixedN > 0 ? std::to_string(FixedN) : "%n";
  std::ostringstream OS;
  OS << "define void @" << Sym << "(ptr noalias nocapture readonly %in, "
     << "ptr noalias nocapture writeonly %out, i64 %n) {\n"
     << "entry:\n  %has = icmp sgt i64 " << N << ", 0\n"
     << "  br i1 %has, label %loop, label %exit\n"
     << "loop:\n  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]\n"
     << "  %pi = getelementptr inbounds " << Ty << ", ptr %in, i64 %i\n"
     << "  %x = load " << Ty << ", ptr %pi\n"
     << "  %y = call " << Ty << " @" << Fn << "(" << Ty << " %x)\n"
     << "  %po = getelementptr inbounds " << Ty << ", ptr %out, i64 %i\n"
     << "  store " << Ty << " %y, ptr %po\n"
     << "  %i.next = add nuw nsw i64 %i, 1\n"
     << "  %done = icmp eq i64 %i.next, " << N << "\n"
     << "  br i1 %done, label %exit, label %loop\n"
     << "exit:\n  ret void\n}\n\n";
  return OS.str();
}

template <class T> using ApplyFn = void (*)(const T *, T *, int64_t);

/// Symbols are process-wide in the Jit: the type is part of the name.
template <class T> std::string applySymbol(const MathCase &C) {
  return std::string("apply_") + C.Name + "_" + Traits<T>::IR;
}

template <class T> std::string expNonPositiveSymbol() {
  return std::string("apply_expneg_") + Traits<T>::IR;
}

/// One module per type with an apply loop for every function.
template <class T> JitModule compileAll(Jit &J) {
  DType Ty = Traits<T>::Type;
  std::string IR = vecmathIR(Ty);
  for (const MathCase &C : Cases)
    IR += applyLoopIR(vecmathFunction(C.Op, Ty), applySymbol<T>(C),
                      Traits<T>::IR, 0);
  IR += applyLoopIR(vecmathExpNonPositive(Ty), expNonPositiveSymbol<T>(),
                    Traits<T>::IR, 0);
  return J.addModule(IR, std::string("vecmath_") + Traits<T>::IR);
}

class VecmathTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    TheJit = Jit::create();
    Module32 = compileAll<float>(*TheJit);
    Module64 = compileAll<double>(*TheJit);
  }
  static void TearDownTestSuite() {
    Module32.reset();
    Module64.reset();
    TheJit.reset();
  }
  template <class T> static ApplyFn<T> apply(const MathCase &C) {
    const JitModule &M = std::is_same_v<T, float> ? Module32 : Module64;
    return M.lookupAs<ApplyFn<T>>(applySymbol<T>(C));
  }
  template <class T> static ApplyFn<T> applyExpNonPositive() {
    const JitModule &M = std::is_same_v<T, float> ? Module32 : Module64;
    return M.lookupAs<ApplyFn<T>>(expNonPositiveSymbol<T>());
  }
  /// netjit.expneg on the inputs of X that are <= 0 or NaN must give
  /// netjit.exp's bits; returns how many it checked.
  template <class T>
  static size_t checkExpNonPositive(const std::vector<T> &X) {
    std::vector<T> In;
    for (T V : X)
      if (!(V > 0))
        In.push_back(V);
    std::vector<T> Want(In.size()), Got(In.size());
    int64_t N = static_cast<int64_t>(In.size());
    apply<T> (*caseFor(OpCode::Exp))(In.data(), Want.data(), N);
    applyExpNonPositive<T>()(In.data(), Got.data(), N);
    using B = typename Traits<T>::Bits;
    size_t Bad = 0;
    for (size_t I = 0; I < In.size(); ++I) {
      bool Same = std::isnan(Want[I])
                      ? std::isnan(Got[I])
                      : std::bit_cast<B>(Got[I]) == std::bit_cast<B>(Want[I]);
      if (!Same && Bad++ < 5)
        ADD_FAILURE() << "expneg(" << In[I] << ") = " << Got[I]
                      << ", exp gives " << Want[I];
    }
    return In.size();
  }
  static std::unique_ptr<Jit> TheJit;
  static JitModule Module32, Module64;
};
std::unique_ptr<Jit> VecmathTest::TheJit;
JitModule VecmathTest::Module32, VecmathTest::Module64;

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

template <class T> T fromBits(typename Traits<T>::Bits B) {
  return std::bit_cast<T>(B);
}

/// X and its Radius neighbours on each side (as bit patterns), both signs.
template <class T> void addNeighbours(std::vector<T> &Out, T X, int Radius) {
  using B = typename Traits<T>::Bits;
  for (T S : {X, -X})
    for (int D = -Radius; D <= Radius; ++D)
      Out.push_back(fromBits<T>(std::bit_cast<B>(S) + static_cast<B>(D)));
}

/// Special values and every branch boundary of the algorithms, with
/// neighbours.
template <class T> std::vector<T> boundaryInputs() {
  using L = std::numeric_limits<T>;
  std::vector<T> Out = {
      T(0),           -T(0),           L::infinity(),     -L::infinity(),
      L::quiet_NaN(), -L::quiet_NaN(), L::signaling_NaN()};
  const T Ln2 = T(0.693147180559945309417L);
  const T Sqrt2 = T(1.41421356237309504880L);
  for (T X : {L::denorm_min(), L::min(), L::max(), Sqrt2, Sqrt2 / 2, Sqrt2 - 1,
              Sqrt2 / 2 - 1})
    addNeighbours(Out, X, 16);
  // The clamps, and where exp's result rounds to inf or to 0 in f32 and f64
  // (ln((2 - 2^-24) 2^127), -ln 2^-150, ... by mpmath).
  for (long double P :
       {0.5L, 1.0L, 10.0L, 20.0L, 40.0L, 89.0L, 104.0L, 710.0L, 746.0L,
        88.7228390818706767736L, 103.972077083991796413L,
        709.782712893383996788L, 745.133219101941207624L})
    addNeighbours(Out, static_cast<T>(P), 16);
  for (T X : {L::denorm_min() * 0x1p20f, L::min() - L::denorm_min()})
    addNeighbours(Out, X, 4);
  // The reduction switches n at (k + 1/2) ln2; expm1 inside tanh at half of
  // that; log's exponent at powers of two and at sqrt(2) times them.
  for (int K = -1080; K <= 1030; ++K) {
    T Mid = (T(K) + T(0.5)) * Ln2;
    addNeighbours(Out, Mid, 2);
    addNeighbours(Out, Mid / 2, 2);
    T P = std::ldexp(T(1), K);
    if (P != 0 && std::isfinite(P)) {
      addNeighbours(Out, P, 2);
      addNeighbours(Out, P * Sqrt2, 2);
    }
  }
  return Out;
}

/// Count bit patterns spread evenly over the whole type, each moved by a
/// pseudo-random offset within its stride.
template <class T>
std::vector<T> evenBitPatterns(uint64_t Count, uint64_t Seed = 0) {
  using B = typename Traits<T>::Bits;
  const int BitsTotal = sizeof(B) * 8;
  const int Shift = BitsTotal - std::countr_zero(Count);
  std::vector<T> Out(Count);
  std::mt19937_64 Rng(2024 + Seed);
  for (uint64_t I = 0; I < Count; ++I) {
    uint64_t Offset = Rng() >> (64 - Shift);
    Out[I] = fromBits<T>(static_cast<B>((I << Shift) | Offset));
  }
  return Out;
}

/// Count doubles of magnitude 2^-60 .. 2^11 with random sign and mantissa:
/// where the f64 functions do their work.
std::vector<double> moderateDoubles(uint64_t Count, uint64_t Seed = 0) {
  std::mt19937_64 Rng(7 + Seed);
  std::vector<double> Out(Count);
  for (double &X : Out) {
    uint64_t R = Rng();
    int E = static_cast<int>(R % 72) - 60;
    double M = 1 + static_cast<double>(Rng() >> 12) * 0x1p-52;
    X = std::ldexp((R >> 63) ? -M : M, E);
  }
  return Out;
}

//===----------------------------------------------------------------------===//
// Sweeps
//===----------------------------------------------------------------------===//

template <class T> struct Worst {
  double Ulps = 0;
  T X = 0, Y = 0;
  typename Traits<T>::Ref Exact = 0;
  std::string describe() const {
    std::ostringstream OS;
    OS.precision(std::numeric_limits<T>::max_digits10);
    OS << Ulps << " ulps at x = " << X << " (got " << Y << ", exact "
       << static_cast<double>(Exact) << ")";
    return OS.str();
  }
};

template <class T>
void sweep(ApplyFn<T> Fn, const MathCase &C, const std::vector<T> &X,
           Worst<T> &W) {
  std::vector<T> Y(X.size());
  Fn(X.data(), Y.data(), static_cast<int64_t>(X.size()));
  for (size_t I = 0; I < X.size(); ++I) {
    auto Exact = reference(C, X[I]);
    double E = ulpError(Y[I], Exact);
    if (E > W.Ulps)
      W = Worst<T>{E, X[I], Y[I], Exact};
  }
}

/// Checks W against the stated bound and prints it.
template <class T> void report(const MathCase &C, const Worst<T> &W) {
  double Bound = vecmathMaxUlps(C.Op, Traits<T>::Type);
  EXPECT_LE(W.Ulps, Bound) << C.Name << "." << Traits<T>::IR << ": "
                           << W.describe();
  std::printf("[ vecmath  ] %s.%s: max %.3f ulps (stated %.1f), %s\n", C.Name,
              Traits<T>::IR, W.Ulps, Bound, W.describe().c_str());
  std::fflush(stdout);
}

template <class T>
void checkAccuracy(ApplyFn<T> Fn, const MathCase &C,
                   const std::vector<std::vector<T>> &Inputs) {
  Worst<T> W;
  for (const std::vector<T> &X : Inputs)
    sweep(Fn, C, X, W);
  report(C, W);
}

TEST_F(VecmathTest, F32AccuracyOverTheWholeRange) {
  std::vector<std::vector<float>> Inputs = {evenBitPatterns<float>(1u << 24),
                                            boundaryInputs<float>()};
  for (const MathCase &C : Cases)
    checkAccuracy(apply<float>(C), C, Inputs);
}

TEST_F(VecmathTest, F64AccuracyOverTheWholeRange) {
  std::vector<std::vector<double>> Inputs = {evenBitPatterns<double>(1u << 20),
                                             moderateDoubles(1u << 20),
                                             boundaryInputs<double>()};
  for (const MathCase &C : Cases)
    checkAccuracy(apply<double>(C), C, Inputs);
}

TEST_F(VecmathTest, ExpOfNonPositiveArgumentsIsExpBitForBit) {
  // Kernels call netjit.expneg for softmax's exp(x - max(x)); on its domain
  // it must be netjit.exp exactly (so exp's accuracy checks cover it).
  size_t N32 = checkExpNonPositive(evenBitPatterns<float>(1u << 24)) +
               checkExpNonPositive(boundaryInputs<float>());
  size_t N64 = checkExpNonPositive(evenBitPatterns<double>(1u << 20)) +
               checkExpNonPositive(moderateDoubles(1u << 20)) +
               checkExpNonPositive(boundaryInputs<double>());
  EXPECT_GT(N32, size_t(1) << 23);
  EXPECT_GT(N64, size_t(1) << 20);
}

TEST_F(VecmathTest, F32ExhaustiveWhenAsked) {
  const char *Env = std::getenv("NETJIT_EXHAUSTIVE");
  if (!Env || std::string(Env) != "1")
    GTEST_SKIP() << "set NETJIT_EXHAUSTIVE=1 to check all 2^32 floats";
  std::vector<float> X(1u << 24);
  for (const MathCase &C : Cases) {
    Worst<float> W;
    for (uint64_t Chunk = 0; Chunk < 256; ++Chunk) {
      for (uint32_t I = 0; I < X.size(); ++I)
        X[I] = fromBits<float>(static_cast<uint32_t>(Chunk << 24) | I);
      sweep(apply<float>(C), C, X, W);
      if (C.Op == OpCode::Exp && Chunk >= 128) // every negative float
        checkExpNonPositive(X);
    }
    report(C, W);
  }
}

TEST_F(VecmathTest, F64LargeSampleWhenAsked) {
  const char *Env = std::getenv("NETJIT_EXHAUSTIVE");
  if (!Env || std::string(Env) != "1")
    GTEST_SKIP() << "set NETJIT_EXHAUSTIVE=1 to check 2^28 doubles";
  for (const MathCase &C : Cases) {
    Worst<double> W;
    for (uint64_t Chunk = 0; Chunk < 16; ++Chunk) {
      sweep(apply<double>(C), C, evenBitPatterns<double>(1u << 22, Chunk), W);
      sweep(apply<double>(C), C, moderateDoubles(1u << 24, Chunk), W);
    }
    report(C, W);
  }
}

//===----------------------------------------------------------------------===//
// Special values, compared bit for bit (any NaN matches any NaN)
//===----------------------------------------------------------------------===//

struct Special {
  OpCode Op;
  double X, Expected;
};

template <class T>
void checkSpecials(const Special *Begin, const Special *End,
                   ApplyFn<T> (*Get)(OpCode)) {
  for (const Special *S = Begin; S != End; ++S) {
    T X = static_cast<T>(S->X), Want = static_cast<T>(S->Expected), Got;
    Get(S->Op)(&X, &Got, 1);
    std::string Where = vecmathFunction(S->Op, Traits<T>::Type) + "(" +
                        std::to_string(X) + (std::signbit(X) ? " neg" : "") +
                        ")";
    if (std::isnan(Want))
      EXPECT_TRUE(std::isnan(Got)) << Where << " = " << Got;
    else
      EXPECT_EQ(std::bit_cast<typename Traits<T>::Bits>(Got),
                std::bit_cast<typename Traits<T>::Bits>(Want))
          << Where << " = " << Got << ", want " << Want;
  }
}

TEST_F(VecmathTest, SpecialValuesAreExact) {
  constexpr double Inf = std::numeric_limits<double>::infinity();
  constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double Tiny = 0x1p-149; // a float subnormal; still tiny in f64
  const Special Table[] = {
      {OpCode::Exp, -Inf, 0.0},      {OpCode::Exp, Inf, Inf},
      {OpCode::Exp, NaN, NaN},       {OpCode::Exp, 0.0, 1.0},
      {OpCode::Exp, -0.0, 1.0},      {OpCode::Exp, 1e4, Inf},
      {OpCode::Exp, -1e4, 0.0},      {OpCode::Exp, Tiny, 1.0},
      {OpCode::Log, 0.0, -Inf},      {OpCode::Log, -0.0, -Inf},
      {OpCode::Log, -1.0, NaN},      {OpCode::Log, -Inf, NaN},
      {OpCode::Log, -Tiny, NaN},     {OpCode::Log, Inf, Inf},
      {OpCode::Log, NaN, NaN},       {OpCode::Log, 1.0, 0.0},
      {OpCode::Log1p, -1.0, -Inf},   {OpCode::Log1p, -2.0, NaN},
      {OpCode::Log1p, -Inf, NaN},    {OpCode::Log1p, Inf, Inf},
      {OpCode::Log1p, NaN, NaN},     {OpCode::Log1p, 0.0, 0.0},
      {OpCode::Log1p, -0.0, -0.0},   {OpCode::Log1p, Tiny, Tiny},
      {OpCode::Log1p, -Tiny, -Tiny}, {OpCode::Expm1, -Inf, -1.0},
      {OpCode::Expm1, Inf, Inf},     {OpCode::Expm1, NaN, NaN},
      {OpCode::Expm1, 0.0, 0.0},     {OpCode::Expm1, -0.0, -0.0},
      {OpCode::Expm1, -1e4, -1.0},   {OpCode::Expm1, 1e4, Inf},
      {OpCode::Expm1, Tiny, Tiny},   {OpCode::Expm1, -Tiny, -Tiny},
      {OpCode::Tanh, 0.0, 0.0},      {OpCode::Tanh, -0.0, -0.0},
      {OpCode::Tanh, Inf, 1.0},      {OpCode::Tanh, -Inf, -1.0},
      {OpCode::Tanh, NaN, NaN},      {OpCode::Tanh, 40.0, 1.0},
      {OpCode::Tanh, -40.0, -1.0},   {OpCode::Tanh, Tiny, Tiny},
      {OpCode::Tanh, -Tiny, -Tiny},  {OpCode::Sigmoid, -Inf, 0.0},
      {OpCode::Sigmoid, Inf, 1.0},   {OpCode::Sigmoid, NaN, NaN},
      {OpCode::Sigmoid, 0.0, 0.5},   {OpCode::Sigmoid, -0.0, 0.5},
      {OpCode::Sigmoid, 1e4, 1.0},   {OpCode::Sigmoid, -1e4, 0.0},
      {OpCode::Softplus, -Inf, 0.0}, {OpCode::Softplus, Inf, Inf},
      {OpCode::Softplus, NaN, NaN},  {OpCode::Softplus, 1e4, 1e4},
      {OpCode::Softplus, -1e4, 0.0},
  };
  const Special *End = Table + sizeof(Table) / sizeof(Table[0]);
  checkSpecials<float>(Table, End,
                       [](OpCode Op) { return apply<float>(*caseFor(Op)); });
  checkSpecials<double>(Table, End,
                        [](OpCode Op) { return apply<double>(*caseFor(Op)); });
}

TEST_F(VecmathTest, SubnormalResultsAreNotFlushed) {
  // exp(-100) = 3.72e-44 is a float subnormal, 26.547 times the spacing
  // 2^-149 (python: math.exp(-100) / 2**-149), so the closest float is
  // 27 * 2^-149.
  float X = -100, Y;
  apply<float> (*caseFor(OpCode::Exp))(&X, &Y, 1);
  EXPECT_EQ(Y, 27 * 0x1p-149f);
  // log(2^-149) = -149 ln 2 = -103.27892990343184 (python).
  X = 0x1p-149f;
  apply<float> (*caseFor(OpCode::Log))(&X, &Y, 1);
  EXPECT_NEAR(Y, -103.27892990343184, 1e-5);
  double XD = 0x1p-1074, YD;
  apply<double> (*caseFor(OpCode::Log))(&XD, &YD, 1);
  EXPECT_NEAR(YD, -744.4400719213812, 1e-12); // -1074 ln 2 (python)
}

//===----------------------------------------------------------------------===//
// Vectorization
//===----------------------------------------------------------------------===//

/// The vector type and register prefix of the host's widest vectors.
struct VectorWidth {
  std::string F32, F64, Reg;
};

VectorWidth hostVectors(const Jit &J) {
  if (J.hasFeature("avx512f"))
    return {"<16 x float>", "<8 x double>", "%zmm"};
  if (J.hasFeature("avx2") || J.hasFeature("avx"))
    return {"<8 x float>", "<4 x double>", "%ymm"};
  return {"<4 x float>", "<2 x double>", "%xmm"};
}

template <class T> void checkVectorized(Jit &J, const MathCase &C) {
  DType Ty = Traits<T>::Type;
  std::string IR = vecmathIR(Ty) + applyLoopIR(vecmathFunction(C.Op, Ty),
                                               "loop", Traits<T>::IR, 1024);
  std::string Opt = J.optimizeIR(IR, "vectorized");
  VectorWidth VW = hostVectors(J);
  std::string Want = std::is_same_v<T, float> ? VW.F32 : VW.F64;
  EXPECT_THAT(Opt, ::testing::HasSubstr(Want)) << C.Name << Traits<T>::IR;
  // Branch-free and inlined: no calls are left but to LLVM intrinsics.
  std::istringstream Lines(Opt);
  for (std::string L; std::getline(Lines, L);) {
    if (L.find(" call ") != std::string::npos) {
      EXPECT_THAT(L, ::testing::HasSubstr("@llvm.")) << C.Name;
    }
  }
  std::string Asm = J.emitAssembly(IR, "vectorized");
  EXPECT_THAT(Asm, ::testing::HasSubstr(VW.Reg)) << C.Name << Traits<T>::IR;
}

TEST_F(VecmathTest, LoopsVectorizeToTheHostsWidestVectors) {
  for (const MathCase &C : Cases) {
    checkVectorized<float>(*TheJit, C);
    checkVectorized<double>(*TheJit, C);
  }
}

TEST(VecmathApiTest, NamesAndBounds) {
  EXPECT_EQ(vecmathFunction(OpCode::Exp, DType::F32), "netjit.exp.f32");
  EXPECT_EQ(vecmathFunction(OpCode::Softplus, DType::F64),
            "netjit.softplus.f64");
  EXPECT_EQ(vecmathFunction(OpCode::Add, DType::F32), "");
  EXPECT_EQ(vecmathFunction(OpCode::Exp, DType::I32), "");
  EXPECT_EQ(vecmathMaxUlps(OpCode::Sqrt, DType::F32), 0.0);
  for (const MathCase &C : Cases)
    for (DType T : {DType::F32, DType::F64}) {
      std::string Name = vecmathFunction(C.Op, T);
      EXPECT_THAT(vecmathIR(T), ::testing::HasSubstr("@" + Name + "("));
      EXPECT_GT(vecmathMaxUlps(C.Op, T), 0.0) << Name;
      EXPECT_LE(vecmathMaxUlps(C.Op, T), 4.0) << Name;
    }
  // No attribute groups, metadata or declarations that could clash with the
  // module the functions are appended to.
  for (DType T : {DType::F32, DType::F64}) {
    std::string IR = vecmathIR(T);
    EXPECT_EQ(IR.find("declare"), std::string::npos);
    EXPECT_EQ(IR.find('#'), std::string::npos);
    EXPECT_EQ(IR.find('!'), std::string::npos);
  }
}

//===----------------------------------------------------------------------===//
// Throughput (NETJIT_VECMATH_BENCH=1)
//===----------------------------------------------------------------------===//

template <class F> double medianNsPerElement(F &&Body, size_t N) {
  std::vector<double> Times;
  for (int Rep = 0; Rep < 21; ++Rep) {
    auto Start = std::chrono::steady_clock::now();
    Body();
    auto Stop = std::chrono::steady_clock::now();
    Times.push_back(
        std::chrono::duration<double, std::nano>(Stop - Start).count() /
        static_cast<double>(N));
  }
  std::nth_element(Times.begin(), Times.begin() + 10, Times.end());
  return Times[10];
}

/// Median ns per element of netjit's function and of glibc's scalar one
/// over N floats drawn from [Lo, Hi], each timed over 2^20 elements in all.
struct Timing {
  double Jit, Libm;
};
Timing timeBoth(ApplyFn<float> Fn, float (*Scalar)(float), float Lo, float Hi,
                size_t N) {
  std::vector<float> X(N), Y(N);
  std::mt19937 Rng(1);
  std::uniform_real_distribution<float> U(Lo, Hi);
  for (float &V : X)
    V = U(Rng);
  const size_t Reps = (size_t(1) << 20) / N;
  Timing T;
  T.Jit = medianNsPerElement(
      [&] {
        for (size_t R = 0; R < Reps; ++R)
          Fn(X.data(), Y.data(), static_cast<int64_t>(N));
      },
      N * Reps);
  T.Libm = medianNsPerElement(
      [&] {
        for (size_t R = 0; R < Reps; ++R)
          for (size_t I = 0; I < N; ++I)
            Y[I] = Scalar(X[I]);
      },
      N * Reps);
  return T;
}

TEST_F(VecmathTest, ThroughputWhenAsked) {
  const char *Env = std::getenv("NETJIT_VECMATH_BENCH");
  if (!Env || std::string(Env) != "1")
    GTEST_SKIP() << "set NETJIT_VECMATH_BENCH=1 to time against glibc";
  struct Row {
    OpCode Op;
    float Lo, Hi;
    float (*Scalar)(float);
  };
  const Row Rows[] = {
      {OpCode::Exp, -10, 10, [](float V) { return std::exp(V); }},
      {OpCode::Log, 1e-3f, 1e3f, [](float V) { return std::log(V); }},
      {OpCode::Tanh, -5, 5, [](float V) { return std::tanh(V); }},
      {OpCode::Log1p, -0.5f, 10, [](float V) { return std::log1p(V); }},
      {OpCode::Expm1, -5, 5, [](float V) { return std::expm1(V); }},
      {OpCode::Sigmoid, -10, 10,
       [](float V) { return 1 / (1 + std::exp(-V)); }},
      {OpCode::Softplus, -10, 10,
       [](float V) { return std::log1p(std::exp(V)); }},
  };
  std::printf("[ vecmath  ] f32 ns/element, median of 21: netjit, glibc "
              "(speedup); 2^20 elements | 2^14 (in L1/L2) x 64\n");
  for (const Row &R : Rows) {
    ApplyFn<float> Fn = apply<float>(*caseFor(R.Op));
    Timing Big = timeBoth(Fn, R.Scalar, R.Lo, R.Hi, size_t(1) << 20);
    Timing Small = timeBoth(Fn, R.Scalar, R.Lo, R.Hi, size_t(1) << 14);
    std::printf("[ vecmath  ] %-9s %6.3f %7.3f (%5.1fx) | %6.3f %7.3f "
                "(%5.1fx)\n",
                caseFor(R.Op)->Name, Big.Jit, Big.Libm, Big.Libm / Big.Jit,
                Small.Jit, Small.Libm, Small.Libm / Small.Jit);
  }
}

} // namespace
} // namespace netjit
