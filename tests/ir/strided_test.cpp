//===- strided_test.cpp - Index walks, reductions, op families ------------===//
//
// ir/strided.h and ir/dtype_visit.h are shared by the interpreter and
// constant folding, and ir/ops.h's family predicates by the interpreter and
// codegen. Expected values here are worked out by hand.
//
//===----------------------------------------------------------------------===//
#include "ir/dtype_visit.h"
#include "ir/ops.h"
#include "ir/scalar_ops.h"
#include "ir/strided.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <utility>
#include <vector>

using namespace netjit;
using namespace netjit::strided;

namespace {

using Ints = std::vector<int64_t>;

TEST(OpFamilies, Members) {
  EXPECT_TRUE(isUnaryMath(OpCode::Neg));
  EXPECT_TRUE(isUnaryMath(OpCode::Exp));
  EXPECT_TRUE(isUnaryMath(OpCode::Relu));
  EXPECT_TRUE(isUnaryMath(OpCode::Not));
  EXPECT_FALSE(isUnaryMath(OpCode::Cast));
  EXPECT_FALSE(isUnaryMath(OpCode::StopGradient));
  EXPECT_FALSE(isUnaryMath(OpCode::Add));
  EXPECT_FALSE(isUnaryMath(OpCode::Sum));

  EXPECT_TRUE(isBinaryMath(OpCode::Add));
  EXPECT_TRUE(isBinaryMath(OpCode::Xlogy));
  EXPECT_TRUE(isBinaryMath(OpCode::And));
  EXPECT_TRUE(isBinaryMath(OpCode::Or));
  EXPECT_FALSE(isBinaryMath(OpCode::Eq));
  EXPECT_FALSE(isBinaryMath(OpCode::Neg));
  EXPECT_FALSE(isBinaryMath(OpCode::Select));
  EXPECT_FALSE(isBinaryMath(OpCode::MatMul));
  static_assert(isUnaryMath(OpCode::Sqrt) && !isBinaryMath(OpCode::Sqrt),
                "the family predicates are constexpr");
}

// The families partition the elementwise ops that compute on values, and
// scalar_ops.h computes every member.
TEST(OpFamilies, PartitionTheElementwiseOps) {
  int Unary = 0, Binary = 0, Comparisons = 0;
  std::set<OpCode> Rest;
  for (int I = 0; I < kNumOps; ++I) {
    auto Op = static_cast<OpCode>(I);
    bool U = isUnaryMath(Op), B = isBinaryMath(Op),
         C = hasTrait(Op, kComparison);
    EXPECT_LE(U + B + C, 1) << opName(Op);
    if (U || B || C) {
      EXPECT_TRUE(hasTrait(Op, kElementwise)) << opName(Op);
    }
    if (U) {
      ++Unary;
      EXPECT_EQ(opArity(Op), 1) << opName(Op);
      bool HasValue = hasTrait(Op, kBoolOnly)
                          ? scalar::unary<bool>(Op, true).has_value()
                          : scalar::unary<double>(Op, 0.5).has_value();
      EXPECT_TRUE(HasValue) << opName(Op);
    } else if (B) {
      ++Binary;
      EXPECT_EQ(opArity(Op), 2) << opName(Op);
      bool HasValue =
          hasTrait(Op, kBoolOnly)
              ? scalar::arithmetic<bool>(Op, true, false).has_value()
              : scalar::arithmetic<double>(Op, 2.0, 3.0).has_value();
      EXPECT_TRUE(HasValue) << opName(Op);
    } else if (C) {
      ++Comparisons;
      EXPECT_EQ(opArity(Op), 2) << opName(Op);
    } else if (hasTrait(Op, kElementwise)) {
      Rest.insert(Op);
    }
  }
  EXPECT_EQ(Unary, 15);
  EXPECT_EQ(Binary, 10);
  EXPECT_EQ(Comparisons, 6);
  EXPECT_EQ(Rest, (std::set<OpCode>{OpCode::Select, OpCode::Clip, OpCode::Cast,
                                    OpCode::StopGradient}));
}

TEST(Strided, ProductAndStrides) {
  EXPECT_EQ(product({}), 1);
  EXPECT_EQ(product({2, 3, 4}), 24);
  EXPECT_EQ(product({2, 0, 3}), 0);
  EXPECT_EQ(stridesOf({2, 3, 4}), (Ints{12, 4, 1}));
  EXPECT_EQ(stridesOf({5}), (Ints{1}));
  EXPECT_EQ(stridesOf({}), Ints{});
}

/// The (I, J) pairs forEachOffset visits.
std::vector<std::pair<int64_t, int64_t>>
walk(const Ints &Shape, const Ints &Strides, int64_t Base) {
  std::vector<std::pair<int64_t, int64_t>> Out;
  forEachOffset(Shape, Strides, Base,
                [&](int64_t I, int64_t J) { Out.emplace_back(I, J); });
  return Out;
}

TEST(Strided, ForEachOffsetWalksViews) {
  using Pairs = std::vector<std::pair<int64_t, int64_t>>;
  // The transpose of a 2x3 matrix: element (r, c) of the 3x2 result is
  // element (c, r) of the source, at c * 3 + r.
  EXPECT_EQ(walk({3, 2}, {1, 3}, 0),
            (Pairs{{0, 0}, {1, 3}, {2, 1}, {3, 4}, {4, 2}, {5, 5}}));
  // Rows 1 and 3 of a 4x2 matrix (a slice 1:4:2): base 2, row stride 4.
  EXPECT_EQ(walk({2, 2}, {4, 1}, 2), (Pairs{{0, 2}, {1, 3}, {2, 6}, {3, 7}}));
  EXPECT_EQ(walk({}, {}, 7), (Pairs{{0, 7}})); // a scalar: one element
  EXPECT_TRUE(walk({2, 0, 3}, {0, 3, 1}, 0).empty());
}

TEST(Strided, ReducedStridesAndAxisSplit) {
  int64_t Count = -1;
  EXPECT_EQ(reducedStrides({2, 3, 4}, {1}, Count), (Ints{4, 0, 1}));
  EXPECT_EQ(Count, 3);
  EXPECT_EQ(reducedStrides({2, 3, 4}, {0, 2}, Count), (Ints{0, 1, 0}));
  EXPECT_EQ(Count, 8);
  EXPECT_EQ(reducedStrides({2, 3}, {}, Count), (Ints{3, 1}));
  EXPECT_EQ(Count, 1);

  AxisSplit S({2, 3, 4}, 1);
  EXPECT_EQ(std::vector<int64_t>({S.Outer, S.Len, S.Inner}), (Ints{2, 3, 4}));
  AxisSplit First({2, 3, 4}, 0), Last({2, 3, 4}, 2);
  EXPECT_EQ(std::vector<int64_t>({First.Outer, First.Len, First.Inner}),
            (Ints{1, 2, 12}));
  EXPECT_EQ(std::vector<int64_t>({Last.Outer, Last.Len, Last.Inner}),
            (Ints{6, 4, 1}));
}

TEST(Strided, MaxMinPropagateNaN) {
  double NaN = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(maxNaN(NaN, 1.0)));
  EXPECT_TRUE(std::isnan(maxNaN(1.0, NaN)));
  EXPECT_TRUE(std::isnan(minNaN(NaN, -1.0)));
  EXPECT_TRUE(std::isnan(minNaN(-1.0, NaN)));
  EXPECT_EQ(maxNaN(1.0, 2.0), 2.0);
  EXPECT_EQ(minNaN(2.0, 1.0), 1.0);
  // A tie gives the element (B), unlike scalar::maximum.
  EXPECT_FALSE(std::signbit(maxNaN(-0.0, 0.0)));
  EXPECT_TRUE(std::signbit(maxNaN(0.0, -0.0)));
  EXPECT_TRUE(std::signbit(scalar::maximum(-0.0, 0.0)));
}

