//===- jit_test.cpp - The minimal JIT: host target, O3, call, free --------===//
//
// The built-in kernels are JIT-compiled and called; their results are checked
// against plain C++ loops. Data of small dyadic values make every partial sum
// exact, so the reassociated (vectorized) sum must equal the sequential one
// bit for bit; random data are checked to a relative tolerance. The assembly
// must use the host's widest vector registers.
//
//===----------------------------------------------------------------------===//
#include "codegen/jit.h"
#include "ir/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace netjit {
namespace {

using DotFn = double (*)(const double *, const double *, int64_t);
using SumSquaresFn = float (*)(const float *, int64_t);

class JitTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() { TheJit = Jit::create(); }
  static void TearDownTestSuite() { TheJit.reset(); }
  static std::unique_ptr<Jit> TheJit;
};
std::unique_ptr<Jit> JitTest::TheJit;

double referenceDot(const std::vector<double> &A,
                    const std::vector<double> &B) {
  double Sum = 0;
  for (size_t I = 0; I < A.size(); ++I)
    Sum += A[I] * B[I];
  return Sum;
}

TEST_F(JitTest, HostCpuAndFeaturesAreKnown) {
  EXPECT_FALSE(TheJit->hostCpuName().empty());
  EXPECT_NE(TheJit->hostCpuName(), "");
  EXPECT_THAT(TheJit->targetTriple(), ::testing::StartsWith("x86_64"));
  EXPECT_THAT(TheJit->hostFeatures(), ::testing::HasSubstr("+sse2"));
  EXPECT_TRUE(TheJit->hasFeature("sse2"));
  EXPECT_FALSE(TheJit->hasFeature("no-such-feature"));
}

TEST_F(JitTest, DotMatchesPlainLoopExactlyOnDyadicData) {
  JitModule M = TheJit->addBuiltin(BuiltinKernel::DotF64);
  auto Dot = M.lookupAs<DotFn>("netjit_dot");
  for (int64_t N : {1, 7, 1000}) {
    std::vector<double> A(N), B(N);
    for (int64_t I = 0; I < N; ++I) {
      A[I] = static_cast<double>(I % 17) - 8.0; // -8 .. 8
      B[I] = 0.5 * static_cast<double>(I % 5);  // 0 .. 2 in halves
    }
    // Every product and partial sum is a multiple of 0.5 below 2^20: exact in
    // any order.
    EXPECT_EQ(Dot(A.data(), B.data(), N), referenceDot(A, B)) << "N=" << N;
  }
  EXPECT_EQ(Dot(nullptr, nullptr, 0), 0.0);
}

TEST_F(JitTest, DotMatchesPlainLoopOnRandomData) {
  JitModule M = TheJit->addBuiltin(BuiltinKernel::DotF64);
  auto Dot = M.lookupAs<DotFn>("netjit_dot");
  std::mt19937_64 Rng(42);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  for (int64_t N : {1, 7, 1000}) {
    std::vector<double> A(N), B(N);
    double AbsSum = 0;
    for (int64_t I = 0; I < N; ++I) {
      A[I] = U(Rng);
      B[I] = U(Rng);
      AbsSum += std::fabs(A[I] * B[I]);
    }
    EXPECT_NEAR(Dot(A.data(), B.data(), N), referenceDot(A, B),
                1e-14 * AbsSum + 1e-300)
        << "N=" << N;
  }
}

TEST_F(JitTest, SumOfSquaresMatchesPlainLoop) {
  JitModule M = TheJit->addBuiltin(BuiltinKernel::SumSquaresF32);
  auto SumSquares = M.lookupAs<SumSquaresFn>("netjit_sum_squares");
  std::mt19937 Rng(7);
  std::uniform_real_distribution<float> U(-2.0f, 2.0f);
  for (int64_t N : {1, 7, 1000}) {
    std::vector<float> X(N);
    double Reference = 0; // in double: the float sum is reassociated
    for (int64_t I = 0; I < N; ++I) {
      X[I] = U(Rng);
      Reference += static_cast<double>(X[I]) * X[I];
    }
    EXPECT_NEAR(SumSquares(X.data(), N), Reference, 1e-5 * Reference)
        << "N=" << N;
  }
  std::vector<float> Ints = {1, 2, 3, 4, 5, 6, 7}; // 140, exact
  EXPECT_EQ(SumSquares(Ints.data(), 7), 140.0f);
}

TEST_F(JitTest, AssemblyUsesHostVectorRegisters) {
  std::string Asm = TheJit->emitAssembly(
      builtinKernelIR(BuiltinKernel::SumSquaresF32), "sum_squares");
  EXPECT_THAT(Asm, ::testing::HasSubstr("netjit_sum_squares"));
  if (TheJit->hasFeature("avx512f") || TheJit->hasFeature("avx"))
    EXPECT_THAT(Asm, ::testing::ContainsRegex("%[yz]mm[0-9]"));
  else
    EXPECT_THAT(Asm, ::testing::ContainsRegex("(mulps|addps)"));
  std::string Opt = TheJit->optimizeIR(
      builtinKernelIR(BuiltinKernel::SumSquaresF32), "sum_squares");
  EXPECT_THAT(Opt, ::testing::ContainsRegex("<[0-9]+ x float>"));
}

TEST_F(JitTest, ResetFreesTheSymbolForAnotherModule) {
  JitModule M = TheJit->addBuiltin(BuiltinKernel::DotF64);
  // A second live definition of the same symbol is a user-visible error.
  EXPECT_THROW(TheJit->addBuiltin(BuiltinKernel::DotF64), Error);
  M.reset();
  EXPECT_FALSE(M.valid());
  EXPECT_THROW(M.lookup("netjit_dot"), Error);
  JitModule Again = TheJit->addBuiltin(BuiltinKernel::DotF64);
  double A[] = {1, 2}, B[] = {3, 4};
  EXPECT_EQ(Again.lookupAs<DotFn>("netjit_dot")(A, B, 2), 11.0);
}

TEST_F(JitTest, ModuleKeepsItsJitAlive) {
  JitModule M;
  {
    std::unique_ptr<Jit> Local = Jit::create(JitOptions{2});
    M = Local->addBuiltin(BuiltinKernel::DotF64);
  }
  double A[] = {1.5, -2}, B[] = {2, 0.25};
  EXPECT_EQ(M.lookupAs<DotFn>("netjit_dot")(A, B, 2), 2.5);
}

TEST_F(JitTest, ErrorsBecomeNetjitErrors) {
  JitModule M = TheJit->addBuiltin(BuiltinKernel::SumSquaresF32);
  try {
    M.lookup("no_such_function");
    FAIL() << "expected an error";
  } catch (const Error &E) {
    EXPECT_THAT(E.what(), ::testing::HasSubstr("no_such_function"));
  }
  try {
    TheJit->addModule("define i32 @f() {\n  ret float 1.0\n}\n", "bad.ll");
    FAIL() << "expected an error";
  } catch (const Error &E) {
    EXPECT_THAT(E.what(), ::testing::HasSubstr("bad.ll':2:"));
  }
  EXPECT_THROW(Jit::create(JitOptions{4}), Error);
}

TEST_F(JitTest, OptLevelZeroStillRuns) {
  std::unique_ptr<Jit> J0 = Jit::create(JitOptions{0});
  JitModule M = J0->addBuiltin(BuiltinKernel::SumSquaresF32);
  float X[] = {3, 4};
  EXPECT_EQ(M.lookupAs<SumSquaresFn>("netjit_sum_squares")(X, 2), 25.0f);
}

} // namespace
} // namespace netjit
