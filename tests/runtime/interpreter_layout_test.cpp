//===- interpreter_layout_test.cpp - Layout and indexing ops --------------===//
//
// Expected values were computed with numpy 1.24 (/usr/bin/python3) from the
// inputs spelled out here: np.transpose(x, perm), np.broadcast_to, basic
// slicing m[a:b:s], np.concatenate, np.take_along_axis for gather, np.add.at
// along the axis for scatter_add; pad (XLA semantics: low, high and interior
// zeros) and one_hot were worked out by hand. Every layout op runs on every
// numeric dtype (the values are small integers, exact in all of them).
//
//===----------------------------------------------------------------------===//
#include "interpreter_helpers.h"

#include <numeric>

using namespace netjit;
using namespace netjit::test;
using ::testing::HasSubstr;

namespace {

std::vector<double> iota(int N, double Start = 0) {
  std::vector<double> V(N);
  std::iota(V.begin(), V.end(), Start);
  return V;
}

class Layout : public ::testing::TestWithParam<DType> {};

TEST_P(Layout, TransposeReshapeBroadcast) {
  DType T = GetParam();
  Tensor X = tensor(T, {2, 3, 4}, iota(24));
  expectValues(applyOp(OpCode::Transpose, {X},
                       Attrs{{"perm", std::vector<int64_t>{2, 0, 1}}}),
               T, {4, 2, 3}, {0, 4, 8,  12, 16, 20, 1, 5, 9,  13, 17, 21,
                              2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  expectValues(applyOp(OpCode::Reshape, {X},
                       Attrs{{"shape", std::vector<int64_t>{6, 4}}}),
               T, {6, 4}, iota(24));
  expectValues(applyOp(OpCode::Reshape, {tensor(T, {1, 1}, {7})},
                       Attrs{{"shape", std::vector<int64_t>{}}}),
               T, {}, {7});
  expectValues(applyOp(OpCode::Broadcast, {tensor(T, {3, 1}, {1, 2, 3})},
                       Attrs{{"shape", std::vector<int64_t>{2, 3, 4}}}),
               T, {2, 3, 4}, {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                              1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
  expectValues(applyOp(OpCode::Broadcast, {tensor(T, {4}, {1, 2, 3, 4})},
                       Attrs{{"shape", std::vector<int64_t>{3, 4}}}),
               T, {3, 4}, {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4});
  expectValues(applyOp(OpCode::Broadcast, {tensor(T, {}, {5})},
                       Attrs{{"shape", std::vector<int64_t>{2, 0}}}),
               T, {2, 0}, {});
}

TEST_P(Layout, SlicePadConcat) {
  DType T = GetParam();
  Tensor M = tensor(T, {3, 5}, iota(15));
  auto Slice = [&](std::vector<int64_t> Starts, std::vector<int64_t> Stops,
                   std::vector<int64_t> Steps) {
    return applyOp(
        OpCode::Slice, {M},
        Attrs{{"starts", Starts}, {"stops", Stops}, {"steps", Steps}});
  };
  expectValues(Slice({1, 0}, {3, 5}, {1, 2}), T, {2, 3}, {5, 7, 9, 10, 12, 14});
  expectValues(Slice({0, 1}, {3, 4}, {2, 1}), T, {2, 3}, {1, 2, 3, 11, 12, 13});
  expectValues(Slice({2, 2}, {2, 5}, {1, 1}), T, {0, 3}, {});
  // A step beyond the extent takes the first element only.
  expectValues(Slice({1, 4}, {3, 5}, {1000, 1000}), T, {1, 1}, {9});

  Tensor P = tensor(T, {2, 3}, iota(6, 1));
  expectValues(applyOp(OpCode::Pad, {P},
                       Attrs{{"low", std::vector<int64_t>{1, 0}},
                             {"high", std::vector<int64_t>{0, 2}},
                             {"interior", std::vector<int64_t>{0, 1}}}),
               T, {3, 7},
               {0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 4, 0, 5, 0, 6, 0, 0});
  expectValues(applyOp(OpCode::Pad, {Tensor(T, {0})},
                       Attrs{{"low", std::vector<int64_t>{1}},
                             {"high", std::vector<int64_t>{1}},
                             {"interior", std::vector<int64_t>{3}}}),
               T, {2}, {0, 0});

  Tensor Y = applyOp(OpCode::Concat,
                     {tensor(T, {2, 1}, {1, 2}),
                      tensor(T, {2, 3}, {3, 4, 5, 6, 7, 8}), Tensor(T, {2, 0})},
                     Attrs{{"axis", int64_t(1)}});
  expectValues(Y, T, {2, 4}, {1, 3, 4, 5, 2, 6, 7, 8});
  expectValues(
      applyOp(OpCode::Concat,
              {tensor(T, {1, 2}, {1, 2}), tensor(T, {2, 2}, {3, 4, 5, 6})},
              Attrs{{"axis", int64_t(0)}}),
      T, {3, 2}, {1, 2, 3, 4, 5, 6});
}

TEST_P(Layout, GatherScatterAddOneHot) {
  DType T = GetParam();
  Tensor G = tensor(T, {2, 3}, {10, 11, 12, 13, 14, 15});
  for (DType I : {DType::I32, DType::I64}) {
    expectValues(applyOp(OpCode::Gather, {G, tensor(I, {2, 2}, {2, 0, 1, 1})},
                         Attrs{{"axis", int64_t(1)}}),
                 T, {2, 2}, {12, 10, 14, 14});
    expectValues(applyOp(OpCode::Gather, {G, tensor(I, {1, 3}, {1, 0, 1})},
                         Attrs{{"axis", int64_t(0)}}),
                 T, {1, 3}, {13, 11, 15});
    Tensor Idx = tensor(I, {2, 3}, {0, 3, 0, 2, 2, 1});
    Tensor Upd = tensor(T, {2, 3}, {1, 2, 3, 4, 5, 6});
    expectValues(applyOp(OpCode::ScatterAdd, {Idx, Upd},
                         Attrs{{"axis", int64_t(1)}, {"size", int64_t(4)}}),
                 T, {2, 4}, {4, 0, 0, 2, 0, 6, 9, 0});
    expectValues(applyOp(OpCode::OneHot, {tensor(I, {3}, {1, 0, 3})},
                         Attrs{{"depth", int64_t(4)}, {"dtype", T}}),
                 T, {3, 4}, {0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1});
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreter, Layout,
                         ::testing::Values(DType::F32, DType::F64, DType::I32,
                                           DType::I64),
                         [](const auto &Info) {
                           return std::string(dtypeName(Info.param));
                         });

TEST(InterpreterLayout, BoolValues) {
  Tensor B = tensor(DType::Bool, {2, 2}, {1, 0, 0, 0});
  expectValues(applyOp(OpCode::Transpose, {B},
                       Attrs{{"perm", std::vector<int64_t>{1, 0}}}),
               DType::Bool, {2, 2}, {1, 0, 0, 0});
  expectValues(applyOp(OpCode::Concat, {B, B}, Attrs{{"axis", int64_t(1)}}),
               DType::Bool, {2, 4}, {1, 0, 1, 0, 0, 0, 0, 0});
  expectValues(applyOp(OpCode::OneHot, {tensor(DType::I64, {2, 1}, {2, 0})},
                       Attrs{{"depth", int64_t(3)}, {"dtype", DType::Bool}}),
               DType::Bool, {2, 1, 3}, {0, 0, 1, 1, 0, 0});
}

TEST(InterpreterLayout, IndexOutOfRange) {
  Tensor G = tensor(DType::F32, {2, 3}, iota(6));
  Attrs Axis1{{"axis", int64_t(1)}};
  std::string Msg = applyOpError(
      OpCode::Gather, {G, tensor(DType::I64, {2, 1}, {0, 3})}, Axis1);
  EXPECT_THAT(Msg, HasSubstr("'gather': index 3 is out of range [0, 3) along "
                             "axis 1 of f32[2,3]"));
  EXPECT_THAT(applyOpError(OpCode::Gather,
                           {G, tensor(DType::I32, {2, 1}, {-1, 0})}, Axis1),
              HasSubstr("'gather': index -1 is out of range"));
  EXPECT_THAT(applyOpError(OpCode::ScatterAdd,
                           {tensor(DType::I32, {1, 2}, {0, 4}),
                            tensor(DType::F64, {1, 2}, {1, 1})},
                           Attrs{{"axis", int64_t(1)}, {"size", int64_t(4)}}),
              HasSubstr("'scatter_add': index 4 is out of range [0, 4) along "
                        "axis 1"));
  EXPECT_THAT(applyOpError(OpCode::OneHot, {tensor(DType::I64, {2}, {1, 5})},
                           Attrs{{"depth", int64_t(5)}, {"dtype", DType::F32}}),
              HasSubstr("'one_hot': label 5 is out of range [0, 5)"));
  EXPECT_THAT(applyOpError(OpCode::OneHot, {tensor(DType::I32, {1}, {-2})},
                           Attrs{{"depth", int64_t(5)}, {"dtype", DType::F32}}),
              HasSubstr("'one_hot': label -2"));
}

TEST(InterpreterLayout, SymbolicSliceAndPadOutOfRange) {
  // slice(x: f32[N]) {stops=[M]}: fine for M <= N, an error beyond.
  Graph G;
  NodeId X = G.input("x", ty(DType::F32, {Dim::symbol("N")}));
  Dim M = Dim::symbol("M");
  G.addOutput("y", G.make(OpCode::Slice, std::vector<NodeId>{X},
                          Attrs{{"starts", std::vector<Dim>{Dim(0)}},
                                {"stops", std::vector<Dim>{M}},
                                {"steps", std::vector<int64_t>{1}}}));
  EvalOptions Opts;
  Opts.Bindings["M"] = 2;
  expectValues(
      run(G, {{"x", tensor(DType::F32, {3}, {4, 5, 6})}}, Opts).at("y"),
      DType::F32, {2}, {4, 5});
  Opts.Bindings["M"] = 5;
  EXPECT_THAT(evalError(G, {{"x", tensor(DType::F32, {3}, {4, 5, 6})}}, Opts),
              HasSubstr("'slice': slice 0:5 is out of range for dim 0 of "
                        "f32[3]"));

  // pad {low=[K-2]} with K = 1 pads by -1.
  Graph P;
  NodeId Y = P.input("y", ty(DType::F32, {3}));
  Dim Low = Dim::symbol("K") - Dim(2);
  P.addOutput("z", P.make(OpCode::Pad, std::vector<NodeId>{Y},
                          Attrs{{"low", std::vector<Dim>{Low}},
                                {"high", std::vector<int64_t>{0}},
                                {"interior", std::vector<int64_t>{0}}}));
  EvalOptions K;
  K.Bindings["K"] = 1;
  EXPECT_THAT(evalError(P, {{"y", Tensor(DType::F32, {3})}}, K),
              HasSubstr("'pad': attribute 'low': dim K-2 of shape [K-2] "
                        "evaluates to -1 < 0"));
  K.Bindings["K"] = 3;
  expectValues(run(P, {{"y", tensor(DType::F32, {3}, {1, 2, 3})}}, K).at("z"),
               DType::F32, {4}, {0, 1, 2, 3});
}

} // namespace