TEST(Strided, FloatReductions) {
  // x: f32[2,3] = [[1, 2, 3], [4, 5, 6]].
  std::vector<float> X = {1, 2, 3, 4, 5, 6};
  auto At = [&](int64_t I) { return X[I]; };
  EXPECT_EQ(reduce<float>(OpCode::Sum, {2, 3}, {1}, 2, At),
            (std::vector<float>{6, 15}));
  EXPECT_EQ(reduce<float>(OpCode::Mean, {2, 3}, {0}, 3, At),
            (std::vector<float>{2.5f, 3.5f, 4.5f}));
  EXPECT_EQ(reduce<float>(OpCode::Max, {2, 3}, {0, 1}, 1, At),
            (std::vector<float>{6}));
  EXPECT_EQ(reduce<float>(OpCode::Min, {2, 3}, {1}, 2, At),
            (std::vector<float>{1, 4}));
  // logsumexp(0, 0) = log 2.
  std::vector<double> Zeros = {0, 0};
  std::vector<double> Lse = reduce<double>(OpCode::LogSumExp, {2}, {0}, 1,
                                           [&](int64_t I) { return Zeros[I]; });
  EXPECT_EQ(Lse, (std::vector<double>{std::log(2.0)}));

  // Accumulated in double: 1e8 + 1 - 1e8 is 1 (in float, 0).
  std::vector<float> Big = {1e8f, 1, -1e8f};
  EXPECT_EQ(reduce<float>(OpCode::Sum, {3}, {0}, 1,
                          [&](int64_t I) { return Big[I]; }),
            (std::vector<float>{1}));

  // NaN wins max and min wherever it stands.
  float NaN = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> WithNaN = {1, NaN, 3};
  auto AtNaN = [&](int64_t I) { return WithNaN[I]; };
  EXPECT_TRUE(std::isnan(reduce<float>(OpCode::Max, {3}, {0}, 1, AtNaN)[0]));
  EXPECT_TRUE(std::isnan(reduce<float>(OpCode::Min, {3}, {0}, 1, AtNaN)[0]));

  // Over an empty axis: sum 0, mean NaN, max and logsumexp -inf, min +inf.
  auto None = [](int64_t) -> float { return 0; };
  float Inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(reduce<float>(OpCode::Sum, {2, 0}, {1}, 2, None),
            (std::vector<float>{0, 0}));
  EXPECT_TRUE(std::isnan(reduce<float>(OpCode::Mean, {2, 0}, {1}, 2, None)[1]));
  EXPECT_EQ(reduce<float>(OpCode::Max, {2, 0}, {1}, 2, None)[0], -Inf);
  EXPECT_EQ(reduce<float>(OpCode::LogSumExp, {2, 0}, {1}, 2, None)[0], -Inf);
  EXPECT_EQ(reduce<float>(OpCode::Min, {2, 0}, {1}, 2, None)[0], Inf);
}

