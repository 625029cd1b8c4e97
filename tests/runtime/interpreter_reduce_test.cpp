//===- interpreter_reduce_test.cpp - Reductions, matmul, softmax, random --===//
//
// Expected values were computed in float64 with numpy 1.24
// (/usr/bin/python3) from the inputs spelled out here: x.sum/mean/max/min
// over the same axes, logsumexp as m + log(sum(exp(x - m))), x.argmax,
// a @ b, softmax as exp(x - max) / sum, log_softmax as x - max - log(sum),
// and softmax_xent as logsumexp(z, axis=1) - z[row, label]. The random
// streams are checked against the independent Python Philox of
// philox_test.cpp (key 42).
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

// x = ((i*7) % 11) - 5 + 0.25*i for i in 0..23, shape [2,3,4].
const std::vector<double> X = {-5.0, 2.25, -1.5, 5.75,  2.0, -1.75, 5.5, 1.75,
                               -2.0, 5.25, 1.5,  -2.25, 5.0, 1.25,  8.5, 4.75,
                               1.0,  8.25, 4.5,  0.75,  8.0, 4.25,  0.5, 7.75};

Tensor reduce(OpCode Op, const Tensor &T, std::vector<int64_t> Axes,
              bool KeepDims = false) {
  return applyOp(Op, {T}, Attrs{{"axes", Axes}, {"keepdims", KeepDims}});
}

class Reductions : public ::testing::TestWithParam<DType> {};

TEST_P(Reductions, OverAxes) {
  DType T = GetParam();
  Tensor In = tensor(T, {2, 3, 4}, X);
  expectValues(reduce(OpCode::Sum, In, {1}), T, {2, 4},
               {-5.0, 5.75, 5.5, 5.25, 14.0, 13.75, 13.5, 13.25});
  expectValues(reduce(OpCode::Sum, In, {0, 2}, true), T, {1, 3, 1},
               {21.0, 22.0, 23.0});
  expectValues(reduce(OpCode::Mean, In, {2}), T, {2, 3},
               {0.375, 1.875, 0.625, 4.875, 3.625, 5.125});
  expectValues(reduce(OpCode::Max, In, {0, 1}), T, {4}, {8.0, 8.25, 8.5, 7.75});
  expectValues(reduce(OpCode::Min, In, {1}, true), T, {2, 1, 4},
               {-5.0, -1.75, -1.5, -2.25, 1.0, 1.25, 0.5, 0.75});
  expectValues(reduce(OpCode::LogSumExp, In, {2}), T, {2, 3},
               {5.78046034060696, 5.552995882645046, 5.27447893572895,
                8.552995882645046, 8.27447893572895, 8.589380734418802});
  expectValues(reduce(OpCode::LogSumExp, In, {0, 1, 2}), T, {},
               {9.632742942529392});
  // No axes: the identity (a copy).
  expectValues(reduce(OpCode::Sum, In, {}), T, {2, 3, 4}, X);
}

TEST_P(Reductions, NaNInfinitiesAndEmptyAxes) {
  DType T = GetParam();
  Tensor In = tensor(T, {2, 3}, {1, NaN, 3, -Inf, -Inf, -Inf});
  expectValues(reduce(OpCode::Max, In, {1}), T, {2}, {NaN, -Inf});
  expectValues(reduce(OpCode::Min, In, {1}), T, {2}, {NaN, -Inf});
  expectValues(reduce(OpCode::LogSumExp, In, {1}), T, {2}, {NaN, -Inf});
  // logsumexp of large values does not overflow: 1000 + log(2).
  expectValues(reduce(OpCode::LogSumExp, tensor(T, {2}, {1000, 1000}), {0}), T,
               {}, {1000.6931471805599});
  expectValues(reduce(OpCode::LogSumExp, tensor(T, {2}, {Inf, 1}), {0}), T, {},
               {Inf});
  Tensor Empty(T, {2, 0});
  expectValues(reduce(OpCode::Sum, Empty, {1}), T, {2}, {0, 0});
  expectValues(reduce(OpCode::Mean, Empty, {1}), T, {2}, {NaN, NaN});
  expectValues(reduce(OpCode::Max, Empty, {1}), T, {2}, {-Inf, -Inf});
  expectValues(reduce(OpCode::Min, Empty, {1}), T, {2}, {Inf, Inf});
  expectValues(reduce(OpCode::LogSumExp, Empty, {1}), T, {2}, {-Inf, -Inf});
}

