//===- random_graph_patterns.cpp - Layout steps and rewrite patterns ------===//
//
// The generator steps that exercise specific passes: layout ops (transpose,
// reshape, broadcast, slice, concat, pad), the naive formulas the stabilize
// pass lifts (each spelled the way a user would write it), near misses of
// them that it must leave alone, and identities the simplify pass removes.
// Every pattern falls back to a plain unary step when X's shape does not
// suit it.
//
//===----------------------------------------------------------------------===//
#include "random_graph_impl.h"

#include <algorithm>
#include <numeric>

namespace netjit::testing {

namespace {

std::vector<Dim> zeros(size_t N) { return std::vector<Dim>(N, Dim(0)); }

/// Axes of S whose size is a constant >= 2.
std::vector<int64_t> constantAxes(const Shape &S) {
  std::vector<int64_t> Out;
  for (size_t A = 0; A < S.size(); ++A)
    if (S[A].isConstant() && S[A].constant() >= 2)
      Out.push_back(static_cast<int64_t>(A));
  return Out;
}

} // namespace

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

Value Generator::layoutStep(Value X) {
  Shape S = type(X).Dims;
  size_t Rank = S.size();
  switch (pick(6)) {
  case 0: { // transpose
    if (Rank < 2)
      break;
    std::vector<int64_t> Perm(Rank);
    std::iota(Perm.begin(), Perm.end(), 0);
    std::swap(Perm[0], Perm[1 + pick(Rank - 1)]);
    std::shuffle(Perm.begin() + 1, Perm.end(), Rng);
    return {B.transpose(X.Id, Perm), X.Bd};
  }
  case 1: { // reshape: flatten, insert a 1, or merge two neighbours
    Shape To;
    size_t Form = Rank < 2 ? pick(2) : pick(3);
    if (Form == 0) {
      To = {numElements(S)};
    } else if (Form == 1) {
      if (Rank >= kMaxRank)
        break;
      To = S;
      To.insert(To.begin() + static_cast<int64_t>(pick(Rank + 1)), Dim(1));
    } else {
      size_t A = pick(Rank - 1);
      To = S;
      To[A] = S[A] * S[A + 1];
      To.erase(To.begin() + static_cast<int64_t>(A) + 1);
    }
    return {B.reshape(X.Id, To), X.Bd};
  }
  case 2: { // broadcast: a new leading dim, or expand a dim of size 1
    Shape To = S;
    auto One = std::find(To.begin(), To.end(), Dim(1));
    if (One != To.end() && coin())
      *One = randomDim();
    else if (Rank < kMaxRank)
      To.insert(To.begin(), randomDim());
    else
      break;
    return {B.broadcastTo(X.Id, To), X.Bd};
  }
  case 3: { // slice [1, d) of a constant axis
    std::vector<int64_t> Axes = constantAxes(S);
    if (Axes.empty())
      break;
    int64_t A = Axes[pick(Axes.size())];
    std::vector<Dim> Starts = zeros(Rank), Stops = S;
    Starts[A] = 1;
    Attrs At{{"starts", Starts},
             {"stops", Stops},
             {"steps", std::vector<int64_t>(Rank, 1)}};
    return {B.make(OpCode::Slice, {X.Id}, At), X.Bd};
  }
  case 4: { // concat with a value of the same shape (or itself)
    if (Rank == 0)
      break;
    Value Y = X;
    for (int Try = 0; Try < 4; ++Try) {
      Value C = Pool[pick(Pool.size())];
      if (type(C).Dims == S) {
        Y = C;
        break;
      }
    }
    Bounds Bd{std::min(X.Bd.Lo, Y.Bd.Lo), std::max(X.Bd.Hi, Y.Bd.Hi)};
    return {B.concat({X.Id, Y.Id}, static_cast<int64_t>(pick(Rank))), Bd};
  }
  default: { // pad one axis with a zero on one side
    if (Rank == 0)
      break;
    int64_t A = static_cast<int64_t>(pick(Rank));
    std::vector<Dim> Low = zeros(Rank), High = zeros(Rank);
    (coin() ? Low : High)[A] = 1;
    Attrs At{{"low", Low},
             {"high", High},
             {"interior", std::vector<int64_t>(Rank, 0)}};
    Bounds Bd{std::min(X.Bd.Lo, 0.0), std::max(X.Bd.Hi, 0.0)};
    return {B.make(OpCode::Pad, {X.Id}, At), Bd};
  }
  }
  return unaryStep(X);
}

//===----------------------------------------------------------------------===//
// Naive formulas for stabilize
//===----------------------------------------------------------------------===//

/// The cross-entropy of softmax(X) over its last axis at integer labels, in
/// the gather and one_hot spellings.
Value Generator::crossEntropy(Value X) {
  R.Families |= kFamilySmooth;
  Value T = tame(X, 20);
  Shape S = type(T).Dims;
  if (S.empty() || !S.back().isConstant() || S.back().constant() < 2) {
    S = {randomDim(), Dim(2 + static_cast<int64_t>(pick(3)))};
    T = input(S);
  }
  int64_t Last = static_cast<int64_t>(S.size()) - 1, K = S.back().constant();
  Shape Rows(S.begin(), S.end() - 1), Col = Rows;
  Col.push_back(1);
  NodeId Labels = labels(Rows);
  NodeId Idx = B.reshape(Labels, Col);
  double Max = T.Bd.Hi - T.Bd.Lo + std::log(static_cast<double>(K));
  switch (pick(4)) {
  case 0: { // -gather(log(softmax(x)), y)
    NodeId LogP = B.unary(OpCode::Log, B.softmax(T.Id, Last));
    return {B.unary(OpCode::Neg, B.gather(LogP, Idx, Last)), {0, Max}};
  }
  case 1: { // -log(gather(softmax(x), y))
    NodeId P = B.gather(B.softmax(T.Id, Last), Idx, Last);
    return {B.unary(OpCode::Neg, B.unary(OpCode::Log, P)), {0, Max}};
  }
  case 2: // gather(log_softmax(x), y)
    return {B.gather(B.logSoftmax(T.Id, Last), Idx, Last), {-Max, 0}};
  default: { // -sum(one_hot(y) * log_softmax(x)) over the last axis (+ more)
    NodeId Hot = B.oneHot(Labels, K, DType::F64);
    NodeId Prod = B.binary(OpCode::Mul, Hot, B.logSoftmax(T.Id, Last));
    std::vector<int64_t> Axes = randomAxes(S.size());
    if (Axes.back() != Last)
      Axes.push_back(Last);
    double N = maxSize(S, Axes) / static_cast<double>(K);
    NodeId Sum = B.reduce(OpCode::Sum, Prod, Axes, coin());
    return {B.unary(OpCode::Neg, Sum), {0, Max * N}};
  }
  }
}

Value Generator::stabilizePattern(Value X) {
  R.Families |= kFamilySmooth;
  const Shape S = type(X).Dims;
  size_t Rank = S.size();
  switch (pick(12)) {
  case 0: { // log(softmax(x))
    if (Rank == 0)
      break;
    int64_t A = static_cast<int64_t>(pick(Rank));
    double Lo = X.Bd.Lo - X.Bd.Hi - std::log(maxSize(S, {A}));
    return {B.unary(OpCode::Log, B.softmax(X.Id, A)), {Lo, 0}};
  }
  case 1: { // log(sum(exp(x)))
    if (Rank == 0)
      break;
    Value T = tame(X, 4);
    std::vector<int64_t> Axes = randomAxes(Rank);
    NodeId Sum =
        B.reduce(OpCode::Sum, B.unary(OpCode::Exp, T.Id), Axes, coin());
    return {B.unary(OpCode::Log, Sum),
            {T.Bd.Lo, T.Bd.Hi + std::log(maxSize(S, Axes))}};
  }
  case 2: { // log(1 + exp(x)), either order
    Value T = tame(X, 4);
    NodeId E = B.unary(OpCode::Exp, T.Id), One = B.fill(1.0, E);
    NodeId Sum =
        coin() ? B.binary(OpCode::Add, One, E) : B.binary(OpCode::Add, E, One);
    return {B.unary(OpCode::Log, Sum), {softplus(T.Bd.Lo), softplus(T.Bd.Hi)}};
  }
  case 3: { // log(sigmoid(x))
    Value T = tame(X, 20);
    return {B.unary(OpCode::Log, B.unary(OpCode::Sigmoid, T.Id)),
            {std::log(sigmoid(T.Bd.Lo)), std::log(sigmoid(T.Bd.Hi))}};
  }
  case 4: { // 1 - sigmoid(x)
    NodeId Sig = B.unary(OpCode::Sigmoid, X.Id);
    return {B.binary(OpCode::Sub, B.fill(1.0, Sig), Sig),
            {1 - sigmoid(X.Bd.Hi), 1 - sigmoid(X.Bd.Lo)}};
  }
  case 5: { // exp(x) / sum(exp(x)) broadcast back (three spellings)
    if (Rank == 0)
      break;
    Value T = tame(X, 4);
    NodeId E = B.unary(OpCode::Exp, T.Id);
    int64_t A = static_cast<int64_t>(pick(Rank));
    size_t Form = pick(3);
    NodeId Den;
    if (Form == 2 && A == 0) {
      Den = B.broadcastTo(B.reduce(OpCode::Sum, E, {A}, false), S);
    } else if (Form == 1) {
      Shape Keep = S;
      Keep[A] = 1;
      Den = B.broadcastTo(B.reshape(B.reduce(OpCode::Sum, E, {A}, false), Keep),
                          S);
    } else {
      Den = B.broadcastTo(B.reduce(OpCode::Sum, E, {A}, true), S);
    }
    return {B.make(OpCode::Div, {E, Den}), {0, 1}};
  }
  case 6: { // log(1 + x)
    Value P = X.Bd.Lo > -0.5 ? X : positive(X);
    NodeId One = B.fill(1.0, P.Id);
    NodeId Sum = coin() ? B.binary(OpCode::Add, One, P.Id)
                        : B.binary(OpCode::Add, P.Id, One);
    return {B.unary(OpCode::Log, Sum),
            {std::log1p(P.Bd.Lo), std::log1p(P.Bd.Hi)}};
  }
  case 7: { // exp(x) - 1
    Value T = tame(X, 4);
    NodeId E = B.unary(OpCode::Exp, T.Id);
    return {B.binary(OpCode::Sub, E, B.fill(1.0, E)),
            {std::expm1(T.Bd.Lo), std::expm1(T.Bd.Hi)}};
  }
  case 8:
  case 9:
    return crossEntropy(X);
  default:
    return nearMiss(X);
  }
  return unaryStep(X);
}

/// Formulas that look like a stabilize pattern but are another function,
/// which the pass must leave alone.
Value Generator::nearMiss(Value X) {
  const Shape S = type(X).Dims;
  switch (pick(4)) {
  case 0: { // log(2 + exp(x))
    Value T = tame(X, 4);
    NodeId E = B.unary(OpCode::Exp, T.Id);
    return {B.unary(OpCode::Log, B.binary(OpCode::Add, B.fill(2.0, E), E)),
            {std::log(2 + std::exp(T.Bd.Lo)), std::log(2 + std::exp(T.Bd.Hi))}};
  }
  case 1: { // 2 - sigmoid(x)
    NodeId Sig = B.unary(OpCode::Sigmoid, X.Id);
    return {B.binary(OpCode::Sub, B.fill(2.0, Sig), Sig),
            {2 - sigmoid(X.Bd.Hi), 2 - sigmoid(X.Bd.Lo)}};
  }
  case 2: { // exp(x) / the row sums broadcast along the columns ([n, n])
    if (S.size() != 2 || S[0] != S[1])
      break;
    Value T = tame(X, 4);
    NodeId E = B.unary(OpCode::Exp, T.Id);
    NodeId Den = B.broadcastTo(B.reduce(OpCode::Sum, E, {1}, false), S);
    double N = maxSize(S, {1});
    return {B.make(OpCode::Div, {E, Den}),
            {std::exp(T.Bd.Lo - T.Bd.Hi) / N, std::exp(T.Bd.Hi - T.Bd.Lo)}};
  }
  default: { // -gather(log_softmax over axis 0, labels over the last axis)
    if (S.size() != 2 || !S[1].isConstant() || S[1].constant() < 2)
      break;
    Value T = tame(X, 20);
    NodeId Idx = B.reshape(labels({S[0]}), {S[0], Dim(1)});
    NodeId LogP = B.unary(OpCode::Log, B.softmax(T.Id, 0));
    double Max = T.Bd.Hi - T.Bd.Lo + std::log(maxSize(S, {0}));
    return {B.unary(OpCode::Neg, B.gather(LogP, Idx, 1)), {0, Max}};
  }
  }
  return unaryStep(X);
}

//===----------------------------------------------------------------------===//
// Identities for simplify
//===----------------------------------------------------------------------===//

Value Generator::simplifyPattern(Value X) {
  R.Families |= kFamilyLinear;
  const Shape S = type(X).Dims;
  size_t Rank = S.size();
  switch (pick(10)) {
  case 0: // x * 1
    return {coin() ? B.binary(OpCode::Mul, X.Id, B.fill(1.0, X.Id))
                   : B.binary(OpCode::Mul, B.fill(1.0, X.Id), X.Id),
            X.Bd};
  case 1: // x + 0
    return {B.binary(OpCode::Add, X.Id, B.fill(0.0, X.Id)), X.Bd};
  case 2: // -(-x)
    return {B.unary(OpCode::Neg, B.unary(OpCode::Neg, X.Id)), X.Bd};
  case 3: // x - x
    return {B.binary(OpCode::Sub, X.Id, X.Id),
            {X.Bd.Lo - X.Bd.Hi, X.Bd.Hi - X.Bd.Lo}};
  case 4: { // transpose(transpose(x))
    if (Rank < 2)
      break;
    std::vector<int64_t> P(Rank), Q(Rank);
    std::iota(P.begin(), P.end(), 0);
    std::iota(Q.begin(), Q.end(), 0);
    std::shuffle(P.begin(), P.end(), Rng);
    if (coin())
      for (size_t I = 0; I < Rank; ++I)
        Q[P[I]] = static_cast<int64_t>(I); // the inverse: back to x
    else
      std::shuffle(Q.begin(), Q.end(), Rng);
    return {B.transpose(B.transpose(X.Id, P), Q), X.Bd};
  }
  case 5: { // reshape(reshape(x)) back to x's shape
    if (Rank == 0)
      break;
    NodeId Flat = B.reshape(X.Id, {numElements(S)});
    return {B.reshape(Flat, S), X.Bd};
  }
  case 6: { // sum(broadcast(x)) over the new axis
    if (Rank >= kMaxRank)
      break;
    Shape To = S;
    To.insert(To.begin(), randomDim());
    double N = maxSize(To, {0});
    NodeId Sum = B.reduce(OpCode::Sum, B.broadcastTo(X.Id, To), {0}, coin());
    return {Sum,
            {std::min(X.Bd.Lo, X.Bd.Lo * N), std::max(X.Bd.Hi, X.Bd.Hi * N)}};
  }
  case 7: // x / 1
    return {B.binary(OpCode::Div, X.Id, B.fill(1.0, X.Id)), X.Bd};
  case 8: { // (0.5 + 1.5) * x: constant folding
    Value C = binary(OpCode::Add, fill(0.5, S), fill(1.5, S));
    return binary(OpCode::Mul, C, tame(X, 20));
  }
  default: { // sum(one_hot(y) * x) over the last axis: a gather
    std::vector<int64_t> Axes = constantAxes(S);
    if (Axes.empty() || Axes.back() != static_cast<int64_t>(Rank) - 1)
      break;
    Shape Rows(S.begin(), S.end() - 1);
    NodeId Hot = B.oneHot(labels(Rows), S.back(), DType::F64);
    NodeId Prod = B.binary(OpCode::Mul, Hot, X.Id);
    return {B.reduce(OpCode::Sum, Prod, {Axes.back()}, coin()),
            {std::min(X.Bd.Lo, 0.0), std::max(X.Bd.Hi, 0.0)}};
  }
  }
  return unaryStep(X);
}

} // namespace netjit::testing
