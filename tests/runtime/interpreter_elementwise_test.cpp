//===- interpreter_elementwise_test.cpp - Elementwise ops -----------------===//
//
// Every elementwise op on f32 and f64 (and the integer and bool ops on their
// dtypes). Expected values were computed in float64 with numpy 1.24
// (/usr/bin/python3): np.exp, np.expm1, np.tanh, np.logaddexp(0, x) for
// softplus, np.where(x>=0, 1/(1+exp(-x)), exp(x)/(1+exp(x))) for sigmoid,
// np.log, np.log1p, np.sqrt, 1/np.sqrt, a**b, np.maximum, np.minimum and
// np.where(x==0, 0, x*log(y)) for xlogy; the rest are exact by hand. f32
// results are compared within 3e-7 relative, f64 within 4e-16.
//
//===----------------------------------------------------------------------===//
#include "interpreter_helpers.h"

#include <limits>

using namespace netjit;
using namespace netjit::test;
using ::testing::HasSubstr;

namespace {

const double NaN = std::numeric_limits<double>::quiet_NaN();
const double Inf = std::numeric_limits<double>::infinity();

struct UnaryCase {
  OpCode Op;
  std::vector<double> In, Out;
};

const UnaryCase UnaryCases[] = {
    {OpCode::Neg,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {2.5, 1.0, 0.0, -0.5, -1.0, -3.0}},
    {OpCode::Abs,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {2.5, 1.0, 0.0, 0.5, 1.0, 3.0}},
    {OpCode::Sign,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {-1.0, -1.0, 0.0, 1.0, 1.0, 1.0}},
    {OpCode::Square,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {6.25, 1.0, 0.0, 0.25, 1.0, 9.0}},
    {OpCode::Relu,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {0.0, 0.0, 0.0, 0.5, 1.0, 3.0}},
    {OpCode::Exp,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {0.0820849986238988, 0.3678794411714424, 1.0, 1.6487212707001282,
      2.718281828459045, 20.085536923187668}},
    {OpCode::Expm1,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {-0.9179150013761012, -0.6321205588285577, -0.0, 0.6487212707001282,
      1.7182818284590453, 19.085536923187668}},
    {OpCode::Tanh,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {-0.9866142981514303, -0.7615941559557649, -0.0, 0.46211715726000974,
      0.7615941559557649, 0.9950547536867305}},
    {OpCode::Sigmoid,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {0.07585818002124356, 0.26894142136999516, 0.5, 0.6224593312018546,
      0.7310585786300049, 0.9525741268224334}},
    {OpCode::Softplus,
     {-2.5, -1.0, -0.0, 0.5, 1.0, 3.0},
     {0.07888973429254963, 0.31326168751822286, 0.6931471805599453,
      0.9740769841801067, 1.3132616875182228, 3.048587351573742}},
    {OpCode::Log,
     {0.25, 1.0, 2.0, 10.0},
     {-1.3862943611198906, 0.0, 0.6931471805599453, 2.3025850929940455}},
    {OpCode::Log1p,
     {0.25, 1.0, 2.0, 10.0},
     {0.22314355131420974, 0.6931471805599453, 1.0986122886681096,
      2.3978952727983707}},
    {OpCode::Sqrt,
     {0.25, 1.0, 2.0, 10.0},
     {0.5, 1.0, 1.4142135623730951, 3.1622776601683795}},
    {OpCode::Rsqrt,
     {0.25, 1.0, 2.0, 10.0},
     {2.0, 1.0, 0.7071067811865475, 0.31622776601683794}},
};

struct BinaryCase {
  OpCode Op;
  std::vector<double> A, B, Out;
};

const BinaryCase BinaryCases[] = {
    {OpCode::Add,
     {1.5, -2.0, 0.0, 4.0, 7.0, -3.0},
     {0.5, 3.0, -1.0, 4.0, -2.0, 0.25},
     {2.0, 1.0, -1.0, 8.0, 5.0, -2.75}},
    {OpCode::Sub,
     {1.5, -2.0, 0.0, 4.0, 7.0, -3.0},
     {0.5, 3.0, -1.0, 4.0, -2.0, 0.25},
     {1.0, -5.0, 1.0, 0.0, 9.0, -3.25}},
    {OpCode::Mul,
     {1.5, -2.0, 0.0, 4.0, 7.0, -3.0},
     {0.5, 3.0, -1.0, 4.0, -2.0, 0.25},
     {0.75, -6.0, -0.0, 16.0, -14.0, -0.75}},
    {OpCode::Div,
     {1.5, -2.0, 0.0, 4.0, 7.0, -3.0},
     {0.5, 3.0, -1.0, 4.0, -2.0, 0.25},
     {3.0, -0.6666666666666666, -0.0, 1.0, -3.5, -12.0}},
    {OpCode::Maximum,
     {1.5, -2.0, 0.0, 4.0, 7.0, -3.0},
     {0.5, 3.0, -1.0, 4.0, -2.0, 0.25},
     {1.5, 3.0, 0.0, 4.0, 7.0, 0.25}},
    {OpCode::Minimum,
     {1.5, -2.0, 0.0, 4.0, 7.0, -3.0},
     {0.5, 3.0, -1.0, 4.0, -2.0, 0.25},
     {0.5, -2.0, -1.0, 4.0, -2.0, -3.0}},
    {OpCode::Pow,
     {2.0, 0.5, 9.0, 1.5},
     {3.0, -1.0, 0.5, 2.5},
     {8.0, 2.0, 3.0, 2.7556759606310752}},
    {OpCode::Xlogy,
     {0.0, 0.0, 2.0, 0.5},
     {0.0, 5.0, 3.0, 0.25},
     {0.0, 0.0, 2.197224577336219, -0.6931471805599453}},
};

class FloatOps : public ::testing::TestWithParam<DType> {};

TEST_P(FloatOps, Unary) {
  DType T = GetParam();
  for (const UnaryCase &C : UnaryCases) {
    SCOPED_TRACE(std::string(opName(C.Op)));
    int64_t N = static_cast<int64_t>(C.In.size());
    Tensor Y = applyOp(C.Op, {tensor(T, {N}, C.In)});
    expectValues(Y, T, {N}, C.Out);
  }
}

TEST_P(FloatOps, Binary) {
  DType T = GetParam();
  for (const BinaryCase &C : BinaryCases) {
    SCOPED_TRACE(std::string(opName(C.Op)));
    int64_t N = static_cast<int64_t>(C.A.size());
    // As a [2, N/2] matrix, so rank > 1 is covered too.
    Tensor Y =
        applyOp(C.Op, {tensor(T, {2, N / 2}, C.A), tensor(T, {2, N / 2}, C.B)});
    expectValues(Y, T, {2, N / 2}, C.Out);
  }
}

TEST_P(FloatOps, NaNAndInfinities) {
  DType T = GetParam();
  auto Un = [T](OpCode Op, std::vector<double> X) {
    return applyOp(Op, {tensor(T, {int64_t(X.size())}, X)});
  };
  auto Bin = [T](OpCode Op, std::vector<double> A, std::vector<double> B) {
    int64_t N = static_cast<int64_t>(A.size());
    return applyOp(Op, {tensor(T, {N}, A), tensor(T, {N}, B)});
  };
  // maximum / minimum propagate NaN from either side, like numpy.
  expectValues(Bin(OpCode::Maximum, {NaN, 1, 2}, {1, NaN, 3}), T, {3},
               {NaN, NaN, 3});
  expectValues(Bin(OpCode::Minimum, {NaN, 1, 2}, {1, NaN, 3}), T, {3},
               {NaN, NaN, 2});
  expectValues(Un(OpCode::Sign, {NaN, -Inf, Inf}), T, {3}, {NaN, -1, 1});
  expectValues(Un(OpCode::Relu, {NaN, -Inf, Inf}), T, {3}, {NaN, 0, Inf});
  // The stable forms neither overflow nor lose small values.
  expectValues(Un(OpCode::Sigmoid, {-1000, 1000, NaN}), T, {3}, {0, 1, NaN});
  expectValues(Un(OpCode::Softplus, {-1000, 1000, 30}), T, {3},
               {0, 1000, 30.000000000000092}); // 30 + log1p(exp(-30))
  expectValues(Un(OpCode::Exp, {1000}), T, {1}, {Inf});
  expectValues(Un(OpCode::Log, {0, -1}), T, {2}, {-Inf, NaN});
  // xlogy is 0 wherever x == 0, even for y = 0, inf or NaN.
  expectValues(Bin(OpCode::Xlogy, {0, 0, 0, 1}, {0, Inf, NaN, 0}), T, {4},
               {0, 0, 0, -Inf});
  expectValues(Bin(OpCode::Div, {1, -1, 0}, {0, 0, 0}), T, {3},
               {Inf, -Inf, NaN});
}

TEST_P(FloatOps, Comparisons) {
  DType T = GetParam();
  std::vector<double> A = {1, 2, 3, NaN}, B = {2, 2, 1, NaN};
  struct {
    OpCode Op;
    std::vector<double> Out;
  } Cases[] = {{OpCode::Eq, {0, 1, 0, 0}}, {OpCode::Ne, {1, 0, 1, 1}},
               {OpCode::Lt, {1, 0, 0, 0}}, {OpCode::Le, {1, 1, 0, 0}},
               {OpCode::Gt, {0, 0, 1, 0}}, {OpCode::Ge, {0, 1, 1, 0}}};
  for (const auto &C : Cases) {
    SCOPED_TRACE(std::string(opName(C.Op)));
    Tensor Y = applyOp(C.Op, {tensor(T, {4}, A), tensor(T, {4}, B)});
    expectValues(Y, DType::Bool, {4}, C.Out);
  }
}

TEST_P(FloatOps, SelectClipStopGradient) {
  DType T = GetParam();
  Tensor Cond = tensor(DType::Bool, {2, 2}, {1, 0, 0, 1});
  Tensor A = tensor(T, {2, 2}, {1, 2, 3, 4}),
         B = tensor(T, {2, 2}, {5, 6, 7, 8});
  expectValues(applyOp(OpCode::Select, {Cond, A, B}), T, {2, 2}, {1, 6, 7, 4});
  Tensor X = tensor(T, {5}, {-3, 0.5, 9, NaN, 2});
  Tensor Lo = tensor(T, {5}, {-1, -1, -1, -1, 3});
  Tensor Hi = tensor(T, {5}, {1, 1, 1, 1, 4});
  expectValues(applyOp(OpCode::Clip, {X, Lo, Hi}), T, {5},
               {-1, 0.5, 1, NaN, 3});
  expectValues(applyOp(OpCode::StopGradient, {A}), T, {2, 2}, {1, 2, 3, 4});
}

INSTANTIATE_TEST_SUITE_P(Interpreter, FloatOps,
                         ::testing::Values(DType::F32, DType::F64),
                         [](const auto &Info) {
                           return std::string(dtypeName(Info.param));
                         });

class IntOps : public ::testing::TestWithParam<DType> {};

TEST_P(IntOps, Arithmetic) {
  DType T = GetParam();
  Tensor A = tensor(T, {6}, {7, -7, 7, -7, 0, 5});
  Tensor B = tensor(T, {6}, {2, 2, -2, -2, 3, 5});
  expectValues(applyOp(OpCode::Add, {A, B}), T, {6}, {9, -5, 5, -9, 3, 10});
  expectValues(applyOp(OpCode::Sub, {A, B}), T, {6}, {5, -9, 9, -5, -3, 0});
  expectValues(applyOp(OpCode::Mul, {A, B}), T, {6}, {14, -14, -14, 14, 0, 25});
  // C++ division truncates toward zero.
  expectValues(applyOp(OpCode::Div, {A, B}), T, {6}, {3, -3, -3, 3, 0, 1});
  expectValues(applyOp(OpCode::Maximum, {A, B}), T, {6}, {7, 2, 7, -2, 3, 5});
  expectValues(applyOp(OpCode::Minimum, {A, B}), T, {6}, {2, -7, -2, -7, 0, 5});
  expectValues(applyOp(OpCode::Neg, {A}), T, {6}, {-7, 7, -7, 7, 0, -5});
  expectValues(applyOp(OpCode::Abs, {A}), T, {6}, {7, 7, 7, 7, 0, 5});
  expectValues(applyOp(OpCode::Sign, {A}), T, {6}, {1, -1, 1, -1, 0, 1});
  expectValues(applyOp(OpCode::Square, {A}), T, {6}, {49, 49, 49, 49, 0, 25});
  expectValues(applyOp(OpCode::Relu, {A}), T, {6}, {7, 0, 7, 0, 0, 5});
  expectValues(applyOp(OpCode::Lt, {A, B}), DType::Bool, {6},
               {0, 1, 0, 1, 1, 0});
  Tensor Cond = tensor(DType::Bool, {2}, {0, 1});
  expectValues(applyOp(OpCode::Select,
                       {Cond, tensor(T, {2}, {1, 2}), tensor(T, {2}, {3, 4})}),
               T, {2}, {3, 2});
  expectValues(applyOp(OpCode::Clip,
                       {tensor(T, {3}, {-5, 1, 5}), tensor(T, {3}, {0, 0, 0}),
                        tensor(T, {3}, {2, 2, 2})}),
               T, {3}, {0, 1, 2});
}

TEST_P(IntOps, OverflowWrapsAndDivisionByZeroIsAnError) {
  DType T = GetParam();
  double Min = T == DType::I32 ? -2147483648.0 : -9223372036854775808.0;
  Tensor M = tensor(T, {1}, {Min}), MinusOne = tensor(T, {1}, {-1});
  // MIN / -1 and -MIN wrap to MIN (no trap), MIN - 1 wraps to MAX.
  EXPECT_EQ(applyOp(OpCode::Div, {M, MinusOne}).at(0), Min);
  EXPECT_EQ(applyOp(OpCode::Neg, {M}).at(0), Min);
  EXPECT_EQ(applyOp(OpCode::Abs, {M}).at(0), Min);
  EXPECT_EQ(applyOp(OpCode::Sub, {M, tensor(T, {1}, {1})}).at(0), -Min - 1);

  std::string Msg = applyOpError(
      OpCode::Div, {tensor(T, {3}, {1, 2, 3}), tensor(T, {3}, {1, 0, 1})});
  EXPECT_THAT(Msg, HasSubstr("'div': integer division by zero (2 / 0)"));
  EXPECT_THAT(Msg, HasSubstr("div(")); // the node's printed line
}

INSTANTIATE_TEST_SUITE_P(Interpreter, IntOps,
                         ::testing::Values(DType::I32, DType::I64),
                         [](const auto &Info) {
                           return std::string(dtypeName(Info.param));
                         });

TEST(InterpreterElementwise, BoolOps) {
  Tensor A = tensor(DType::Bool, {4}, {0, 0, 1, 1});
  Tensor B = tensor(DType::Bool, {4}, {0, 1, 0, 1});
  expectValues(applyOp(OpCode::Not, {A}), DType::Bool, {4}, {1, 1, 0, 0});
  expectValues(applyOp(OpCode::And, {A, B}), DType::Bool, {4}, {0, 0, 0, 1});
  expectValues(applyOp(OpCode::Or, {A, B}), DType::Bool, {4}, {0, 1, 1, 1});
  expectValues(applyOp(OpCode::Eq, {A, B}), DType::Bool, {4}, {1, 0, 0, 1});
  expectValues(applyOp(OpCode::Ne, {A, B}), DType::Bool, {4}, {0, 1, 1, 0});
  expectValues(
      applyOp(OpCode::Select, {A, B, tensor(DType::Bool, {4}, {1, 1, 1, 1})}),
      DType::Bool, {4}, {1, 1, 0, 1});
}

TEST(InterpreterElementwise, Cast) {
  auto Cast = [](Tensor X, DType To) {
    return applyOp(OpCode::Cast, {std::move(X)}, Attrs{{"dtype", To}});
  };
  Tensor F = tensor(DType::F32, {5}, {2.7, -2.7, -0.5, 0, 1e10});
  // float -> int truncates toward zero; out of range saturates.
  expectValues(Cast(F, DType::I32), DType::I32, {5}, {2, -2, 0, 0, 2147483647});
  expectValues(Cast(F, DType::I64), DType::I64, {5}, {2, -2, 0, 0, 1e10});
  expectValues(Cast(tensor(DType::F64, {2}, {NaN, -Inf}), DType::I32),
               DType::I32, {2}, {0, -2147483648.0});
  expectValues(Cast(F, DType::Bool), DType::Bool, {5}, {1, 1, 1, 0, 1});
  expectValues(Cast(tensor(DType::F64, {1}, {NaN}), DType::Bool), DType::Bool,
               {1}, {1});
  // f64 -> f32 rounds to nearest: 0.1 becomes 0.100000001490116...
  Tensor D = Cast(tensor(DType::F64, {2}, {0.1, 1e300}), DType::F32);
  EXPECT_EQ(D.data<float>()[0], 0.1f);
  EXPECT_EQ(D.at(1), Inf);
  expectValues(Cast(tensor(DType::Bool, {2}, {1, 0}), DType::F64), DType::F64,
               {2}, {1, 0});
  // i64 -> i32 keeps the low 32 bits; i64 -> f64 rounds.
  Tensor L(DType::I64, {2});
  L.data<int64_t>()[0] = (int64_t(1) << 32) + 5;
  L.data<int64_t>()[1] = (int64_t(1) << 53) + 1;
  expectValues(Cast(L, DType::I32), DType::I32, {2}, {5, 1});
  EXPECT_EQ(Cast(L, DType::F64).at(1), 9007199254740992.0);
  expectValues(Cast(tensor(DType::I32, {2}, {-3, 4}), DType::F32), DType::F32,
               {2}, {-3, 4});
}

} // namespace
