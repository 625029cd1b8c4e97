//===- array.cpp - Linear algebra, layout, indexing and NN ops on Exprs ----===//
//
// The numpy conveniences the IR leaves out are made explicit here: 1-D
// matmul operands, a stack of matrices times one matrix (one GEMM over the
// flattened rows), a -1 in reshape (solved over symbolic dims too) and
// negative slice bounds.
//
//===----------------------------------------------------------------------===//
#include "frontend/array.h"
#include "frontend/call_site.h"

#include <algorithm>
#include <numeric>

namespace netjit {

using detail::guarded;
using detail::wrap;

namespace {

/// Total / Known when Known is a single monomial dividing every term of
/// Total (784*B / B = 784); nullopt otherwise.
std::optional<Dim> divideDim(const Dim &Total, const Dim &Known) {
  std::vector<Dim::Term> K = Known.terms();
  if (K.size() != 1 || K[0].Coeff == 0)
    return std::nullopt;
  Dim Out(0);
  for (const Dim::Term &T : Total.terms()) {
    if (T.Coeff % K[0].Coeff != 0)
      return std::nullopt;
    std::vector<std::string> Syms = T.Syms;
    for (const std::string &S : K[0].Syms) {
      auto It = std::find(Syms.begin(), Syms.end(), S);
      if (It == Syms.end())
        return std::nullopt;
      Syms.erase(It);
    }
    Dim Term(T.Coeff / K[0].Coeff);
    for (const std::string &S : Syms)
      Term = Term * Dim::symbol(S);
    Out = Out + Term;
  }
  return Out;
}

/// The target shape of a reshape, with a -1 entry solved.
Shape reshapeTarget(const Shape &From, const std::vector<DimSpec> &Dims) {
  Shape To = makeShape(Dims);
  auto Free = std::find(To.begin(), To.end(), Dim(-1));
  if (Free == To.end())
    return To;
  if (std::find(Free + 1, To.end(), Dim(-1)) != To.end())
    throw TypeError("only one dim may be -1");
  Dim Known(1);
  for (auto It = To.begin(); It != To.end(); ++It)
    if (It != Free)
      Known = Known * *It;
  std::optional<Dim> Solved = divideDim(numElements(From), Known);
  if (!Solved)
    throw TypeError("cannot infer the -1 dim: " + shapeStr(From) +
                    " does not divide into " + shapeStr(To));
  *Free = *Solved;
  return To;
}

NodeId matmulNodes(Builder &B, NodeId A, NodeId C) {
  const Shape SA = B.type(A).Dims, SC = B.type(C).Dims;
  if (SA.size() > 2 && SC.size() == 2) {
    // [..., M, K] x [K, N]: one GEMM over the flattened rows.
    Dim Rows = numElements(Shape(SA.begin(), SA.end() - 1));
    NodeId Flat = B.reshape(A, {Rows, SA.back()});
    NodeId Prod = B.matmul(Flat, C);
    Shape Out(SA.begin(), SA.end() - 1);
    Out.push_back(SC.back());
    return B.reshape(Prod, Out);
  }
  if (SA.size() >= 2 && SC.size() >= 2 &&
      (SA.size() != SC.size() ||
       !std::equal(SA.begin(), SA.end() - 2, SC.begin()))) {
    Shape Batch = broadcastShapes(Shape(SA.begin(), SA.end() - 2),
                                  Shape(SC.begin(), SC.end() - 2));
    Shape TA = Batch, TC = Batch;
    TA.insert(TA.end(), SA.end() - 2, SA.end());
    TC.insert(TC.end(), SC.end() - 2, SC.end());
    return B.matmul(B.broadcastTo(A, TA), B.broadcastTo(C, TC));
  }
  return B.matmul(A, C);
}

} // namespace

Expr matmul(const Expr &A, const Expr &C, SourceLoc Loc) {
  return guarded("matmul", Loc, [&] {
    Builder B = detail::builderFor({&A, &C});
    if (A.rank() == 0 || C.rank() == 0)
      throw TypeError("operands must have rank >= 1, got " + A.type().str() +
                      " and " + C.type().str());
    NodeId X = A.id(), Y = C.id();
    if (A.rank() == 1)
      X = B.reshape(X, {Dim(1), A.dim(0)});
    if (C.rank() == 1)
      Y = B.reshape(Y, {C.dim(0), Dim(1)});
    NodeId P = matmulNodes(B, X, Y);
    Shape Out = B.type(P).Dims;
    if (A.rank() == 1)
      Out.erase(Out.end() - 2); // the row added to A
    if (C.rank() == 1)
      Out.erase(Out.end() - 1); // the column added to C
    return wrap(A, B.reshape(P, Out));
  });
}

Expr transpose(const Expr &X, std::vector<int64_t> Perm, SourceLoc Loc) {
  return guarded("transpose", Loc, [&] {
    Builder B = detail::builderFor({&X});
    if (Perm.empty()) {
      Perm.resize(X.rank());
      std::iota(Perm.rbegin(), Perm.rend(), 0);
    }
    return wrap(X, B.transpose(X.id(), Perm));
  });
}

Expr reshape(const Expr &X, const std::vector<DimSpec> &Dims, SourceLoc Loc) {
  return guarded("reshape", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.reshape(X.id(), reshapeTarget(X.shape(), Dims)));
  });
}

Expr broadcast_to(const Expr &X, const std::vector<DimSpec> &Dims,
                  SourceLoc Loc) {
  return guarded("broadcast_to", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.broadcastTo(X.id(), makeShape(Dims)));
  });
}