TEST_P(Reductions, Argmax) {
  DType T = GetParam();
  Tensor In = tensor(T, {2, 3, 4}, X);
  auto Argmax = [](const Tensor &V, int64_t Axis, bool Keep) {
    return applyOp(OpCode::Argmax, {V},
                   Attrs{{"axis", Axis}, {"keepdims", Keep}});
  };
  expectValues(Argmax(In, 1, false), DType::I64, {2, 4},
               {1, 2, 1, 0, 2, 1, 0, 2});
  expectValues(Argmax(In, 2, true), DType::I64, {2, 3, 1}, {3, 2, 1, 2, 1, 0});
  // Ties pick the first maximum; the first NaN is the maximum (numpy).
  Tensor Ties = tensor(T, {3, 3}, {2, 5, 5, 1, NaN, NaN, -Inf, -Inf, -Inf});
  expectValues(Argmax(Ties, 1, false), DType::I64, {3}, {1, 1, 0});
  EXPECT_THAT(applyOpError(OpCode::Argmax, {Tensor(T, {2, 0})},
                           Attrs{{"axis", int64_t(1)}, {"keepdims", false}}),
              HasSubstr("'argmax': argmax over an empty axis"));
}

TEST_P(Reductions, MatMul) {
  DType T = GetParam();
  Tensor A = tensor(T, {2, 3}, {-1.25, -0.75, -0.25, 0.25, 0.75, 1.25});
  Tensor B = tensor(
      T, {3, 4},
      {-1.5, -0.5, 0.5, 1.5, 2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.5, -0.5});
  expectValues(applyOp(OpCode::MatMul, {A, B}), T, {2, 4},
               {-0.375, 1.125, 0.125, -2.125, 3.375, 1.875, -2.125, 0.125});
  // Batched: [2,2,3] x [2,3,2].
  std::vector<double> AV, BV;
  for (int I = 0; I < 12; ++I) {
    AV.push_back(I * 0.25 - 1);
    BV.push_back(I % 4 - 1.0);
  }
  expectValues(applyOp(OpCode::MatMul,
                       {tensor(T, {2, 2, 3}, AV), tensor(T, {2, 3, 2}, BV)}),
               T, {2, 2, 2}, {0.75, -1.5, 0.0, 0.0, 0.75, 3.0, 1.5, 6.0});
  // K = 0 gives zeros.
  expectValues(applyOp(OpCode::MatMul, {Tensor(T, {2, 0}), Tensor(T, {0, 3})}),
               T, {2, 3}, {0, 0, 0, 0, 0, 0});
}

TEST_P(Reductions, SoftmaxAndLogSoftmax) {
  DType T = GetParam();
  Tensor S = tensor(T, {2, 3}, {1.0, 2.0, 3.0, -1.0, 0.0, 1000.0});
  Attrs Axis1{{"axis", int64_t(1)}}, Axis0{{"axis", int64_t(0)}};
  expectValues(applyOp(OpCode::Softmax, {S}, Axis1), T, {2, 3},
               {0.09003057317038043, 0.24472847105479767, 0.6652409557748218,
                0.0, 0.0, 1.0});
  expectValues(applyOp(OpCode::Softmax, {S}, Axis0), T, {2, 3},
               {0.8807970779778825, 0.8807970779778825, 0.0,
                0.11920292202211755, 0.11920292202211755, 1.0});
  expectValues(applyOp(OpCode::LogSoftmax, {S}, Axis1), T, {2, 3},
               {-2.4076059644443806, -1.4076059644443804, -0.40760596444438035,
                -1001.0, -1000.0, 0.0});
  expectValues(applyOp(OpCode::LogSoftmax, {S}, Axis0), T, {2, 3},
               {-0.1269280110429724, -0.1269280110429724, -997.0,
                -2.1269280110429722, -2.1269280110429722, 0.0});
}

