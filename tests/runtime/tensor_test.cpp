//===- tensor_test.cpp - Dense host tensors -------------------------------===//
//
// Storage (alignment, zero fill, value semantics), element conversion through
// double, and the errors a user can cause (bad value counts, bad shapes).
//
//===----------------------------------------------------------------------===//
#include "runtime/tensor.h"

#include "ir/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace netjit;
using ::testing::HasSubstr;

namespace {

TEST(Tensor, ZeroFilledAndAligned) {
  for (DType T :
       {DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool}) {
    Tensor X(T, {3, 5});
    EXPECT_EQ(X.numel(), 15);
    EXPECT_EQ(X.nbytes(), 15 * dtypeSize(T));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(X.raw()) % 64, 0u);
    for (int64_t I = 0; I < 15; ++I)
      EXPECT_EQ(X.at(I), 0.0);
  }
}

TEST(Tensor, RankZeroAndZeroSize) {
  Tensor S = Tensor::scalar(2.5, DType::F64);
  EXPECT_EQ(S.rank(), 0u);
  EXPECT_EQ(S.numel(), 1);
  EXPECT_EQ(S.at(0), 2.5);
  EXPECT_EQ(S.typeStr(), "f64[]");

  Tensor E(DType::F32, {0, 4});
  EXPECT_EQ(E.numel(), 0);
  EXPECT_EQ(E.nbytes(), 0u);
  EXPECT_NE(E.raw(), nullptr);
  EXPECT_EQ(E.typeStr(), "f32[0,4]");
  Tensor Copy = E;
  EXPECT_EQ(Copy.shape(), (std::vector<int64_t>{0, 4}));
}

TEST(Tensor, ValueSemantics) {
  std::vector<double> V = {1, 2, 3, 4};
  Tensor A = Tensor::fromValues(DType::I32, {2, 2}, V);
  Tensor B = A;
  B.set(0, 10);
  EXPECT_EQ(A.at(0), 1);
  EXPECT_EQ(B.at(0), 10);
  EXPECT_NE(A.raw(), B.raw());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(B.raw()) % 64, 0u);

  Tensor C(DType::F64, {7});
  C = A;
  EXPECT_EQ(C.dtype(), DType::I32);
  EXPECT_EQ(C.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(C.at(3), 4);
  const Tensor &Self = C;
  C = Self; // self-assignment keeps the value
  EXPECT_EQ(C.at(3), 4);

  const void *Raw = A.raw();
  Tensor D = std::move(A);
  EXPECT_EQ(D.raw(), Raw);
  EXPECT_EQ(D.at(1), 2);
}

TEST(Tensor, ConversionsThroughDouble) {
  Tensor F =
      Tensor::fromValues(DType::F32, {2}, std::vector<double>{0.1, 1e40});
  EXPECT_EQ(F.at(0), static_cast<double>(0.1f));
  EXPECT_TRUE(std::isinf(F.at(1)));

  // Integers truncate toward zero, like a C cast.
  Tensor I = Tensor::fromValues(DType::I32, {4},
                                std::vector<double>{2.7, -2.7, -0.5, 7});
  EXPECT_EQ(I.data<int32_t>()[0], 2);
  EXPECT_EQ(I.data<int32_t>()[1], -2);
  EXPECT_EQ(I.data<int32_t>()[2], 0);
  EXPECT_EQ(I.data<int32_t>()[3], 7);

  Tensor L = Tensor::scalar(9007199254740992.0, DType::I64);
  EXPECT_EQ(L.data<int64_t>()[0], int64_t(1) << 53);

  Tensor B =
      Tensor::fromValues(DType::Bool, {3}, std::vector<double>{0, -3, 0.5});
  const bool *BP = B.data<bool>();
  EXPECT_FALSE(BP[0]);
  EXPECT_TRUE(BP[1]);
  EXPECT_TRUE(BP[2]);
  EXPECT_EQ(static_cast<const uint8_t *>(B.raw())[1], 1); // stored as 0/1
  EXPECT_EQ(B.at(1), 1.0);

  Tensor D = Tensor::scalar(-0.0, DType::F64);
  EXPECT_TRUE(std::signbit(D.data<double>()[0]));
}

TEST(Tensor, TypedDataMatchesDType) {
  Tensor F(DType::F32, {2});
  F.data<float>()[1] = 3.5f;
  EXPECT_EQ(F.at(1), 3.5);
  Tensor D(DType::F64, {1});
  D.data<double>()[0] = -1.25;
  EXPECT_EQ(D.at(0), -1.25);
  Tensor L(DType::I64, {1});
  L.data<int64_t>()[0] = -5;
  EXPECT_EQ(L.at(0), -5);
  const Tensor &CF = F;
  EXPECT_EQ(CF.data<float>()[1], 3.5f);
}

TEST(TensorDeathTest, TypedDataOfWrongDTypeAborts) {
  Tensor F(DType::F32, {2});
  EXPECT_DEATH(F.data<double>(), "requested f64 from a tensor of type f32");
}

TEST(Tensor, Errors) {
  std::vector<double> Three = {1, 2, 3};
  try {
    Tensor::fromValues(DType::F32, {2, 2}, Three);
    FAIL() << "expected a RuntimeError";
  } catch (const RuntimeError &E) {
    EXPECT_THAT(E.what(), HasSubstr("3 values"));
    EXPECT_THAT(E.what(), HasSubstr("f32[2,2]"));
  }
  EXPECT_THROW(Tensor(DType::F32, {2, -1}), RuntimeError);
  int64_t Big = std::numeric_limits<int64_t>::max() / 2;
  try {
    Tensor T(DType::F32, {Big, 4});
    FAIL() << "expected a RuntimeError";
  } catch (const RuntimeError &E) {
    EXPECT_THAT(E.what(), HasSubstr("too large"));
  }
  // A zero dim makes any other dim harmless.
  Tensor Z(DType::F64, {Big, Big, 0});
  EXPECT_EQ(Z.numel(), 0);
}

} // namespace
