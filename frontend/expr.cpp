//===- expr.cpp - Expr handles, operators and Function ---------------------===//
//
// The Expr handle, the call-site machinery of call_site.h, the C++ operators
// (which forward to the numpy-named functions of math.cpp) and Function, the
// owner of a graph and its interface.
//
//===----------------------------------------------------------------------===//
#include "frontend/call_site.h"
#include "frontend/evaluate.h"
#include "frontend/math.h"
#include "ir/dot.h"
#include "ir/printer.h"

#include <cmath>
#include <cstring>

namespace netjit {

//===----------------------------------------------------------------------===//
// Call sites
//===----------------------------------------------------------------------===//

namespace detail {

std::string locStr(const SourceLoc &Loc) {
  std::string_view File = Loc.file_name();
  size_t Slash = File.find_last_of("/\\");
  if (Slash != std::string_view::npos)
    File.remove_prefix(Slash + 1);
  return std::string(File) + ":" + std::to_string(Loc.line());
}

std::string annotate(std::string_view Name, const SourceLoc &Loc,
                     std::string_view Message) {
  std::string Prefix = "'" + std::string(Name) + "': ";
  std::string Out = locStr(Loc) + ": ";
  if (Message.substr(0, Prefix.size()) != Prefix)
    Out += Prefix;
  return Out + std::string(Message);
}

int &CallDepth::depth() {
  thread_local int Depth = 0;
  return Depth;
}

Builder builderFor(std::initializer_list<const Expr *> Xs) {
  Graph *G = nullptr;
  for (const Expr *X : Xs) {
    if (!X->valid())
      throw TypeError("an operand is an empty Expr (default-constructed)");
    if (G && &X->graph() != G)
      throw TypeError("operands belong to different graphs (Functions)");
    G = &X->graph();
  }
  NJ_CHECK(G, "builderFor without operands");
  return Builder(*G);
}

/// Whether V is exactly representable in T.
static bool fits(double V, DType T) {
  switch (T) {
  case DType::F32:
  case DType::F64:
    return true;
  case DType::I32:
    return V == std::trunc(V) && V >= -2147483648.0 && V <= 2147483647.0;
  case DType::I64:
    return V == std::trunc(V) && std::fabs(V) <= 9007199254740992.0;
  case DType::Bool:
    return V == 0 || V == 1;
  }
  return false;
}

NodeId operandNode(Builder &B, const Operand &X, const Expr &Like) {
  if (X.isExpr()) {
    if (!X.expr().valid())
      throw TypeError("an operand is an empty Expr (default-constructed)");
    if (&X.expr().graph() != &Like.graph())
      throw TypeError("operands belong to different graphs (Functions)");
    return X.expr().id();
  }
  DType T = Like.dtype();
  if (!fits(X.value(), T))
    throw TypeError("the number " + std::to_string(X.value()) +
                    " is not a value of dtype " +
                    std::string(dtypeName(T)) + " (cast the Expr first)");
  return B.scalar(X.value(), T);
}

const Expr &firstExpr(std::initializer_list<const Operand *> Xs) {
  for (const Operand *X : Xs)
    if (X->isExpr()) {
      if (!X->expr().valid())
        throw TypeError("an operand is an empty Expr (default-constructed)");
      return X->expr();
    }
  throw TypeError("needs at least one Expr operand (all are numbers)");
}

} // namespace detail

//===----------------------------------------------------------------------===//
// DimSpec and Expr
//===----------------------------------------------------------------------===//

DimSpec::DimSpec(std::string_view Text) {
  std::string Problem;
  std::optional<Dim> Parsed = parseDim(Text, &Problem);
  if (!Parsed)
    throw TypeError("bad dim '" + std::string(Text) + "': " + Problem);
  D = *Parsed;
}

DimSpec::DimSpec(const char *Text) : DimSpec(std::string_view(Text)) {}

Shape makeShape(const std::vector<DimSpec> &Dims) {
  Shape S;
  for (const DimSpec &D : Dims)
    S.push_back(D.dim());
  return S;
}

Graph &Expr::graph() const {
  if (!valid())
    throw TypeError("an empty Expr (default-constructed) has no graph, type "
                    "or shape");
  return *G;
}

Dim Expr::dim(int64_t Axis) const {
  return shape()[Builder::normalizeAxis(Axis, rank())];
}

std::string Expr::str() const {
  return valid() ? printNode(*G, Id) : "<empty Expr>";
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

Expr operator+(const Operand &A, const Operand &B) {
  return add(A, B, A.loc());
}
Expr operator-(const Operand &A, const Operand &B) {
  return subtract(A, B, A.loc());
}
Expr operator*(const Operand &A, const Operand &B) {
  return multiply(A, B, A.loc());
}
Expr operator/(const Operand &A, const Operand &B) {
  return divide(A, B, A.loc());
}
Expr operator-(const Operand &A) {
  return detail::guarded("neg", A.loc(), [&] {
    return negative(detail::firstExpr({&A}), A.loc());
  });
}
Expr operator<(const Operand &A, const Operand &B) {
  return less(A, B, A.loc());
}
Expr operator<=(const Operand &A, const Operand &B) {
  return less_equal(A, B, A.loc());
}
Expr operator>(const Operand &A, const Operand &B) {
  return greater(A, B, A.loc());
}
Expr operator>=(const Operand &A, const Operand &B) {
  return greater_equal(A, B, A.loc());
}
Expr operator==(const Operand &A, const Operand &B) {
  return equal(A, B, A.loc());
}
Expr operator!=(const Operand &A, const Operand &B) {
  return not_equal(A, B, A.loc());
}
Expr operator&&(const Operand &A, const Operand &B) {
  return logical_and(A, B, A.loc());
}
Expr operator||(const Operand &A, const Operand &B) {
  return logical_or(A, B, A.loc());
}
Expr operator!(const Operand &A) {
  return detail::guarded("not", A.loc(), [&] {
    return logical_not(detail::firstExpr({&A}), A.loc());
  });
}

//===----------------------------------------------------------------------===//
// Function
//===----------------------------------------------------------------------===//

/// The shape of a declared argument; negative constant dims are refused.
static Shape argumentShape(const std::vector<DimSpec> &Dims) {
  Shape S = makeShape(Dims);
  for (const Dim &D : S)
    if (D.isConstant() && D.constant() < 0)
      throw TypeError("dim " + D.str() + " of " + shapeStr(S) +
                      " is negative");
  return S;
}

Function::Function(std::string Name, DType FloatType)
    : G(std::make_shared<Graph>(std::move(Name))), FloatType(FloatType) {}

Expr Function::input(std::string_view Name, DType T,
                     const std::vector<DimSpec> &Dims, SourceLoc Loc) {
  return detail::guarded("input", Loc, [&] {
    return Expr(G, G->input(Name, TensorType{T, argumentShape(Dims)}));
  });
}

Expr Function::input(std::string_view Name, const std::vector<DimSpec> &Dims,
                     SourceLoc Loc) {
  return input(Name, FloatType, Dims, Loc);
}

Expr Function::param(std::string_view Name, DType T,
                     const std::vector<DimSpec> &Dims, SourceLoc Loc) {
  return detail::guarded("param", Loc, [&] {
    return Expr(G, G->param(Name, TensorType{T, argumentShape(Dims)}));
  });
}

Expr Function::param(std::string_view Name, const std::vector<DimSpec> &Dims,
                     SourceLoc Loc) {
  return param(Name, FloatType, Dims, Loc);
}

Expr Function::scalar(double Value) { return scalar(Value, FloatType); }

Expr Function::scalar(double Value, DType T) {
  return Expr(G, G->scalar(Value, T));
}

Expr Function::constant(const Tensor &Value) {
  Shape S;
  for (int64_t D : Value.shape())
    S.push_back(Dim(D));
  Bytes B;
  B.Data.resize(Value.nbytes());
  if (!B.Data.empty())
    std::memcpy(B.Data.data(), Value.raw(), B.Data.size());
  return Expr(G, G->constant(TensorType{Value.dtype(), S}, std::move(B)));
}

Expr Function::argument(std::string_view Name) const {
  NodeId Id = G->findArgument(Name);
  if (!Id.valid())
    throw TypeError("graph @" + G->name() + " has no input or param named '" +
                    std::string(Name) + "'");
  return Expr(G, Id);
}

void Function::output(std::string_view Name, const Expr &Value,
                      SourceLoc Loc) {
  detail::guarded("output", Loc, [&] {
    if (!Value.valid() || Value.graphPtr() != G)
      throw TypeError("output '" + std::string(Name) +
                      "' is not an Expr of this Function");
    G->addOutput(Name, Value.id());
  });
}

Expr Function::outputExpr(std::string_view Name) const {
  for (const Output &O : G->outputs())
    if (O.Name == Name)
      return Expr(G, O.Value);
  throw TypeError("graph @" + G->name() + " has no output '" +
                  std::string(Name) + "'");
}

void Function::update(const Expr &Param, const Expr &Value, SourceLoc Loc) {
  detail::guarded("update", Loc, [&] {
    if (!Param.valid() || !Value.valid() || Param.graphPtr() != G ||
        Value.graphPtr() != G)
      throw TypeError("an update's param and value must be Exprs of this "
                      "Function");
    G->addUpdate(Param.id(), Value.id());
  });
}

std::string Function::str() const { return printGraph(*G); }

std::string Function::dot() const { return toDot(*G); }

Graph Function::optimized(std::string_view Pipeline) const {
  return optimizeGraph(*G, Pipeline);
}

TensorMap Function::run(TensorMap &Args, const DimBindings &Bindings) const {
  return evaluateGraph(*G, Args, Bindings);
}

} // namespace netjit
