//===- random_graph.cpp - Seeded random well-typed graphs -----------------===//
//
// The generator keeps a pool of f64 values, each with interval bounds on its
// elements, and grows it one step at a time: an elementwise op, a reduction,
// a layout op, a matmul, a softmax, or a small pattern for stabilize or
// simplify (random_graph_patterns.cpp). Bounds are conservative (B and N are
// bound to at most 3); a value whose bound grows past an op's comfort zone
// is squashed with tanh first, so nothing overflows and every log, sqrt and
// division sees an operand well inside its domain.
//
//===----------------------------------------------------------------------===//
#include "random_graph_impl.h"

#include "ir/parser.h"
#include "ir/printer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace netjit::testing {

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

Dim Generator::randomDim() {
  switch (pick(6)) {
  case 0:
    return Dim::symbol("B");
  case 1:
    return Dim::symbol("N");
  case 2:
    return 1;
  case 3:
    return 2;
  case 4:
    return 3;
  default:
    return Dim::symbol("B");
  }
}

Shape Generator::randomShape() {
  static const int Ranks[] = {0, 1, 1, 2, 2, 2, 3};
  Shape S(Ranks[pick(7)]);
  for (Dim &D : S)
    D = randomDim();
  return S;
}

double Generator::maxSize(const Shape &S, const std::vector<int64_t> &Axes) {
  double N = 1;
  for (int64_t A : Axes)
    N *= S[A].isConstant() ? static_cast<double>(S[A].constant()) : kMaxDim;
  return N;
}

NodeId Generator::declareInput(const std::string &Prefix,
                               std::vector<std::string> &Names,
                               const TensorType &T) {
  std::string Key = T.str();
  if (Names.size() >= Opts.MaxInputs)
    if (auto It = InputsByType.find(Key); It != InputsByType.end())
      return It->second;
  std::string Name = Prefix + std::to_string(Names.size());
  Names.push_back(Name);
  NodeId Id = R.G.input(Name, T);
  InputsByType.emplace(Key, Id);
  return Id;
}

Value Generator::input(const Shape &S) {
  return {declareInput("x", R.FloatInputs, {DType::F64, S}), {-2, 2}};
}

NodeId Generator::labels(const Shape &Rows) {
  return declareInput("y", R.LabelInputs, {DType::I64, Rows});
}

Value Generator::fill(double C, const Shape &S) {
  return {B.fill(C, TensorType{DType::F64, S}), {C, C}};
}

Value Generator::unary(OpCode Op, Value X, Bounds Bd) {
  R.Families |= familyOf(Op);
  return {B.unary(Op, X.Id), Bd};
}

uint32_t Generator::familyOf(OpCode Op) {
  switch (Op) {
  case OpCode::Relu:
  case OpCode::Abs:
  case OpCode::Maximum:
  case OpCode::Minimum:
  case OpCode::Max:
  case OpCode::Min:
    return kFamilyPiecewise;
  case OpCode::Add:
  case OpCode::Sub:
  case OpCode::Mul:
  case OpCode::Neg:
  case OpCode::Square:
  case OpCode::Sum:
  case OpCode::Mean:
  case OpCode::MatMul:
    return kFamilyLinear;
  default:
    return kFamilySmooth;
  }
}

Value Generator::tame(Value X, double Max) {
  if (X.Bd.mag() <= Max)
    return X;
  return unary(OpCode::Tanh, X, {std::tanh(X.Bd.Lo), std::tanh(X.Bd.Hi)});
}

Value Generator::positive(Value X) {
  if (X.Bd.Lo >= 0.05)
    return X;
  switch (pick(4)) {
  case 0: { // square(x) + 1/2
    Value T = tame(X, 10);
    double Hi = T.Bd.mag() * T.Bd.mag();
    Value Sq = unary(OpCode::Square, T, {0, Hi});
    return binary(OpCode::Add, Sq, fill(0.5, type(Sq).Dims));
  }
  case 1: { // exp(x), x >= -3
    Value T = tame(X, 3);
    return unary(OpCode::Exp, T, {std::exp(T.Bd.Lo), std::exp(T.Bd.Hi)});
  }
  case 2: { // sigmoid(x), x >= -2.5
    Value T = tame(X, 2.5);
    return unary(OpCode::Sigmoid, T, {sigmoid(T.Bd.Lo), sigmoid(T.Bd.Hi)});
  }
  default: { // softplus(x), x >= -2.5
    Value T = tame(X, 2.5);
    return unary(OpCode::Softplus, T, {softplus(T.Bd.Lo), softplus(T.Bd.Hi)});
  }
  }
}

