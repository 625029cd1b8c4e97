//===- scan_graphs.h - Recurrent graphs for the scan autodiff tests -------===//
//
// Small scans shared by scan_autodiff_test.cpp and scan_bptt_test.cpp: a
// vanilla tanh RNN h' = tanh(x W + h U + b) with the loss sum(hs²) +
// sum(h_T) (both kinds of result used), built as one scan or unrolled by
// hand with stop_gradient (the truncated-BPTT oracle), and a helper to make
// a scan node from its pieces. Shapes are f64 with the batch B and the trip
// count T symbolic.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "ir/graph.h"

#include <memory>
#include <optional>
#include <vector>

namespace netjit::scantest {

inline const Dim B = Dim::symbol("B");
inline const Dim T = Dim::symbol("T");

inline TensorType f64(Shape S) { return {DType::F64, std::move(S)}; }

/// A scan node: C carries and S sequences first in Ops, then constants.
inline NodeId makeScan(Graph &G, std::vector<NodeId> Ops, int64_t C, int64_t S,
                       bool Reverse, std::shared_ptr<Graph> Body,
                       std::optional<Dim> Length = std::nullopt,
                       int64_t BpttLimit = 0) {
  Attrs A{{"num_carry", C}, {"num_seqs", S}, {"reverse", Reverse}};
  if (Length)
    A.set("length", *Length);
  if (BpttLimit)
    A.set("bptt_limit", BpttLimit);
  return G.make(OpCode::Scan, Ops, std::move(A), std::nullopt, std::move(Body));
}

/// tanh(x W + h U + b) in B's graph (b: [H], broadcast over the rows).
inline NodeId rnnCell(Builder &Bd, NodeId H, NodeId X, NodeId W, NodeId U,
                      NodeId Bias) {
  NodeId Pre = Bd.binary(OpCode::Add, Bd.matmul(X, W), Bd.matmul(H, U));
  return Bd.unary(OpCode::Tanh, Bd.binary(OpCode::Add, Pre, Bias));
}

/// The RNN as one scan over xs: f64[T,B,D] from h0: f64[B,H], params w,
/// u, b. Outputs: loss = sum(hs²) + sum(h_T), h (the final carry), hs.
inline Graph rnnGraph(int64_t D, int64_t H, bool Reverse,
                      int64_t BpttLimit = 0) {
  auto Body = std::make_shared<Graph>("cell");
  Builder Bb(*Body);
  NodeId Hc = Body->input("h", f64({B, H}));
  NodeId X = Body->input("x", f64({B, D}));
  NodeId W = Body->input("w", f64({D, H}));
  NodeId U = Body->input("u", f64({H, H}));
  NodeId Bias = Body->input("b", f64({H}));
  NodeId Next = rnnCell(Bb, Hc, X, W, U, Bias);
  Body->addOutput("", Next);
  Body->addOutput("", Next);

  Graph G("rnn");
  Builder Bd(G);
  NodeId H0 = G.input("h0", f64({B, H}));
  NodeId Xs = G.input("xs", f64({T, B, D}));
  NodeId Wp = G.param("w", f64({D, H}));
  NodeId Up = G.param("u", f64({H, H}));
  NodeId Bp = G.param("b", f64({H}));
  NodeId Scan = makeScan(G, {H0, Xs, Wp, Up, Bp}, 1, 1, Reverse, Body,
                         std::nullopt, BpttLimit);
  NodeId Last = Bd.result(Scan, 0), All = Bd.result(Scan, 1);
  NodeId Loss = Bd.binary(OpCode::Add,
                          Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square, All)),
                          Bd.reduce(OpCode::Sum, Last));
  G.addOutput("loss", Loss);
  G.addOutput("h", Last);
  G.addOutput("hs", All);
  return G;
}

