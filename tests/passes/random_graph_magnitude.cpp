//===- random_graph_magnitude.cpp - Rounding-error bounds of a graph ------===//
//
// addMagnitudeOutputs builds, next to every f64 node x, a node mag(x) >= |x|
// bounding the rounding error of x in units of the unit roundoff, by
// first-order forward error analysis: each op adds its own rounding (|f(x)|)
// and propagates its operands' errors through its derivative
// (|f'(x)|·mag(x)). Two graphs that differ only in rounding (a naive
// formula and its stable twin, a folded constant) then agree within a small
// multiple of u·mag, however badly an intermediate cancels. The bounds are
// deliberately generous (sigmoid' <= 1, softmax's Lipschitz constant 2).
//
//===----------------------------------------------------------------------===//
#include "random_graph.h"

#include "ir/builder.h"

#include <unordered_map>

namespace netjit::testing {
namespace {

class Magnitudes {
public:
  explicit Magnitudes(Graph &G) : G(G), B(G) {}

  /// mag(X); integer and bool values are exact (themselves).
  NodeId of(NodeId X) const {
    auto It = Mag.find(X.Index);
    return It == Mag.end() ? X : It->second;
  }
  void visit(NodeId Id);

private:
  NodeId abs(NodeId X) { return B.unary(OpCode::Abs, X); }
  NodeId add(NodeId X, NodeId Y) { return B.binary(OpCode::Add, X, Y); }
  NodeId mul(NodeId X, NodeId Y) { return B.binary(OpCode::Mul, X, Y); }
  NodeId div(NodeId X, NodeId Y) { return B.binary(OpCode::Div, X, Y); }
  /// |f(x)| + |f'(x)|·mag(x), with |f'(x)| given.
  NodeId chain(NodeId Fx, NodeId AbsDeriv, NodeId X) {
    return add(abs(Fx), mul(AbsDeriv, of(X)));
  }
  /// mag of an op whose output moves at most K times the largest operand
  /// error along Axes (softmax, log_softmax, logsumexp).
  NodeId lipschitz(NodeId Fx, NodeId X, std::vector<int64_t> Axes, double K);
  NodeId unaryMag(const Node &N, NodeId Id);

  Graph &G;
  Builder B;
  std::unordered_map<uint32_t, NodeId> Mag;
};

NodeId Magnitudes::lipschitz(NodeId Fx, NodeId X, std::vector<int64_t> Axes,
                             double K) {
  NodeId Max = B.reduce(OpCode::Max, of(X), Axes, /*KeepDims=*/true);
  if (G.type(Fx).rank() < G.type(X).rank()) // a reduction without keepdims
    Max = B.reshape(Max, G.type(Fx).Dims);
  return add(abs(Fx), mul(B.fill(K, Fx), B.broadcastTo(Max, G.type(Fx).Dims)));
}

NodeId Magnitudes::unaryMag(const Node &N, NodeId Id) {
  NodeId X = N.Inputs[0];
  switch (N.Op) {
  case OpCode::Neg:
  case OpCode::Abs:
  case OpCode::Relu:
    return of(X);
  case OpCode::Exp: // e^x
    return chain(Id, Id, X);
  case OpCode::Expm1: // e^x
    return chain(Id, B.unary(OpCode::Exp, X), X);
  case OpCode::Log: // 1/x
    return add(abs(Id), div(of(X), abs(X)));
  case OpCode::Log1p: // 1/(1+x)
    return add(abs(Id), div(of(X), abs(add(X, B.fill(1.0, X)))));
  case OpCode::Sqrt: // 1/(2 sqrt x)
    return add(abs(Id), div(of(X), mul(B.fill(2.0, X), Id)));
  case OpCode::Rsqrt: // x^-1.5 / 2
    return add(abs(Id), div(mul(Id, of(X)), mul(B.fill(2.0, X), abs(X))));
  case OpCode::Square: // 2x
    return chain(Id, mul(B.fill(2.0, X), abs(X)), X);
  case OpCode::Tanh:
  case OpCode::Sigmoid:
  case OpCode::Softplus: // |f'| <= 1
    return add(abs(Id), of(X));
  default:
    return abs(Id);
  }
}

void Magnitudes::visit(NodeId Id) {
  Node N = G.node(Id);
  if (!isFloat(N.Type.Dtype) || N.isMultiResult())
    return;
  std::vector<NodeId> M;
  for (NodeId In : N.Inputs)
    M.push_back(of(In));
  const Attrs &A = N.Attributes;
  NodeId R;
  switch (N.Op) {
  case OpCode::Add:
  case OpCode::Sub:
    R = add(M[0], M[1]);
    break;
  case OpCode::Mul:
  case OpCode::MatMul: // >= |a|·mag(b) + |b|·mag(a), halved
    R = B.make(N.Op, M);
    R = add(R, R);
    break;
  case OpCode::Div: { // mag(a)/|b| + |a|·mag(b)/b²
    NodeId Den = abs(N.Inputs[1]);
    R = add(div(M[0], Den), div(mul(abs(N.Inputs[0]), M[1]), mul(Den, Den)));
    R = add(abs(Id), R);
    break;
  }
  case OpCode::Pow: // |c·x^c / x|·mag(x)
    R = chain(Id, abs(div(mul(N.Inputs[1], Id), N.Inputs[0])), N.Inputs[0]);
    break;
  case OpCode::Maximum:
  case OpCode::Minimum:
    R = B.binary(OpCode::Maximum, M[0], M[1]);
    break;
  case OpCode::Select:
    R = B.select(N.Inputs[0], M[1], M[2]);
    break;
  case OpCode::Sum:
  case OpCode::Mean:
    R = B.make(N.Op, M, A);
    break;
  case OpCode::Max:
  case OpCode::Min:
    R = B.make(OpCode::Max, M, A);
    break;
  case OpCode::LogSumExp:
    R = lipschitz(Id, N.Inputs[0], A.getInts("axes"), 1);
    break;
  case OpCode::Softmax:
  case OpCode::LogSoftmax:
    R = lipschitz(Id, N.Inputs[0], {A.getInt("axis")}, 2);
    break;
  case OpCode::SoftmaxXent:
    R = lipschitz(Id, N.Inputs[0], {static_cast<int64_t>(N.Type.rank())}, 2);
    break;
  case OpCode::Transpose:
  case OpCode::Reshape:
  case OpCode::Broadcast:
  case OpCode::Slice:
  case OpCode::Pad:
  case OpCode::Concat:
  case OpCode::Gather:
    R = B.make(N.Op, M, A);
    break;
  default:
    R = N.Inputs.size() == 1 ? unaryMag(N, Id) : abs(Id);
    break;
  }
  Mag[Id.Index] = R;
}

} // namespace

void addMagnitudeOutputs(Graph &G) {
  Magnitudes M(G);
  for (NodeId Id : G.liveNodes())
    M.visit(Id);
  std::vector<Output> Outs = G.outputs();
  for (const Output &O : Outs)
    G.addOutput("mag." + O.Name, M.of(O.Value));
}

} // namespace netjit::testing