Value Generator::binary(OpCode Op, Value X, Value Y) {
  R.Families |= familyOf(Op);
  const Bounds &A = X.Bd, &C = Y.Bd;
  Bounds Bd;
  auto Span = [](std::initializer_list<double> Vs) {
    return Bounds{std::min(Vs), std::max(Vs)};
  };
  switch (Op) {
  case OpCode::Add:
    Bd = {A.Lo + C.Lo, A.Hi + C.Hi};
    break;
  case OpCode::Sub:
    Bd = {A.Lo - C.Hi, A.Hi - C.Lo};
    break;
  case OpCode::Mul:
    Bd = Span({A.Lo * C.Lo, A.Lo * C.Hi, A.Hi * C.Lo, A.Hi * C.Hi});
    break;
  case OpCode::Div: // C is positive
    Bd = Span({A.Lo / C.Lo, A.Lo / C.Hi, A.Hi / C.Lo, A.Hi / C.Hi});
    break;
  case OpCode::Maximum:
    Bd = {std::max(A.Lo, C.Lo), std::max(A.Hi, C.Hi)};
    break;
  case OpCode::Minimum:
    Bd = {std::min(A.Lo, C.Lo), std::min(A.Hi, C.Hi)};
    break;
  case OpCode::Pow: // X positive, Y a constant exponent
    Bd = Span({std::pow(A.Lo, C.Lo), std::pow(A.Hi, C.Lo)});
    break;
  default:
    Bd = Span({A.Lo, A.Hi, C.Lo, C.Hi});
    break;
  }
  return {B.binary(Op, X.Id, Y.Id), Bd};
}

/// A second operand for a binary op on X: a pool value that broadcasts with
/// it, a constant, or a new input of X's shape (some dims set to 1).
Value Generator::partner(Value X, bool AllowSelf) {
  const Shape &S = type(X).Dims;
  switch (pick(4)) {
  case 0:
    for (int Try = 0; Try < 4; ++Try) {
      Value Y = Pool[pick(Pool.size())];
      if (!AllowSelf && Y.Id == X.Id)
        continue;
      try {
        if (broadcastShapes(S, type(Y).Dims).size() <= kMaxRank)
          return Y;
      } catch (const Error &) {
      }
    }
    [[fallthrough]];
  case 1: {
    static const double Cs[] = {0.5, 2.0, -1.5, 3.0};
    return fill(Cs[pick(4)], S);
  }
  case 2: {
    Shape T = S;
    for (Dim &D : T)
      if (coin(0.4))
        D = 1;
    return input(T);
  }
  default:
    return input(S);
  }
}

void Generator::probe(NodeId P, NodeId Kink) { Probes.push_back({P, Kink}); }

std::vector<bool> Generator::usedBy(const std::vector<NodeId> &Outs) const {
  std::vector<bool> Used(R.G.size(), false);
  for (NodeId O : Outs)
    Used[O.Index] = true;
  for (size_t I = R.G.size(); I-- > 0;) // users come after their operands
    if (Used[I])
      for (NodeId In : R.G.node(NodeId{static_cast<uint32_t>(I)}).Inputs)
        Used[In.Index] = true;
  return Used;
}

/// Probes for max/min over Axes: the gap between the extreme value and the
/// next one, or 0 when the extreme is tied.
void Generator::probeExtreme(Value X, const std::vector<int64_t> &Axes,
                             bool IsMax, NodeId Kink) {
  NodeId V = IsMax ? X.Id : B.unary(OpCode::Neg, X.Id);
  const Shape &S = type(X).Dims;
  NodeId M = B.reduce(OpCode::Max, V, Axes, /*KeepDims=*/true);
  NodeId IsTop = B.binary(OpCode::Eq, V, B.broadcastTo(M, S));
  NodeId Rest = B.select(IsTop, B.fill(-INFINITY, V), V);
  NodeId Gap =
      B.binary(OpCode::Sub, M, B.reduce(OpCode::Max, Rest, Axes, true));
  NodeId Count = B.reduce(OpCode::Sum, B.cast(IsTop, DType::F64), Axes, true);
  NodeId One = B.binary(OpCode::Eq, Count, B.fill(1.0, Count));
  probe(B.select(One, Gap, B.fill(0.0, Gap)), Kink);
}

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

