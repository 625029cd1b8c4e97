//===- scan_test.cpp - The Expr-level scan builder ------------------------===//
//
// scan() against hand-written loops (forward, reverse, with captures and
// explicit constants, without sequences), its gradient against finite
// differences, the IR it builds, and its errors.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "test_util.h"

#include <cmath>

namespace netjit {
namespace {

using test::errorOf;
using test::expectValues;
using test::tensor;
using testing::HasSubstr;

TEST(Scan, RunningSumForwardAndReverse) {
  for (bool Reverse : {false, true}) {
    Function F("sums", DType::F64);
    Expr Init = F.input("init", {2}), Xs = F.input("xs", {"T", 2});
    Expr Scale = F.input("scale", {});
    std::vector<Expr> R = scan(
        [&](ScanBody &S) {
          Expr Next = S.carry(0) + S.element(0) * S.capture(Scale);
          return std::vector<Expr>{Next, Next};
        },
        {Init}, {Xs}, {}, {.Reverse = Reverse});
    F.output("final", R[0]);
    F.output("steps", R[1]);
    TensorMap Args = {{"init", tensor({2}, {100, 200}, DType::F64)},
                      {"xs", tensor({3, 2}, {1, 2, 3, 4, 5, 6}, DType::F64)},
                      {"scale", Tensor::scalar(10, DType::F64)}};
    TensorMap Out = F.run(Args);
    expectValues(Out.at("final"), {190, 320});
    if (!Reverse)
      expectValues(Out.at("steps"), {110, 220, 140, 260, 190, 320});
    else // steps run t = 2, 1, 0; step t is stored at index t
      expectValues(Out.at("steps"), {190, 320, 180, 300, 150, 260});
  }
}

/// h' = tanh(x·U + h·W + b), every step's h stacked.
struct TinyRnn {
  Function F{"rnn", DType::F64};
  Expr H0 = F.input("h0", {"B", 2}), Xs = F.input("xs", {"T", "B", 3});
  Expr U = F.param("u", {3, 2}), W = F.param("w", {2, 2}),
       Bias = F.param("b", {2});
  std::vector<Expr> R;
  TinyRnn() {
    // U enters as an explicit constant, W and the bias by capture.
    R = scan(
        [&](ScanBody &S) {
          Expr H = tanh(matmul(S.element(0), S.constant(0)) +
                        matmul(S.carry(0), S.capture(W)) + S.capture(Bias));
          return std::vector<Expr>{H, H};
        },
        {H0}, {Xs}, {U});
    F.output("h", R[0]);
    F.output("hs", R[1]);
  }
};

TEST(Scan, TinyRnnMatchesAHandLoopAndItsGradient) {
  const double U[3][2] = {{0.2, 0.7}, {-0.6, 0.4}, {0.9, -0.5}};
  const double W[2][2] = {{0.5, -0.3}, {0.8, 0.1}}, Bv[2] = {0.05, -0.1};
  const int64_t Steps = 4, Batch = 3;
  std::vector<double> X, H0;
  for (int64_t I = 0; I < Steps * Batch * 3; ++I)
    X.push_back(std::sin(0.7 * I));
  for (int64_t I = 0; I < Batch * 2; ++I)
    H0.push_back(0.1 * I - 0.2);
  std::vector<double> H = H0, Stacked;
  for (int64_t T = 0; T < Steps; ++T) {
    std::vector<double> Next(Batch * 2);
    for (int64_t Bi = 0; Bi < Batch; ++Bi)
      for (int J = 0; J < 2; ++J) {
        double Acc = Bv[J];
        for (int I = 0; I < 3; ++I)
          Acc += X[(T * Batch + Bi) * 3 + I] * U[I][J];
        for (int I = 0; I < 2; ++I)
          Acc += H[Bi * 2 + I] * W[I][J];
        Next[Bi * 2 + J] = std::tanh(Acc);
      }
    H = Next;
    Stacked.insert(Stacked.end(), Next.begin(), Next.end());
  }
  TinyRnn Net;
  TensorMap Args = {
      {"h0", tensor({Batch, 2}, H0, DType::F64)},
      {"xs", tensor({Steps, Batch, 3}, X, DType::F64)},
      {"u", tensor({3, 2}, {0.2, 0.7, -0.6, 0.4, 0.9, -0.5}, DType::F64)},
      {"w", tensor({2, 2}, {0.5, -0.3, 0.8, 0.1}, DType::F64)},
      {"b", tensor({2}, {0.05, -0.1}, DType::F64)}};
  TensorMap Out = Net.F.run(Args);
  expectValues(Out.at("h"), H, 1e-14);
  expectValues(Out.at("hs"), Stacked, 1e-14);
  // Back-propagation through time against finite differences.
  Expr Cost = sum(square(Net.R[1])) + sum(Net.R[0]);
  GradCheckResult G =
      check_grad(Cost, {Net.U, Net.W, Net.Bias, Net.H0, Net.Xs}, Args);
  EXPECT_TRUE(G.ok(1e-7)) << G.Worst << ": " << G.Analytic << " vs "
                          << G.Numeric;
  EXPECT_EQ(G.Checked, 6u + 4u + 2u + 6u + 36u);
}

TEST(Scan, BuildsOneScanWithCapturesAsConstants) {
  TinyRnn Net;
  std::string Text = Net.F.str();
  // The explicit constant first, then the captures (in the order the body
  // asked for them).
  EXPECT_THAT(Text, HasSubstr("= scan(%h0, %xs, %u, %"));
  EXPECT_THAT(Text, HasSubstr(") {num_carry=1, num_seqs=1, reverse=false} : "
                              "(f64[B,2], f64[T,B,2]) body(%c0: f64[B,2], "
                              "%x0: f64[B,3], %k0: f64[3,2], %k1: "));
  // Capturing the same value twice adds one constant.
  Function F;
  Expr X = F.input("x", {"T", 2}), K = F.input("k", {2});
  std::vector<Expr> R = scan(
      [&](ScanBody &S) {
        Expr A = S.capture(K), B = S.capture(K);
        EXPECT_EQ(A.id(), B.id());
        EXPECT_EQ(S.capture(A).id(), A.id());
        return std::vector<Expr>{S.element(0) * A + B};
      },
      {}, {X});
  EXPECT_EQ(F.graph().node(F.graph().node(R[0].id()).Inputs[0]).Inputs.size(),
            2u);
}

TEST(Scan, LengthWithoutSequences) {
  Function F("powers", DType::F64);
  Expr C0 = F.input("c0", {}), K = F.input("k", {});
  std::vector<Expr> R = scan(
      [&](ScanBody &S) {
        Expr Next = S.carry(0) * S.capture(K);
        return std::vector<Expr>{Next, Next};
      },
      {C0}, {}, {}, {.Length = 4});
  F.output("all", R[1]);
  TensorMap Args = {{"c0", Tensor::scalar(3, DType::F64)},
                    {"k", Tensor::scalar(2, DType::F64)}};
  expectValues(F.run(Args).at("all"), {6, 12, 24, 48});
}

TEST(Scan, ErrorsNameTheProblemAndTheLine) {
  Function F;
  Expr H0 = F.input("h0", {"B", 2}), Xs = F.input("xs", {"T", "B", 2});
  Expr W = F.param("w", {2, 2}), Short = F.input("short", {4, 2});
  auto Identity = [](ScanBody &S) {
    return std::vector<Expr>{S.carry(0), S.carry(0)};
  };
  // An outer value used inside the body without capture: the body's line.
  std::string Msg = errorOf([&] {
    scan([&](ScanBody &S) { return std::vector<Expr>{matmul(S.carry(0), W)}; },
         {H0}, {Xs});
  });
  EXPECT_THAT(Msg, HasSubstr("'scan': scan_test.cpp:"));
  EXPECT_THAT(Msg, HasSubstr("'matmul': operands belong to different graphs"));
  EXPECT_THAT(errorOf([&] {
                scan([&](ScanBody &) { return std::vector<Expr>{H0}; }, {H0},
                     {Xs});
              }),
              HasSubstr("new carry #0 (%0 = input() {name=\"h0\"} : "
                        "f32[B,2]) is a value of the enclosing graph"));
  EXPECT_THAT(errorOf([&] {
                scan(
                    [&](ScanBody &S) {
                      return std::vector<Expr>{sum(S.carry(0), {1})};
                    },
                    {H0}, {Xs});
              }),
              HasSubstr("new carry #0 has type f32[B], the initial carry "
                        "f32[B,2]"));
  EXPECT_THAT(errorOf([&] {
                scan([&](ScanBody &) { return std::vector<Expr>{}; }, {H0},
                     {Xs});
              }),
              HasSubstr("returned 0 values; it must return the 1 new carries"));
  EXPECT_THAT(errorOf([&] {
                scan(Identity, {H0}, {Xs, Short});
              }),
              HasSubstr("sequence #1 f32[4,2] has length 4 on axis 0, "
                        "sequence #0 f32[T,B,2] has T"));
  EXPECT_THAT(errorOf([&] { scan(Identity, {H0}, {}); }),
              HasSubstr("without sequences, ScanOptions::Length must give"));
  EXPECT_THAT(
      errorOf([&] { scan(Identity, {H0}, {Xs}, {}, {.BpttLimit = -2}); }),
      HasSubstr("BpttLimit must be >= 1"));
  EXPECT_THAT(errorOf([&] { scan(Identity, {Expr()}, {Xs}); }),
              HasSubstr("carry #0 is an empty Expr"));
  Function Other;
  Expr Alien = Other.input("a", {2});
  EXPECT_THAT(errorOf([&] {
                scan(
                    [&](ScanBody &S) {
                      return std::vector<Expr>{S.carry(0) + S.capture(Alien)};
                    },
                    {H0}, {Xs});
              }),
              HasSubstr("belongs neither to this scan body nor to the graph "
                        "that holds the scan"));
}

} // namespace
} // namespace netjit
