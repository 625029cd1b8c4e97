//===- scan_graphs.h - Recurrent graphs for the scan autodiff tests -------===//
//
// Small scans shared by scan_autodiff_test.cpp, scan_bptt_test.cpp and
// codegen/compiled_scan_test.cpp: a vanilla tanh RNN h' = tanh(x W + h U + b)
// with the loss sum(hs²) + sum(h_T) (both kinds of result used), built as one
// scan or unrolled by hand with stop_gradient (the truncated-BPTT oracle), a
// length-only scan, an LSTM, and helpers to make a scan node from its pieces.
// Shapes are f64 (the RNN's scan also f32) with the batch B and the trip
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

/// The arguments of the RNN, made in this order: h0: [Batch, H] and
/// xs: [Steps, Batch, D] inputs, then w: [D, H], u: [H, H] and b: [H] params.
struct RnnArgs {
  NodeId H0, Xs, W, U, Bias;
};
inline RnnArgs rnnArgs(Graph &G, DType Ty, Dim Batch, Dim Steps, int64_t D,
                       int64_t H) {
  auto Of = [Ty](Shape S) { return TensorType{Ty, std::move(S)}; };
  RnnArgs A;
  A.H0 = G.input("h0", Of({Batch, H}));
  A.Xs = G.input("xs", Of({Steps, Batch, D}));
  A.W = G.param("w", Of({D, H}));
  A.U = G.param("u", Of({H, H}));
  A.Bias = G.param("b", Of({H}));
  return A;
}

/// The RNN as one scan in G over xs: [T,B,D] of element type Ty from
/// h0: [B,H] (the arguments of rnnArgs). Results: h_T, then the stacked hs.
inline NodeId rnnScan(Graph &G, DType Ty, int64_t D, int64_t H, bool Reverse,
                      int64_t BpttLimit = 0) {
  auto Of = [Ty](Shape S) { return TensorType{Ty, std::move(S)}; };
  auto Body = std::make_shared<Graph>("cell");
  Builder Bb(*Body);
  NodeId Hc = Body->input("h", Of({B, H}));
  NodeId X = Body->input("x", Of({B, D}));
  NodeId W = Body->input("w", Of({D, H}));
  NodeId U = Body->input("u", Of({H, H}));
  NodeId Bias = Body->input("b", Of({H}));
  NodeId Next = rnnCell(Bb, Hc, X, W, U, Bias);
  Body->addOutput("", Next);
  Body->addOutput("", Next);
  RnnArgs A = rnnArgs(G, Ty, B, T, D, H);
  return makeScan(G, {A.H0, A.Xs, A.W, A.U, A.Bias}, 1, 1, Reverse, Body,
                  std::nullopt, BpttLimit);
}

/// The RNN as one scan over xs: f64[T,B,D] from h0: f64[B,H], params w,
/// u, b. Outputs: loss = sum(hs²) + sum(h_T), h (the final carry), hs.
inline Graph rnnGraph(int64_t D, int64_t H, bool Reverse,
                      int64_t BpttLimit = 0) {
  Graph G("rnn");
  Builder Bd(G);
  NodeId Scan = rnnScan(G, DType::F64, D, H, Reverse, BpttLimit);
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
  auto [Hc, Xs, W, U, Bias] = rnnArgs(G, DType::F64, Batch, Steps, D, H);
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

/// A length-only scan in an unnamed graph: h' = tanh(h W + b) for
/// `length` = L steps from h0: f64[B,3], params w and b, no sequence; per-step
/// outputs exp(h') and, with Incoming, the incoming h. Final = sum(h_L²) and
/// Steps = sum(tanh(ys)) are made, G has no outputs yet.
struct LengthScan {
  Graph G;
  NodeId Scan, Final, Steps;
};
inline LengthScan lengthScan(bool Reverse, bool Incoming) {
  const int64_t H = 3;
  auto Body = std::make_shared<Graph>("body");
  Builder Bb(*Body);
  NodeId Hc = Body->input("h", f64({B, H}));
  NodeId W = Body->input("w", f64({H, H}));
  NodeId Bias = Body->input("b", f64({H}));
  NodeId Next =
      Bb.unary(OpCode::Tanh, Bb.binary(OpCode::Add, Bb.matmul(Hc, W), Bias));
  Body->addOutput("", Next);
  Body->addOutput("", Bb.unary(OpCode::Exp, Next));
  if (Incoming)
    Body->addOutput("", Hc);
  LengthScan L;
  Graph &G = L.G;
  Builder Bd(G);
  L.Scan = makeScan(G,
                    {G.input("h0", f64({B, H})), G.param("w", f64({H, H})),
                     G.param("b", f64({H}))},
                    1, 0, Reverse, Body, Dim::symbol("L"));
  L.Final =
      Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square, Bd.result(L.Scan, 0)));
  L.Steps =
      Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Tanh, Bd.result(L.Scan, 1)));
  return L;
}

/// A scan in G with one carry h0: f64[B,H], one sequence xs: f64[T,B,H] and
/// one constant, the param Const: f64[H,H], in that order.
inline NodeId carrySeqConstScan(Graph &G, std::shared_ptr<Graph> Body,
                                int64_t H, const char *Const = "w") {
  return makeScan(G,
                  {G.input("h0", f64({B, H})), G.input("xs", f64({T, B, H})),
                   G.param(Const, f64({H, H}))},
                  1, 1, false, std::move(Body));
}

/// A body's arguments for carrySeqConstScan, made in this order: the carry
/// (named Carry) f64[B,H], the element x: f64[B,H], the constant (named Const)
/// f64[H,H].
struct StepArgs {
  NodeId Carry, X, Const;
};
inline StepArgs carrySeqConstInputs(Graph &Body, int64_t H,
                                    const char *Carry = "h",
                                    const char *Const = "w") {
  StepArgs A;
  A.Carry = Body.input(Carry, f64({B, H}));
  A.X = Body.input("x", f64({B, H}));
  A.Const = Body.input(Const, f64({H, H}));
  return A;
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