Expr concatenate(const std::vector<Expr> &Xs, int64_t Axis, SourceLoc Loc) {
  return guarded("concatenate", Loc, [&] {
    if (Xs.empty())
      throw TypeError("needs at least one Expr");
    std::vector<NodeId> Ids;
    for (const Expr &X : Xs) {
      detail::builderFor({&Xs[0], &X});
      Ids.push_back(X.id());
    }
    Builder B(Xs[0].graph());
    return wrap(Xs[0], B.concat(Ids, Axis));
  });
}

Expr slice(const Expr &X, int64_t Axis, DimSpec Start,
           std::optional<DimSpec> Stop, int64_t Step, SourceLoc Loc) {
  return guarded("slice", Loc, [&] {
    detail::builderFor({&X});
    int64_t A = Builder::normalizeAxis(Axis, X.rank());
    Dim Extent = X.dim(A);
    auto Bound = [&](const Dim &D) {
      return D.isConstant() && D.constant() < 0 ? Extent + D : D;
    };
    std::vector<DimSpec> Starts, Stops;
    for (size_t I = 0; I < X.rank(); ++I) {
      Starts.push_back(Dim(0));
      Stops.push_back(X.dim(static_cast<int64_t>(I)));
    }
    Starts[A] = Bound(Start.dim());
    if (Stop)
      Stops[A] = Bound(Stop->dim());
    std::vector<int64_t> Steps(X.rank(), 1);
    Steps[A] = Step;
    return slice(X, Starts, Stops, Steps, Loc);
  });
}

Expr slice(const Expr &X, const std::vector<DimSpec> &Starts,
           const std::vector<DimSpec> &Stops, std::vector<int64_t> Steps,
           SourceLoc Loc) {
  return guarded("slice", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.make(OpCode::Slice, {X.id()},
                          Attrs{{"starts", makeShape(Starts)},
                                {"stops", makeShape(Stops)},
                                {"steps", std::move(Steps)}}));
  });
}

Expr pad(const Expr &X, const std::vector<DimSpec> &Low,
         const std::vector<DimSpec> &High, std::vector<int64_t> Interior,
         SourceLoc Loc) {
  return guarded("pad", Loc, [&] {
    Builder B = detail::builderFor({&X});
    if (Interior.empty())
      Interior.assign(X.rank(), 0);
    return wrap(X, B.make(OpCode::Pad, {X.id()},
                          Attrs{{"low", makeShape(Low)},
                                {"high", makeShape(High)},
                                {"interior", std::move(Interior)}}));
  });
}

Expr take_along_axis(const Expr &X, const Expr &Idx, int64_t Axis,
                     SourceLoc Loc) {
  return guarded("take_along_axis", Loc, [&] {
    Builder B = detail::builderFor({&X, &Idx});
    return wrap(X, B.gather(X.id(), Idx.id(), Axis));
  });
}

Expr scatter_add(const Expr &Idx, const Expr &Upd, int64_t Axis, DimSpec Size,
                 SourceLoc Loc) {
  return guarded("scatter_add", Loc, [&] {
    Builder B = detail::builderFor({&Idx, &Upd});
    int64_t A = Builder::normalizeAxis(Axis, Upd.rank());
    return wrap(Upd, B.make(OpCode::ScatterAdd, {Idx.id(), Upd.id()},
                            Attrs{{"axis", A}, {"size", Size.dim()}}));
  });
}

Expr one_hot(const Expr &Idx, DimSpec Depth, DType T, SourceLoc Loc) {
  return guarded("one_hot", Loc, [&] {
    Builder B = detail::builderFor({&Idx});
    return wrap(Idx, B.oneHot(Idx.id(), Depth.dim(), T));
  });
}

Expr softmax(const Expr &X, int64_t Axis, SourceLoc Loc) {
  return guarded("softmax", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.softmax(X.id(), Axis));
  });
}

Expr log_softmax(const Expr &X, int64_t Axis, SourceLoc Loc) {
  return guarded("log_softmax", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.logSoftmax(X.id(), Axis));
  });
}

Expr softmax_cross_entropy(const Expr &Logits, const Expr &Labels,
                           SourceLoc Loc) {
  return guarded("softmax_cross_entropy", Loc, [&] {
    Builder B = detail::builderFor({&Logits, &Labels});
    return wrap(Logits,
                B.make(OpCode::SoftmaxXent, {Logits.id(), Labels.id()}));
  });
}

Expr dim_size(const Expr &X, int64_t Axis, DType T, SourceLoc Loc) {
  return guarded("dim_size", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.dimValue(X.dim(Axis), T));
  });
}

Expr num_elements(const Expr &X, DType T, SourceLoc Loc) {
  return guarded("num_elements", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.dimValue(numElements(X.shape()), T));
  });
}

static Expr randomOp(std::string_view Name, OpCode Op, const Expr &Key,
                     DType T, const std::vector<DimSpec> &Dims,
                     const SourceLoc &Loc) {
  return guarded(Name, Loc, [&] {
    detail::builderFor({&Key});
    Graph &G = Key.graph();
    return wrap(Key, G.make(Op, std::vector<NodeId>{Key.id()}, {},
                            TensorType{T, makeShape(Dims)}));
  });
}

Expr random_uniform(const Expr &Key, DType T, const std::vector<DimSpec> &Dims,
                    SourceLoc Loc) {
  return randomOp("random_uniform", OpCode::RandomUniform, Key, T, Dims, Loc);
}

Expr random_normal(const Expr &Key, DType T, const std::vector<DimSpec> &Dims,
                   SourceLoc Loc) {
  return randomOp("random_normal", OpCode::RandomNormal, Key, T, Dims, Loc);
}

} // namespace netjit