/// The same RNN unrolled by hand for Steps steps (batch Batch), with the
/// truncation of `bptt_limit=Limit` spelled with stop_gradient: the steps
/// run before the last Limit have their outputs under stop_gradient, and
/// the carry entering the Limit-th last step is under stop_gradient.
/// Limit 0 truncates nothing. Same arguments and `loss` output as rnnGraph.
inline Graph unrolledRnn(int64_t D, int64_t H, bool Reverse, int64_t Steps,
                         int64_t Batch, int64_t Limit) {
  Graph G("unrolled");
  Builder Bd(G);
  NodeId Hc = G.input("h0", f64({Batch, H}));
  NodeId Xs = G.input("xs", f64({Steps, Batch, D}));
  NodeId W = G.param("w", f64({D, H}));
  NodeId U = G.param("u", f64({H, H}));
  NodeId Bias = G.param("b", f64({H}));
  int64_t Cut = Limit > 0 && Limit < Steps ? Steps - Limit : -1;
  NodeId Loss;
  for (int64_t E = 0; E < Steps; ++E) {
    int64_t Tt = Reverse ? Steps - 1 - E : E;
    NodeId X = Bd.reshape(
        Bd.make(OpCode::Slice, {Xs},
                Attrs{{"starts", std::vector<int64_t>{Tt, 0, 0}},
                      {"stops", std::vector<int64_t>{Tt + 1, Batch, D}},
                      {"steps", std::vector<int64_t>{1, 1, 1}}}),
        {Batch, D});
    if (E == Cut)
      Hc = Bd.unary(OpCode::StopGradient, Hc);
    Hc = rnnCell(Bd, Hc, X, W, U, Bias);
    NodeId Y = E < Cut ? Bd.unary(OpCode::StopGradient, Hc) : Hc;
    NodeId Term = Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square, Y));
    Loss = Loss.valid() ? Bd.binary(OpCode::Add, Loss, Term) : Term;
  }
  Loss = Bd.binary(OpCode::Add, Loss, Bd.reduce(OpCode::Sum, Hc));
  G.addOutput("loss", Loss);
  return G;
}

/// An LSTM cell: carries c and h, z = x Wx + h Wh + b split into four
/// gates; c' = f c + i g, h' = o tanh(c'); outputs c', h', h'.
inline Graph lstmGraph(int64_t D, int64_t H, bool StateOutputs = false) {
  auto Body = std::make_shared<Graph>("lstm");
  Builder Bb(*Body);
  NodeId C = Body->input("c", f64({B, H}));
  NodeId Hc = Body->input("h", f64({B, H}));
  NodeId X = Body->input("x", f64({B, D}));
  NodeId Wx = Body->input("wx", f64({D, 4 * H}));
  NodeId Wh = Body->input("wh", f64({H, 4 * H}));
  NodeId Bias = Body->input("b", f64({4 * H}));
  NodeId Z = Bb.binary(
      OpCode::Add, Bb.binary(OpCode::Add, Bb.matmul(X, Wx), Bb.matmul(Hc, Wh)),
      Bias);
  auto Gate = [&](int64_t K) {
    return Bb.make(OpCode::Slice, {Z},
                   Attrs{{"starts", std::vector<Dim>{Dim(0), Dim(K * H)}},
                         {"stops", std::vector<Dim>{B, Dim((K + 1) * H)}},
                         {"steps", std::vector<int64_t>{1, 1}}});
  };
  NodeId I = Bb.unary(OpCode::Sigmoid, Gate(0));
  NodeId F = Bb.unary(OpCode::Sigmoid, Gate(1));
  NodeId Gg = Bb.unary(OpCode::Tanh, Gate(2));
  NodeId O = Bb.unary(OpCode::Sigmoid, Gate(3));
  NodeId C2 = Bb.binary(OpCode::Add, Bb.binary(OpCode::Mul, F, C),
                        Bb.binary(OpCode::Mul, I, Gg));
  NodeId H2 = Bb.binary(OpCode::Mul, O, Bb.unary(OpCode::Tanh, C2));
  Body->addOutput("", C2);
  Body->addOutput("", H2);
  Body->addOutput("", H2);

  Graph G("lstm");
  Builder Bd(G);
  std::vector<NodeId> Ops = {
      G.input("c0", f64({B, H})),     G.input("h0", f64({B, H})),
      G.input("xs", f64({T, B, D})),  G.param("wx", f64({D, 4 * H})),
      G.param("wh", f64({H, 4 * H})), G.param("b", f64({4 * H}))};
  NodeId Scan = makeScan(G, Ops, 2, 1, false, Body);
  // Both final carries and the stacked outputs feed the loss.
  NodeId Loss = Bd.binary(
      OpCode::Add,
      Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square, Bd.result(Scan, 2))),
      Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Mul, Bd.result(Scan, 0),
                                       Bd.result(Scan, 1))));
  G.addOutput("loss", Loss);
  if (StateOutputs) {
    G.addOutput("c", Bd.result(Scan, 0));
    G.addOutput("hs", Bd.result(Scan, 2));
  }
  return G;
}

} // namespace netjit::scantest