TEST_P(Reductions, SoftmaxCrossEntropy) {
  DType T = GetParam();
  Tensor Z = tensor(T, {3, 4},
                    {0.5, -1.0, 2.0, 0.0, 1000.0, 1001.0, 999.0, 0.0, -3.0,
                     -3.0, -3.0, -3.0});
  for (DType L : {DType::I32, DType::I64}) {
    Tensor Labels = tensor(L, {3}, {2, 0, 3});
    expectValues(applyOp(OpCode::SoftmaxXent, {Z, Labels}), T, {3},
                 {0.34234958238982216, 1.4076059644444285, 1.3862943611198906});
  }
  // One row: logits [4], a scalar label.
  expectValues(
      applyOp(OpCode::SoftmaxXent, {tensor(T, {4}, {0.5, -1.0, 2.0, 0.0}),
                                    tensor(DType::I64, {}, {2})}),
      T, {}, {0.34234958238982216});
  EXPECT_THAT(applyOpError(OpCode::SoftmaxXent,
                           {Z, tensor(DType::I32, {3}, {0, 4, 1})}),
              HasSubstr("'softmax_xent': label 4 of row 1 is out of range "
                        "[0, 4)"));
  EXPECT_THAT(applyOpError(OpCode::SoftmaxXent,
                           {Z, tensor(DType::I64, {3}, {-1, 0, 1})}),
              HasSubstr("label -1 of row 0"));
}

INSTANTIATE_TEST_SUITE_P(Interpreter, Reductions,
                         ::testing::Values(DType::F32, DType::F64),
                         [](const auto &Info) {
                           return std::string(dtypeName(Info.param));
                         });

TEST(InterpreterReduce, IntegerReductionsAndMatMul) {
  for (DType T : {DType::I32, DType::I64}) {
    Tensor In = tensor(T, {2, 3}, {3, -7, 2, 0, 5, 5});
    expectValues(reduce(OpCode::Sum, In, {1}), T, {2}, {-2, 10});
    expectValues(reduce(OpCode::Max, In, {0}), T, {3}, {3, 5, 5});
    expectValues(reduce(OpCode::Min, In, {0, 1}), T, {}, {-7});
    expectValues(applyOp(OpCode::Argmax, {In},
                         Attrs{{"axis", int64_t(1)}, {"keepdims", false}}),
                 DType::I64, {2}, {0, 1});
    Tensor B = tensor(T, {3, 1}, {1, 2, 3});
    expectValues(applyOp(OpCode::MatMul, {In, B}), T, {2, 1}, {-5, 25});
  }
  // i32 sums wrap modulo 2^32 (accumulated in 64 bits, then truncated).
  Tensor Big = tensor(DType::I32, {2}, {2147483647, 1});
  expectValues(reduce(OpCode::Sum, Big, {0}), DType::I32, {}, {-2147483648.0});
  // Integer max over an empty axis is the lowest value.
  expectValues(reduce(OpCode::Max, Tensor(DType::I32, {0}), {0}), DType::I32,
               {}, {-2147483648.0});
}

TEST(InterpreterReduce, RandomStreams) {
  for (DType T : {DType::F32, DType::F64}) {
    Graph G;
    NodeId Key = G.input("key", ty(DType::I64, {}));
    G.addOutput("u", G.make(OpCode::RandomUniform, std::vector<NodeId>{Key}, {},
                            ty(T, {2, 3})));
    G.addOutput("n", G.make(OpCode::RandomNormal, std::vector<NodeId>{Key}, {},
                            ty(T, {4})));
    TensorMap Out = run(G, {{"key", Tensor::scalar(42, DType::I64)}});
    // Uniform draws are multiples of 2^-24: exact in f32 and f64.
    expectValues(Out.at("u"), T, {2, 3},
                 {0.6129598617553711, 0.4685865044593811, 0.07323169708251953,
                  0.3408614993095398, 0.9877186417579651, 0.32706332206726074},
                 0);
    expectValues(Out.at("n"), T, {4},
                 {-0.970189708191932, -1.2356200747928239, -0.07318130573074808,
                  -1.1066648560793124},
                 T == DType::F32 ? 3e-7 : 1e-14);
  }
}

} // namespace
