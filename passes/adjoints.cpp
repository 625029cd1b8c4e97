//===- adjoints.cpp - One adjoint (vector-Jacobian) rule per op -----------===//
//
// operandAdjoints() is one switch over the op table without a default case.
// Each case is the rule for one op, preceded by its calculus: with
// y = op(x...) and g = dCost/dy it builds g * dy/dx_i for the operands the
// caller needs. Rules that need more than a few lines are named functions
// above the switch, or in adjoints_layout.cpp for the layout ops. Every rule
// is linear in g and built from differentiable ops, so it can itself be
// differentiated.
//
// Conventions at non-differentiable points (documented in docs/passes.md):
// abs, relu, sign route nothing through x = 0 (abs: sign(0) = 0); maximum,
// minimum and clip send ties to the first operand; max/min reductions split
// g evenly between tied maxima; pow's exponent gradient is 0 where the base
// is 0; xlogy's gradients are 0 where x = 0 (as TensorFlow's).
//
//===----------------------------------------------------------------------===//
#include "passes/adjoints.h"

#include "ir/error.h"
#include "passes/adjoint_rule.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace netjit {

bool isOne(const Graph &G, NodeId X) {
  for (;;) {
    const Node &N = G.node(X);
    if (N.Op == OpCode::Broadcast || N.Op == OpCode::Reshape) {
      X = N.Inputs[0];
      continue;
    }
    if (N.Op != OpCode::Constant || N.Type.rank() != 0)
      return false;
    const std::vector<uint8_t> &Raw = N.Attributes.getBytes("value").Data;
    auto Is = [&Raw](auto One) {
      decltype(One) V;
      std::memcpy(&V, Raw.data(), sizeof(V));
      return V == One;
    };
    switch (N.Type.Dtype) {
    case DType::F32:
      return Is(1.0f);
    case DType::F64:
      return Is(1.0);
    case DType::I32:
      return Is(int32_t(1));
    case DType::I64:
      return Is(int64_t(1));
    case DType::Bool:
      return Raw[0] == 1;
    }
    return false;
  }
}

// The rule context and the layout rules (adjoint_rule.h).
using namespace adjoint;

namespace {

/// The number of elements a reduction of X over Axes folds into each
/// result, as a scalar of X's dtype (a dim_value when symbolic).
NodeId reducedCount(Rule &R, NodeId X, const std::vector<int64_t> &Axes) {
  Dim Count = 1;
  for (int64_t A : Axes)
    Count = Count * R.shape(X)[A];
  return R.B.dimValue(Count, R.type(X).Dtype);
}

// d/dx max(x, axes) = [x == max] / #ties: g goes to the maxima, split
// evenly between ties (as TensorFlow and JAX do). Same for min.
NodeId maxReductionAdjoint(Rule &R, const std::vector<int64_t> &Axes) {
  NodeId X = R.in(0);
  NodeId Hit = R.B.cast(R.cmp(OpCode::Eq, X, unreduce(R, R.Y, X, Axes)),
                        R.type(X).Dtype);
  NodeId Ties = R.B.reduce(OpCode::Sum, Hit, Axes, /*KeepDims=*/true);
  NodeId Share = R.div(R.B.reshape(R.G, keptShape(R.shape(X), Axes)), Ties);
  return R.mul(Hit, spread(R, Share, R.shape(Share), R.shape(X)));
}

// clip(x, lo, hi) = min(max(x, lo), hi), ties to the first operand: g goes
// to x where lo <= x <= hi, to lo where x < lo <= hi, to hi elsewhere.
void clipAdjoint(Rule &R) {
  NodeId X = R.in(0), Lo = R.in(1), Hi = R.in(2);
  auto InX = [&] {
    return R.B.make(OpCode::And,
                    {R.cmp(OpCode::Ge, X, Lo), R.cmp(OpCode::Le, X, Hi)});
  };
  auto InLo = [&] {
    return R.B.make(OpCode::And,
                    {R.cmp(OpCode::Lt, X, Lo), R.cmp(OpCode::Le, Lo, Hi)});
  };
  R.set(0, [&] { return R.where(InX(), R.G); });
  R.set(1, [&] { return R.where(InLo(), R.G); });
  R.set(2, [&] {
    return R.unless(R.B.make(OpCode::Or, {InX(), InLo()}), R.G);
  });
}

// softmax_xent(z, t) = logsumexp(z) - z[t] per row:
// d/dz = (softmax(z) - one_hot(t)) * g[..., None]; the labels get none.
NodeId softmaxXentAdjoint(Rule &R) {
  NodeId Z = R.in(0);
  const Shape &S = R.shape(Z);
  NodeId Hot = R.B.oneHot(R.in(1), S.back(), R.type(Z).Dtype);
  NodeId Diff = R.sub(R.B.softmax(Z, -1), Hot);
  Shape Rows = R.N.Type.Dims;
  Rows.push_back(1);
  return R.mul(Diff, spread(R, R.G, Rows, S));
}

/// The error for a fused kernel on a gradient path (a pipeline that runs
/// fuse before autodiff; the pipeline is text a user can type, so not a
/// crash).
[[noreturn]] void kernelUnsupported() {
  throw Error("the gradient of a fused 'kernel' is not supported: run the "
              "autodiff pass before the fuse pass");
}

} // namespace