TEST(Strided, IntegerReductions) {
  const int32_t Max32 = std::numeric_limits<int32_t>::max(),
                Min32 = std::numeric_limits<int32_t>::min();
  std::vector<int32_t> X = {Max32, 1, -5, 7};
  auto At = [&](int64_t I) { return X[I]; };
  // [[MAX, 1], [-5, 7]]: row sums wrap; column max and min.
  EXPECT_EQ(reduce<int32_t>(OpCode::Sum, {2, 2}, {1}, 2, At),
            (std::vector<int32_t>{Min32, 2}));
  EXPECT_EQ(reduce<int32_t>(OpCode::Max, {2, 2}, {0}, 2, At),
            (std::vector<int32_t>{Max32, 7}));
  EXPECT_EQ(reduce<int32_t>(OpCode::Min, {2, 2}, {0}, 2, At),
            (std::vector<int32_t>{-5, 1}));
  auto None = [](int64_t) -> int64_t { return 0; };
  EXPECT_EQ(reduce<int64_t>(OpCode::Max, {0}, {0}, 1, None),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::lowest()}));
  EXPECT_EQ(reduce<int64_t>(OpCode::Min, {0}, {0}, 1, None),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::max()}));
}

TEST(Strided, ArgmaxTakesTheFirstMaximumOrNaN) {
  auto Of = [](const auto &V) {
    using T = typename std::decay_t<decltype(V)>::value_type;
    return argmax<T>(static_cast<int64_t>(V.size()),
                     [&](int64_t L) { return V[L]; });
  };
  float NaN = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Of(std::vector<float>{1, 3, 3, 2}), 1);
  EXPECT_EQ(Of(std::vector<float>{1, NaN, 5, NaN}), 1);
  EXPECT_EQ(Of(std::vector<float>{NaN, 9}), 0);
  EXPECT_EQ(Of(std::vector<int32_t>{-4, -2, -9}), 1);
  EXPECT_EQ(Of(std::vector<int64_t>{5, 5}), 0);
  EXPECT_EQ(Of(std::vector<double>{}), 0);
}

TEST(DTypeVisit, CallsWithTheDtypesType) {
  auto Size = [](auto Tag) { return sizeof(Tag); };
  EXPECT_EQ(visitDType(DType::F32, Size), 4u);
  EXPECT_EQ(visitDType(DType::F64, Size), 8u);
  EXPECT_EQ(visitDType(DType::I32, Size), 4u);
  EXPECT_EQ(visitDType(DType::I64, Size), 8u);
  EXPECT_TRUE(visitDType(DType::Bool, [](auto Tag) {
    return std::is_same_v<decltype(Tag), bool>;
  }));
  EXPECT_TRUE(visitNumeric(DType::I64, [](auto Tag) {
    return std::is_same_v<decltype(Tag), int64_t>;
  }));
  EXPECT_TRUE(visitFloat(DType::F64, [](auto Tag) {
    return std::is_same_v<decltype(Tag), double>;
  }));
}

} // namespace