Value Generator::unaryStep(Value X) {
  static const OpCode Ops[] = {OpCode::Neg,  OpCode::Abs,     OpCode::Exp,
                               OpCode::Log,  OpCode::Log1p,   OpCode::Expm1,
                               OpCode::Sqrt, OpCode::Rsqrt,   OpCode::Square,
                               OpCode::Tanh, OpCode::Sigmoid, OpCode::Softplus,
                               OpCode::Relu};
  OpCode Op = Ops[pick(std::size(Ops))];
  const Bounds &Bd = X.Bd;
  switch (Op) {
  case OpCode::Neg:
    return unary(Op, X, {-Bd.Hi, -Bd.Lo});
  case OpCode::Abs:
  case OpCode::Relu: {
    Value Y = unary(Op, X, {0, Bd.mag()});
    probe(X.Id, Y.Id);
    return Y;
  }
  case OpCode::Exp:
  case OpCode::Expm1: {
    Value T = tame(X, 4);
    double Off = Op == OpCode::Expm1 ? 1 : 0;
    return unary(Op, T, {std::exp(T.Bd.Lo) - Off, std::exp(T.Bd.Hi) - Off});
  }
  case OpCode::Log: {
    Value P = positive(X);
    return unary(Op, P, {std::log(P.Bd.Lo), std::log(P.Bd.Hi)});
  }
  case OpCode::Log1p: {
    Value P = Bd.Lo > -0.5 ? X : positive(X);
    return unary(Op, P, {std::log1p(P.Bd.Lo), std::log1p(P.Bd.Hi)});
  }
  case OpCode::Sqrt:
  case OpCode::Rsqrt: {
    Value P = positive(X);
    double L = std::sqrt(P.Bd.Lo), H = std::sqrt(P.Bd.Hi);
    return unary(Op, P,
                 Op == OpCode::Sqrt ? Bounds{L, H} : Bounds{1 / H, 1 / L});
  }
  case OpCode::Square: {
    Value T = tame(X, 10);
    return unary(Op, T, {0, T.Bd.mag() * T.Bd.mag()});
  }
  case OpCode::Tanh:
    return unary(Op, X, {std::tanh(Bd.Lo), std::tanh(Bd.Hi)});
  case OpCode::Sigmoid:
    return unary(Op, X, {sigmoid(Bd.Lo), sigmoid(Bd.Hi)});
  default:
    return unary(Op, X, {softplus(Bd.Lo), softplus(Bd.Hi)});
  }
}

Value Generator::binaryStep(Value X) {
  static const OpCode Ops[] = {OpCode::Add, OpCode::Sub,     OpCode::Mul,
                               OpCode::Div, OpCode::Maximum, OpCode::Minimum,
                               OpCode::Pow};
  OpCode Op = Ops[pick(std::size(Ops))];
  Value T = tame(X, 20);
  if (Op == OpCode::Pow) { // positive base, small constant exponent
    static const double Ks[] = {2.0, 3.0, 0.5, -1.0};
    Value P = positive(tame(X, 5));
    return binary(Op, P, fill(Ks[pick(4)], type(P).Dims));
  }
  bool Kink = Op == OpCode::Maximum || Op == OpCode::Minimum;
  Value Y = tame(partner(T, /*AllowSelf=*/!Kink), 20);
  if (Op == OpCode::Div) // x / y with a positive y
    return binary(Op, T, positive(Y));
  if (coin())
    std::swap(T, Y);
  Value Z = binary(Op, T, Y);
  if (Kink)
    probe(B.binary(OpCode::Sub, T.Id, Y.Id), Z.Id);
  return Z;
}

std::vector<int64_t> Generator::randomAxes(size_t Rank) {
  std::vector<int64_t> Axes;
  for (size_t A = 0; A < Rank; ++A)
    if (coin(0.5))
      Axes.push_back(static_cast<int64_t>(A));
  if (Axes.empty())
    Axes.push_back(static_cast<int64_t>(pick(Rank)));
  return Axes;
}

Value Generator::reduceStep(Value X) {
  size_t Rank = type(X).rank();
  if (Rank == 0)
    return unaryStep(X);
  static const OpCode Ops[] = {OpCode::Sum, OpCode::Mean, OpCode::Max,
                               OpCode::Min, OpCode::LogSumExp};
  OpCode Op = Ops[pick(std::size(Ops))];
  std::vector<int64_t> Axes = randomAxes(Rank);
  double N = maxSize(type(X).Dims, Axes);
  Bounds Bd = X.Bd;
  if (Op == OpCode::Sum)
    Bd = {std::min(Bd.Lo, Bd.Lo * N), std::max(Bd.Hi, Bd.Hi * N)};
  else if (Op == OpCode::LogSumExp)
    Bd.Hi += std::log(N);
  R.Families |= familyOf(Op);
  Value Y{B.reduce(Op, X.Id, Axes, coin()), Bd};
  if (Op == OpCode::Max || Op == OpCode::Min)
    probeExtreme(X, Axes, Op == OpCode::Max, Y.Id);
  return Y;
}

Value Generator::softmaxStep(Value X) {
  size_t Rank = type(X).rank();
  if (Rank == 0)
    return unaryStep(X);
  int64_t Axis = static_cast<int64_t>(pick(Rank));
  R.Families |= kFamilySmooth;
  if (coin())
    return {B.softmax(X.Id, Axis), {0, 1}};
  double N = maxSize(type(X).Dims, {Axis});
  return {B.logSoftmax(X.Id, Axis), {X.Bd.Lo - X.Bd.Hi - std::log(N), 0}};
}