std::vector<NodeId> operandAdjoints(Builder &B, NodeId Y, NodeId G,
                                    const std::vector<bool> &Needs) {
  Rule R(B, Y, G, Needs);
  NJ_CHECK(Needs.size() == R.N.Inputs.size(),
           "one need per operand of '" << opName(R.N.Op) << "'");
  NJ_CHECK(B.type(G) == R.N.Type || R.N.isMultiResult(),
           "adjoint " << B.type(G).str() << " of '" << opName(R.N.Op) << "' "
                      << R.N.Type.str());
  const NodeId X = R.N.Inputs.empty() ? NodeId() : R.in(0);
  const NodeId X1 = R.N.Inputs.size() > 1 ? R.in(1) : NodeId();
  switch (R.N.Op) {
  // Leaves: no operands.
  case OpCode::Input:
  case OpCode::Param:
  case OpCode::Constant:
  case OpCode::DimValue:
    break;

  // d/dx -x = -1
  case OpCode::Neg:
    R.set(0, [&] { return R.neg(G); });
    break;
  // d/dx |x| = sign(x) (0 at x = 0)
  case OpCode::Abs:
    R.set(0, [&] { return R.mul(G, B.unary(OpCode::Sign, X)); });
    break;
  // d/dx sign(x) = 0 almost everywhere: no gradient.
  case OpCode::Sign:
    break;
  // d/dx e^x = e^x = y
  case OpCode::Exp:
    R.set(0, [&] { return R.mul(G, Y); });
    break;
  // d/dx log x = 1/x
  case OpCode::Log:
    R.set(0, [&] { return R.div(G, X); });
    break;
  // d/dx log(1+x) = 1/(1+x)
  case OpCode::Log1p:
    R.set(0, [&] { return R.div(G, R.add(X, R.c(1))); });
    break;
  // d/dx (e^x - 1) = e^x = y + 1
  case OpCode::Expm1:
    R.set(0, [&] { return R.mul(G, R.add(Y, R.c(1))); });
    break;
  // d/dx sqrt(x) = 1/(2 sqrt(x)) = 0.5/y
  case OpCode::Sqrt:
    R.set(0, [&] { return R.div(R.mul(G, R.c(0.5)), Y); });
    break;
  // d/dx x^(-1/2) = -x^(-3/2)/2 = -0.5 y^3
  case OpCode::Rsqrt:
    R.set(0, [&] {
      return R.mul(G, R.mul(R.c(-0.5), R.mul(B.unary(OpCode::Square, Y), Y)));
    });
    break;
  // d/dx x^2 = 2x
  case OpCode::Square:
    R.set(0, [&] { return R.mul(G, R.mul(R.c(2), X)); });
    break;
  // d/dx tanh(x) = 1 - y^2
  case OpCode::Tanh:
    R.set(0,
          [&] { return R.mul(G, R.sub(R.c(1), B.unary(OpCode::Square, Y))); });
    break;
  // d/dx sigmoid(x) = y (1 - y)
  case OpCode::Sigmoid:
    R.set(0, [&] { return R.mul(G, R.mul(Y, R.sub(R.c(1), Y))); });
    break;
  // d/dx log(1 + e^x) = sigmoid(x)
  case OpCode::Softplus:
    R.set(0, [&] { return R.mul(G, B.unary(OpCode::Sigmoid, X)); });
    break;
  // d/dx relu(x) = [x > 0]
  case OpCode::Relu:
    R.set(0, [&] { return R.where(R.cmp(OpCode::Gt, X, R.c(0)), G); });
    break;
  // Logic and comparisons give bool: no gradient.
  case OpCode::Not:
  case OpCode::And:
  case OpCode::Or:
  case OpCode::Eq:
  case OpCode::Ne:
  case OpCode::Lt:
  case OpCode::Le:
  case OpCode::Gt:
  case OpCode::Ge:
    break;

  // d/da a+b = 1, d/db a+b = 1
  case OpCode::Add:
    R.set(0, [&] { return G; });
    R.set(1, [&] { return G; });
    break;
  // d/da a-b = 1, d/db a-b = -1
  case OpCode::Sub:
    R.set(0, [&] { return G; });
    R.set(1, [&] { return R.neg(G); });
    break;
  // d/da a*b = b, d/db a*b = a
  case OpCode::Mul:
    R.set(0, [&] { return R.mul(G, X1); });
    R.set(1, [&] { return R.mul(G, X); });
    break;
  // d/da a/b = 1/b, d/db a/b = -a/b^2 = -y/b
  case OpCode::Div:
    R.set(0, [&] { return R.div(G, X1); });
    R.set(1, [&] { return R.neg(R.div(R.mul(G, Y), X1)); });
    break;
  // d/da a^b = b a^(b-1); d/db a^b = a^b log a, taken as 0 where a = 0 (the
  // limit from a > 0 for b > 0) instead of 0 * -inf = NaN.
  case OpCode::Pow:
    R.set(0, [&] {
      return R.mul(G, R.mul(X1, B.binary(OpCode::Pow, X, R.sub(X1, R.c(1)))));
    });
    R.set(1, [&] {
      NodeId AtZero = R.cmp(OpCode::Eq, X, R.c(0));
      return R.unless(AtZero, R.mul(G, R.mul(Y, B.unary(OpCode::Log, X))));
    });
    break;
  // d/da max(a, b) = [a >= b], d/db = [a < b] (ties to the first operand)
  case OpCode::Maximum:
    R.set(0, [&] { return R.where(R.cmp(OpCode::Ge, X, X1), G); });
    R.set(1, [&] { return R.unless(R.cmp(OpCode::Ge, X, X1), G); });
    break;
  // d/da min(a, b) = [a <= b], d/db = [a > b] (ties to the first operand)
  case OpCode::Minimum:
    R.set(0, [&] { return R.where(R.cmp(OpCode::Le, X, X1), G); });
    R.set(1, [&] { return R.unless(R.cmp(OpCode::Le, X, X1), G); });
    break;
  // d/dx x log y = log y, d/dy x log y = x/y; both 0 where x = 0 (where
  // xlogy is defined as 0 whatever y is), as TensorFlow's xlogy gradient.
  case OpCode::Xlogy:
    R.set(0, [&] {
      return R.unless(R.cmp(OpCode::Eq, X, R.c(0)),
                      R.mul(G, B.unary(OpCode::Log, X1)));
    });
    R.set(1, [&] {
      return R.unless(R.cmp(OpCode::Eq, X, R.c(0)), R.mul(G, R.div(X, X1)));
    });
    break;

  // d/da select(c, a, b) = [c], d/db = [!c]; the condition gets none.
  case OpCode::Select:
    R.set(1, [&] { return R.where(X, G); });
    R.set(2, [&] { return R.unless(X, G); });
    break;
  // d/dx clip(x, lo, hi) = [lo <= x <= hi]; lo and hi get the rest.
  case OpCode::Clip:
    clipAdjoint(R);
    break;
  // d/dx cast(x) = cast back, between floats; integers and bools get none.
  case OpCode::Cast:
    if (isFloat(R.type(X).Dtype) && isFloat(R.N.Type.Dtype))
      R.set(0, [&] {
        return isOne(B.graph(), G) ? B.fill(1.0, R.type(X))
                                   : B.cast(G, R.type(X).Dtype);
      });
    break;
  // stop_gradient blocks: no gradient.
  case OpCode::StopGradient:
    break;

  // d/dx sum(x, axes) = 1, broadcast back over the axes.
  case OpCode::Sum:
    R.set(0, [&] { return unreduce(R, G, X, R.N.Attributes.getInts("axes")); });
    break;
  // d/dx mean(x, axes) = 1/n, n the number of elements reduced.
  case OpCode::Mean:
    R.set(0, [&] {
      std::vector<int64_t> Axes = R.N.Attributes.getInts("axes");
      NodeId Count = reducedCount(R, X, Axes);
      // A seed of ones stays one scalar: 1/n, broadcast once.
      NodeId Share =
          isOne(B.graph(), G) ? R.div(R.c(1), Count) : R.div(G, Count);
      return unreduce(R, Share, X, Axes);
    });
    break;
  // d/dx max(x, axes) = [x == max] / #ties (and min alike).
  case OpCode::Max:
  case OpCode::Min:
    R.set(0, [&] {
      return maxReductionAdjoint(R, R.N.Attributes.getInts("axes"));
    });
    break;
  // d/dx logsumexp(x, axes) = exp(x - y) = softmax(x) over the axes.
  case OpCode::LogSumExp:
    R.set(0, [&] {
      std::vector<int64_t> Axes = R.N.Attributes.getInts("axes");
      NodeId P = B.unary(OpCode::Exp, R.sub(X, unreduce(R, Y, X, Axes)));
      return R.mul(P, unreduce(R, G, X, Axes));
    });
    break;
  // argmax gives an integer: no gradient.
  case OpCode::Argmax:
    break;

  // d/dA A·B = g·Bᵀ, d/dB A·B = Aᵀ·g
  case OpCode::MatMul:
    matmulAdjoint(R);
    break;
  // d/dx transpose(x, perm) = transpose(g, perm⁻¹)
  case OpCode::Transpose:
    R.set(0, [&] { return transposeAdjoint(R); });
    break;
  // d/dx reshape(x) = reshape(g) back to x's shape
  case OpCode::Reshape:
    R.set(0, [&] { return B.reshape(G, R.shape(X)); });
    break;
  // d/dx broadcast(x) = sum(g) over the broadcast axes
  case OpCode::Broadcast:
    R.set(0, [&] { return broadcastAdjoint(R); });
    break;
  // d/dx slice(x) = pad(g) with the complement
  case OpCode::Slice:
    R.set(0, [&] { return sliceAdjoint(R); });
    break;
  // d/dx pad(x) = slice(g) at x's elements
  case OpCode::Pad:
    R.set(0, [&] { return padAdjoint(R); });
    break;
  // d/dx_i concat(x...) = the slice of g holding x_i
  case OpCode::Concat:
    concatAdjoint(R);
    break;

  // gather(x, idx)[i] = x[idx[i]]: d/dx = scatter_add(idx, g); idx gets none.
  case OpCode::Gather:
    R.set(0, [&] {
      int64_t Axis = R.N.Attributes.getInt("axis");
      return B.make(OpCode::ScatterAdd, {X1, G},
                    Attrs{{"axis", Axis}, {"size", R.shape(X)[Axis]}});
    });
    break;
  // scatter_add(idx, u)[idx[i]] += u[i]: d/du = gather(g, idx); idx gets none.
  case OpCode::ScatterAdd:
    R.set(1, [&] { return B.gather(G, X, R.N.Attributes.getInt("axis")); });
    break;
  // one_hot reads integer labels: no gradient.
  case OpCode::OneHot:
    break;

  // d/dx softmax(x) = y * (g - sum(g * y, axis))
  case OpCode::Softmax:
    R.set(0, [&] {
      int64_t Axis = R.N.Attributes.getInt("axis");
      NodeId Dot =
          B.reduce(OpCode::Sum, R.mul(G, Y), {Axis}, /*KeepDims=*/true);
      return R.mul(Y, R.sub(G, B.broadcastTo(Dot, R.shape(Y))));
    });
    break;
  // d/dx log_softmax(x) = g - softmax(x) * sum(g, axis)
  case OpCode::LogSoftmax:
    R.set(0, [&] {
      int64_t Axis = R.N.Attributes.getInt("axis");
      NodeId Total = B.reduce(OpCode::Sum, G, {Axis}, /*KeepDims=*/true);
      return R.sub(G,
                   R.mul(B.softmax(X, Axis), B.broadcastTo(Total, R.shape(X))));
    });
    break;
  // d/dz softmax_xent(z, t) = (softmax(z) - one_hot(t)) * g[..., None]
  case OpCode::SoftmaxXent:
    R.set(0, [&] { return softmaxXentAdjoint(R); });
    break;

  // Random draws depend on an integer key only: no gradient.
  case OpCode::RandomUniform:
  case OpCode::RandomNormal:
    break;

  // Inner grad requests are expanded before any sweep reaches them.
  case OpCode::Grad:
    NJ_CHECK(
        false,
        "autodiff: a 'grad' node was reached by a reverse sweep before being "
        "expanded");
    break;
  // Multi-result ops take one adjoint per result (multiResultAdjoints);
  // kernels are made by the fuse pass, after autodiff.
  case OpCode::Kernel:
    kernelUnsupported();
  case OpCode::Scan:
    throw Error("the adjoint of a 'scan' takes one adjoint per result: use "
                "multiResultAdjoints");
  // result(tuple) {index}: the sweep adds g to the tuple's result adjoints.
  case OpCode::Result:
    if (B.graph().node(X).Op == OpCode::Kernel)
      kernelUnsupported();
    throw Error("the adjoint of a 'result' goes to its tuple: use "
                "multiResultAdjoints on the tuple");
  }
  return R.take();
}

std::vector<NodeId> multiResultAdjoints(Builder &B, NodeId Y,
                                        std::span<const NodeId> ResultAdjoints,
                                        const std::vector<bool> &Needs) {
  const Node &N = B.graph().node(Y);
  if (N.Op == OpCode::Kernel)
    kernelUnsupported();
  if (N.Op != OpCode::Scan)
    throw Error("'" + std::string(opName(N.Op)) + "' is not a multi-result op");
  return scanAdjoint(B, Y, ResultAdjoints, Needs);
}

} // namespace netjit
