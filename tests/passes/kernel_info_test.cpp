//===- kernel_info_test.cpp - Classes, phases and schedules of kernels ----===//
//
// analyzeKernel on hand-written bodies: softmax (three loops: the max, the
// sum of exponentials, the normalized output, with exp(z - m) recomputed in
// the last two), a column reduction with per-row and per-column arguments
// (late values in the epilogue), the gather/one_hot forms of a
// cross-entropy, degenerate domains, narrow arguments listed before the
// widest value, and bodies that do not fit the model
// (each rejected with a message naming the node).
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/kernel_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>

using namespace netjit;
using ::testing::HasSubstr;

namespace {

using VC = ValueClass;

/// The body of the first kernel of a graph given as text.
const Graph &kernelBody(const Graph &G) {
  for (NodeId Id : G.liveNodes())
    if (G.node(Id).Op == OpCode::Kernel)
      return *G.node(Id).Body;
  throw Error("no kernel");
}

/// One kernel whose body is Body (statements and return), over Args.
std::string kernelText(const std::string &Args, const std::string &ResultTypes,
                       const std::string &Operands, const std::string &BodyArgs,
                       const std::string &Body) {
  return "graph @k(" + Args + ") {\n  %0 = kernel(" + Operands + ") : (" +
         ResultTypes + ") body(" + BodyArgs + ") {\n" + Body +
         "  }\n  %1 = result(%0) {index=0} : " +
         ResultTypes.substr(0, ResultTypes.find(", ") == std::string::npos
                                   ? ResultTypes.size()
                                   : ResultTypes.find(", ")) +
         "\n  return r = %1\n}\n";
}

/// Body node %N (numbered as printed: arguments are not numbered).
NodeId bodyNode(const Graph &Body, unsigned N) {
  unsigned Seen = 0;
  for (NodeId Id : Body.liveNodes()) {
    if (Body.node(Id).Op == OpCode::Input)
      continue;
    if (Seen++ == N)
      return Id;
  }
  throw Error("no node %" + std::to_string(N));
}

std::vector<unsigned> numbers(const Graph &Body,
                              const std::vector<NodeId> &Ids) {
  std::vector<unsigned> Out;
  for (NodeId Id : Ids)
    for (unsigned N = 0;; ++N)
      if (bodyNode(Body, N) == Id) {
        Out.push_back(N);
        break;
      }
  return Out;
}

const char *const kSoftmaxBody =
    "    %0 = max(%a) {axes=[1], keepdims=true} : f32[B,1]\n"
    "    %1 = broadcast(%0) {shape=[B, 10]} : f32[B,10]\n"
    "    %2 = sub(%a, %1) : f32[B,10]\n"
    "    %3 = exp(%2) : f32[B,10]\n"
    "    %4 = sum(%3) {axes=[1], keepdims=true} : f32[B,1]\n"
    "    %5 = broadcast(%4) {shape=[B, 10]} : f32[B,10]\n"
    "    %6 = div(%3, %5) : f32[B,10]\n"
    "    return %6\n";

TEST(KernelInfo, SoftmaxHasThreeLoops) {
  Graph G = parseGraph(kernelText("%z: f32[B,10]", "f32[B,10]", "%z",
                                  "%a: f32[B,10]", kSoftmaxBody));
  const Graph &Body = kernelBody(G);
  KernelInfo I = analyzeKernel(Body);
  EXPECT_EQ(shapeStr(I.RShape), "[B]");
  EXPECT_EQ(I.K.str(), "10");
  EXPECT_EQ(I.R.str(), "B");
  EXPECT_EQ(I.ArgClass, std::vector<VC>{VC::E});
  // Loop 0 accumulates the max m, loop 1 the sum s of exp(z - m), loop 2
  // writes exp(z - m) / s.
  ASSERT_EQ(I.NumLoops, 3);
  std::vector<VC> Classes{VC::Row, VC::E, VC::E, VC::E, VC::Row, VC::E, VC::E};
  std::vector<int> Phases{1, 1, 1, 1, 2, 2, 2};
  for (unsigned N = 0; N < 7; ++N) {
    EXPECT_EQ(I.classOf(bodyNode(Body, N)), Classes[N]) << "%" << N;
    EXPECT_EQ(I.Phase[bodyNode(Body, N).Index], Phases[N]) << "%" << N;
    EXPECT_FALSE(I.isLate(bodyNode(Body, N))) << "%" << N;
  }
  EXPECT_EQ(numbers(Body, I.Accumulate[0]), std::vector<unsigned>{0});
  EXPECT_EQ(numbers(Body, I.Accumulate[1]), std::vector<unsigned>{4});
  EXPECT_TRUE(I.Accumulate[2].empty());
  EXPECT_TRUE(I.Loop[0].empty()); // the max reads the argument directly
  EXPECT_EQ(numbers(Body, I.Loop[1]), (std::vector<unsigned>{1, 2, 3}));
  EXPECT_EQ(numbers(Body, I.Loop[2]), (std::vector<unsigned>{1, 2, 3, 5, 6}));
  EXPECT_TRUE(I.RowStart[0].empty());
  EXPECT_EQ(numbers(Body, I.RowStart[1]), std::vector<unsigned>{0});
  EXPECT_EQ(numbers(Body, I.RowStart[2]), std::vector<unsigned>{4});
  EXPECT_TRUE(I.RowStart[3].empty());
  // exp is evaluated in loops 1 and 2: one repeated transcendental.
  EXPECT_EQ(I.RecomputeCost, 1);
  EXPECT_TRUE(I.Prologue.empty() && I.EpilogueS.empty() &&
              I.EpilogueLoop.empty());
}

TEST(KernelInfo, ColumnReductionIsLate) {
  // y = x * b + s (b per column, s per row); c = sum(y, axis 0) * b;
  // t = sum(y) / B.
  Graph G = parseGraph(kernelText(
      "%x: f32[B,4], %b: f32[4], %s: f32[B,1]", "f32[4], f32[], f32[B,4]",
      "%x, %b, %s", "%x0: f32[B,4], %b0: f32[4], %s0: f32[B,1]",
      "    %0 = broadcast(%b0) {shape=[B, 4]} : f32[B,4]\n"
      "    %1 = mul(%x0, %0) : f32[B,4]\n"
      "    %2 = broadcast(%s0) {shape=[B, 4]} : f32[B,4]\n"
      "    %3 = add(%1, %2) : f32[B,4]\n"
      "    %4 = sum(%3) {axes=[0], keepdims=false} : f32[4]\n"
      "    %5 = mul(%4, %b0) : f32[4]\n"
      "    %6 = sum(%3) {axes=[0, 1], keepdims=false} : f32[]\n"
      "    %7 = dim_value() {dim=B} : f32[]\n"
      "    %8 = div(%6, %7) : f32[]\n"
      "    return %5, %8, %3\n"));
  const Graph &Body = kernelBody(G);
  KernelInfo I = analyzeKernel(Body);
  EXPECT_EQ(I.ArgClass, (std::vector<VC>{VC::E, VC::Col, VC::Row}));
  EXPECT_EQ(I.NumLoops, 1);
  std::vector<VC> Classes{VC::E,   VC::E, VC::E, VC::E, VC::Col,
                          VC::Col, VC::S, VC::S, VC::S};
  std::vector<bool> Late{false, false, false, false, true,
                         true,  true,  false, true};
  for (unsigned N = 0; N < 9; ++N) {
    EXPECT_EQ(I.classOf(bodyNode(Body, N)), Classes[N]) << "%" << N;
    EXPECT_EQ(I.isLate(bodyNode(Body, N)), Late[N]) << "%" << N;
  }
  EXPECT_EQ(I.Phase[bodyNode(Body, 4).Index], 1); // late: NumLoops
  EXPECT_EQ(numbers(Body, I.Loop[0]), (std::vector<unsigned>{0, 1, 2, 3}));
  EXPECT_EQ(numbers(Body, I.Accumulate[0]), (std::vector<unsigned>{4, 6}));
  EXPECT_EQ(numbers(Body, I.Prologue), std::vector<unsigned>{7});
  EXPECT_EQ(numbers(Body, I.EpilogueS), (std::vector<unsigned>{6, 8}));
  EXPECT_EQ(numbers(Body, I.EpilogueLoop), (std::vector<unsigned>{4, 5}));
  EXPECT_EQ(I.RecomputeCost, 0);
}

TEST(KernelInfo, CrossEntropyRowValues) {
  // xent = logsumexp(z) - z[t], per row, summed; dz = softmax(z) - one_hot(t).
  Graph G = parseGraph(
      kernelText("%z: f32[B,10], %t: i64[B]", "f32[], f32[B,10]", "%z, %t",
                 "%a: f32[B,10], %i: i64[B]",
                 "    %0 = reshape(%i) {shape=[B, 1]} : i64[B,1]\n"
                 "    %1 = gather(%a, %0) {axis=1} : f32[B,1]\n"
                 "    %2 = max(%a) {axes=[1], keepdims=true} : f32[B,1]\n"
                 "    %3 = broadcast(%2) {shape=[B, 10]} : f32[B,10]\n"
                 "    %4 = sub(%a, %3) : f32[B,10]\n"
                 "    %5 = exp(%4) : f32[B,10]\n"
                 "    %6 = sum(%5) {axes=[1], keepdims=true} : f32[B,1]\n"
                 "    %7 = log(%6) : f32[B,1]\n"
                 "    %8 = add(%2, %7) : f32[B,1]\n"
                 "    %9 = sub(%8, %1) : f32[B,1]\n"
                 "    %10 = sum(%9) {axes=[0, 1], keepdims=false} : f32[]\n"
                 "    %11 = one_hot(%i) {depth=10, dtype=f32} : f32[B,10]\n"
                 "    %12 = broadcast(%6) {shape=[B, 10]} : f32[B,10]\n"
                 "    %13 = div(%5, %12) : f32[B,10]\n"
                 "    %14 = sub(%13, %11) : f32[B,10]\n"
                 "    return %10, %14\n"));
  const Graph &Body = kernelBody(G);
  KernelInfo I = analyzeKernel(Body);
  EXPECT_EQ(I.ArgClass, (std::vector<VC>{VC::E, VC::Row}));
  EXPECT_EQ(I.NumLoops, 3);
  // The gather is point-evaluated at the start of the first loop; the
  // per-row loss is ready before the last loop, and summed after it.
  EXPECT_EQ(numbers(Body, I.RowStart[0]), (std::vector<unsigned>{0, 1}));
  EXPECT_EQ(numbers(Body, I.RowStart[1]), std::vector<unsigned>{2});
  EXPECT_EQ(numbers(Body, I.RowStart[2]), (std::vector<unsigned>{6, 7, 8, 9}));
  EXPECT_EQ(numbers(Body, I.RowAccumulate), std::vector<unsigned>{10});
  EXPECT_EQ(numbers(Body, I.Loop[2]),
            (std::vector<unsigned>{3, 4, 5, 11, 12, 13, 14}));
  EXPECT_EQ(I.classOf(bodyNode(Body, 11)), VC::E);
  EXPECT_TRUE(I.isLate(bodyNode(Body, 10)));
}

TEST(KernelInfo, SquareDomainArgumentsFollowTheirUse) {
  // In a [3,3] domain a [3] argument is a column when a broadcast reads it.
  Graph G =
      parseGraph(kernelText("%x: f32[3,3], %b: f32[3]", "f32[3,3]", "%x, %b",
                            "%a: f32[3,3], %c: f32[3]",
                            "    %0 = broadcast(%c) {shape=[3, 3]} : f32[3,3]\n"
                            "    %1 = add(%a, %0) : f32[3,3]\n"
                            "    return %1\n"));
  EXPECT_EQ(analyzeKernel(kernelBody(G)).ArgClass,
            (std::vector<VC>{VC::E, VC::Col}));
}

TEST(KernelInfo, NarrowArgumentsDoNotDecideTheDomain) {
  // A [2] and an [N] argument come before the [N,2] value they meet in: the
  // domain is the widest value's, and they are a column and a row of it.
  Graph G = parseGraph(kernelText(
      "%x: f32[2], %v: f32[N]", "f32[N]", "%x, %v", "%c: f32[2], %r: f32[N]",
      "    %0 = broadcast(%c) {shape=[N, 2]} : f32[N,2]\n"
      "    %1 = max(%0) {axes=[1], keepdims=false} : f32[N]\n"
      "    %2 = mul(%r, %1) : f32[N]\n"
      "    return %2\n"));
  KernelInfo I = analyzeKernel(kernelBody(G));
  EXPECT_EQ(I.K.str(), "2");
  EXPECT_EQ(I.R.str(), "N");
  EXPECT_EQ(I.ArgClass, (std::vector<VC>{VC::Col, VC::Row}));
}

TEST(KernelInfo, ScalarAndVectorDomains) {
  Graph S = parseGraph(kernelText("%x: f64[]", "f64[]", "%x", "%a: f64[]",
                                  "    %0 = exp(%a) : f64[]\n    return %0\n"));
  KernelInfo I = analyzeKernel(kernelBody(S));
  EXPECT_TRUE(I.RShape.empty());
  EXPECT_EQ(I.K.str(), "1");
  EXPECT_EQ(I.ArgClass, std::vector<VC>{VC::E});
  Graph V = parseGraph(
      kernelText("%x: f64[N]", "f64[]", "%x", "%a: f64[N]",
                 "    %0 = sum(%a) {axes=[0], keepdims=false} : f64[]\n"
                 "    return %0\n"));
  KernelInfo J = analyzeKernel(kernelBody(V));
  EXPECT_EQ(J.K.str(), "N");
  EXPECT_EQ(J.R.str(), "1");
  // With R = 1 the sum over the only axis is the one row's value, so that
  // later loops can use it (a softmax of a vector is one kernel).
  EXPECT_EQ(J.classOf(bodyNode(kernelBody(V), 0)), VC::Row);
  EXPECT_EQ(J.Phase[bodyNode(kernelBody(V), 0).Index], 1);
}

struct Misfit {
  const char *What, *Args, *Types, *Operands, *BodyArgs, *Body, *Message;
};

class KernelMisfits : public ::testing::TestWithParam<Misfit> {};

TEST_P(KernelMisfits, AreRejectedByName) {
  const Misfit &M = GetParam();
  Graph G =
      parseGraph(kernelText(M.Args, M.Types, M.Operands, M.BodyArgs, M.Body));
  std::string Why;
  EXPECT_FALSE(tryAnalyzeKernel(kernelBody(G), &Why).has_value()) << M.What;
  EXPECT_THAT(Why, HasSubstr(M.Message)) << M.What;
  EXPECT_THROW(analyzeKernel(kernelBody(G)), TypeError);
}

const Misfit Misfits[] = {
    {"matmul", "%x: f32[4,4], %w: f32[4,4]", "f32[4,4]", "%x, %w",
     "%a: f32[4,4], %v: f32[4,4]",
     "    %0 = matmul(%a, %v) : f32[4,4]\n    return %0\n",
     "'matmul' cannot appear in a kernel body"},
    {"partial reduction", "%x: f32[T,B,4]", "f32[B,4]", "%x", "%a: f32[T,B,4]",
     "    %0 = sum(%a) {axes=[0], keepdims=false} : f32[B,4]\n    return %0\n",
     "does not fit the domain"},
    {"late value per row", "%x: f32[B,4]", "f32[B,4]", "%x", "%a: f32[B,4]",
     "    %0 = sum(%a) {axes=[0], keepdims=true} : f32[1,4]\n"
     "    %1 = broadcast(%0) {shape=[B, 4]} : f32[B,4]\n"
     "    %2 = sub(%a, %1) : f32[B,4]\n    return %2\n",
     "reads a late value"},
    {"scalar output before the loop", "%x: f32[B,4], %p: f32[]",
     "f32[], f32[B,4]", "%x, %p", "%a: f32[B,4], %q: f32[]",
     "    %0 = exp(%q) : f32[]\n"
     "    %1 = broadcast(%0) {shape=[B, 4]} : f32[B,4]\n"
     "    %2 = mul(%a, %1) : f32[B,4]\n    return %0, %2\n",
     "a kernel output must be E, Row or late"},
    {"two domains", "%x: f32[B,4], %y: f32[B,5]", "f32[B,4], f32[B,5]",
     "%x, %y", "%a: f32[B,4], %c: f32[B,5]",
     "    %0 = neg(%a) : f32[B,4]\n    %1 = neg(%c) : f32[B,5]\n    return %0, "
     "%1\n",
     "has no common domain"},
    {"row broadcast along the wrong axis", "%x: f32[3,3], %r: f32[3,1]",
     "f32[3,3]", "%x, %r", "%a: f32[3,3], %c: f32[3,1]",
     "    %0 = reshape(%c) {shape=[3]} : f32[3]\n"
     "    %1 = broadcast(%0) {shape=[3, 3]} : f32[3,3]\n"
     "    %2 = add(%a, %1) : f32[3,3]\n    return %2\n",
     "is not an index map of the domain"},
    {"column reduction to a scalar", "%x: f32[B,4]", "f32[]", "%x",
     "%a: f32[B,4]",
     "    %0 = sum(%a) {axes=[0], keepdims=false} : f32[4]\n"
     "    %1 = sum(%0) {axes=[0], keepdims=false} : f32[]\n    return %1\n",
     "reducing a Col value"},
    {"output is an argument", "%x: f32[B,4]", "f32[B,4]", "%x", "%a: f32[B,4]",
     "    return %a\n", "a kernel output cannot be an argument"},
    {"gather along rows", "%x: f32[B,4], %t: i64[1,4]", "f32[1,4]", "%x, %t",
     "%a: f32[B,4], %i: i64[1,4]",
     "    %0 = gather(%a, %i) {axis=0} : f32[1,4]\n    return %0\n",
     "the index must be a Row or S value"},
    {"vector constant", "%x: f32[B,2]", "f32[B,2]", "%x", "%a: f32[B,2]",
     "    %0 = constant() {value=[1.0, 2.0]} : f32[2]\n"
     "    %1 = broadcast(%0) {shape=[B, 2]} : f32[B,2]\n"
     "    %2 = add(%a, %1) : f32[B,2]\n    return %2\n",
     "a constant in a kernel body must be a scalar"},
};

INSTANTIATE_TEST_SUITE_P(All, KernelMisfits, ::testing::ValuesIn(Misfits),
                         [](const ::testing::TestParamInfo<Misfit> &P) {
                           std::string Name = P.param.What;
                           for (char &C : Name)
                             if (!std::isalnum(static_cast<unsigned char>(C)))
                               C = '_';
                           return Name;
                         });

} // namespace