Value Generator::matmulStep(Value X) {
  Value T = tame(X, 5);
  Shape S = type(T).Dims;
  if (S.empty())
    return unaryStep(X);
  if (S.size() == 1) {
    S.insert(S.begin(), Dim(1));
    T.Id = B.reshape(T.Id, S);
  }
  Shape W(S.begin(), S.end() - 2); // batch dims, then [K, P]
  W.push_back(S.back());
  W.push_back(randomDim());
  Value Wt = input(W);
  double K = maxSize(S, {static_cast<int64_t>(S.size() - 1)});
  double M = K * T.Bd.mag() * Wt.Bd.mag();
  R.Families |= kFamilyLinear;
  return {B.matmul(T.Id, Wt.Id), {-M, M}};
}

RandomGraph Generator::run() {
  R.Bindings = {
      {{"B", 1}, {"N", 2}}, {{"B", 3}, {"N", 1}}, {{"B", 2}, {"N", 3}}};
  int NumInputs = 1 + static_cast<int>(pick(2));
  for (int I = 0; I < NumInputs; ++I)
    Pool.push_back(input(randomShape()));
  for (int Step = 0; Step < Opts.Steps; ++Step) {
    Value X = coin(0.6) ? Pool.back() : Pool[pick(Pool.size())];
    Value Y;
    size_t K = pick(100);
    if (K < 18)
      Y = unaryStep(X);
    else if (K < 36)
      Y = binaryStep(X);
    else if (K < 46)
      Y = reduceStep(X);
    else if (K < 60)
      Y = layoutStep(X);
    else if (K < 66)
      Y = matmulStep(X);
    else if (K < 72)
      Y = softmaxStep(X);
    else if (K < 88)
      Y = stabilizePattern(X);
    else
      Y = simplifyPattern(X);
    Pool.push_back(Y);
  }
  std::vector<NodeId> Outs{Pool.back().Id};
  if (Opts.SumAll) {
    for (size_t I = 0; I + 1 < Pool.size(); ++I)
      Outs[0] = B.binary(OpCode::Add, B.reduce(OpCode::Sum, Outs[0]),
                         B.reduce(OpCode::Sum, Pool[I].Id));
  }
  for (int I = 0; I < 2 && !Opts.SumAll; ++I) {
    NodeId O = Pool[pick(Pool.size())].Id;
    if (std::find(Outs.begin(), Outs.end(), O) == Outs.end() && coin())
      Outs.push_back(O);
  }
  for (size_t I = 0; I < Outs.size(); ++I)
    R.G.addOutput("out." + std::to_string(I), Outs[I]);
  std::vector<bool> Used = usedBy(Outs);
  for (size_t I = 0; Opts.Probes && I < Probes.size(); ++I)
    if (Used[Probes[I].second.Index]) // a kink the outputs depend on
      R.G.addOutput("probe." + std::to_string(I), Probes[I].first);
  return std::move(R);
}

RandomGraph generateRandomGraph(uint64_t Seed,
                                const RandomGraphOptions &Options) {
  Generator Gen(Seed, Options);
  return Gen.run();
}

//===----------------------------------------------------------------------===//
// Copies and magnitudes
//===----------------------------------------------------------------------===//

Graph cloneGraph(const Graph &G) { return parseGraph(printGraph(G)); }

Graph costGraph(const Graph &G) {
  Graph C = cloneGraph(G);
  Builder B(C);
  NodeId Cost;
  std::vector<Output> Outs = C.outputs();
  for (size_t K = 0; K < Outs.size(); ++K) {
    NodeId W = C.input("w." + std::to_string(K), C.type(Outs[K].Value));
    NodeId Term =
        B.reduce(OpCode::Sum, B.binary(OpCode::Mul, Outs[K].Value, W));
    Cost = K ? B.binary(OpCode::Add, Cost, Term) : Term;
  }
  C.clearOutputs();
  C.addOutput("cost", Cost);
  return C.compact();
}

Graph gradientGraph(const Graph &Cost, const std::vector<std::string> &Wrt) {
  Graph G = cloneGraph(Cost);
  Builder B(G);
  NodeId C = G.outputs().at(0).Value;
  for (const std::string &X : Wrt)
    G.addOutput("d." + X, B.grad(C, G.findArgument(X)));
  return G;
}

Graph withoutProbes(const Graph &G) {
  Graph C = cloneGraph(G);
  std::vector<Output> Keep;
  for (const Output &O : C.outputs())
    if (O.Name.rfind("probe.", 0) != 0)
      Keep.push_back(O);
  C.clearOutputs();
  for (const Output &O : Keep)
    C.addOutput(O.Name, O.Value);
  return C.compact();
}

} // namespace netjit::testing
