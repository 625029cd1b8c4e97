//===- expr.h - Expr handles and the Function that owns their graph -------===//
//
// A Function owns an ir::Graph, declares its inputs and params (shapes may
// use symbolic dims: {"B", 784}) and hands out Expr handles, which combine
// with C++ operators and the numpy-named functions of math.h and array.h
// (names follow numpy and theanets, so their users find them). Numbers mix
// with Exprs (`x * 2.0` is a scalar of x's dtype); broadcasting follows numpy
// and is made explicit in the IR by ir/builder.h. Errors name the function,
// the shapes and the caller's line (a defaulted std::source_location last
// parameter; operators get it from their Operand conversion):
//   my_loss.cpp:42: 'add': cannot broadcast shapes [B,10] and [3]: ...
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/error.h"
#include "ir/graph.h"
#include "runtime/interpreter.h"

#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

namespace netjit {

using SourceLoc = std::source_location;

/// One dimension as a user writes it: 784, "B" or "B*T" (parsed), or a Dim.
class DimSpec {
public:
  // Implicit on purpose; a malformed text is a TypeError.
  DimSpec(int N) : D(N) {}        // NOLINT
  DimSpec(int64_t N) : D(N) {}    // NOLINT
  DimSpec(const Dim &D) : D(D) {} // NOLINT
  DimSpec(const char *Text);      // NOLINT
  DimSpec(std::string_view Text); // NOLINT
  const Dim &dim() const { return D; }

private:
  Dim D;
};

/// A Shape from dim specs: makeShape({"B", 784}).
Shape makeShape(const std::vector<DimSpec> &Dims);

/// A handle on one node of a Function's graph. Cheap to copy; keeps the
/// graph alive. A default-constructed Expr is invalid (valid() is false).
class Expr {
public:
  Expr() = default;
  Expr(std::shared_ptr<Graph> G, NodeId Id) : G(std::move(G)), Id(Id) {}

  bool valid() const { return G && Id.valid(); }
  NodeId id() const { return Id; }
  /// The graph (TypeError for an empty Expr, as every accessor below).
  Graph &graph() const;
  const std::shared_ptr<Graph> &graphPtr() const { return G; }

  const TensorType &type() const { return graph().type(Id); }
  DType dtype() const { return type().Dtype; }
  const Shape &shape() const { return type().Dims; }
  size_t rank() const { return type().rank(); }
  /// The extent of one axis (negative counts from the end).
  Dim dim(int64_t Axis) const;
  /// The node's line in the IR text, e.g. "add(%3, %4) : f32[B,10]".
  std::string str() const;

private:
  std::shared_ptr<Graph> G;
  NodeId Id;
};

/// An operand of an operator or of a binary function: an Expr, or a number
/// that becomes a scalar of the other operand's dtype. Converting captures
/// the caller's line for error messages.
class Operand {
public:
  Operand(const Expr &E, SourceLoc Loc = SourceLoc::current()) // NOLINT
      : E(E), IsExpr(true), Loc(Loc) {}
  Operand(double V, SourceLoc Loc = SourceLoc::current()) // NOLINT
      : Value(V), Loc(Loc) {}
  bool isExpr() const { return IsExpr; }
  const Expr &expr() const { return E; }
  double value() const { return Value; }
  const SourceLoc &loc() const { return Loc; }

private:
  Expr E;
  bool IsExpr = false;
  double Value = 0;
  SourceLoc Loc;
};

Expr operator+(const Operand &A, const Operand &B);
Expr operator-(const Operand &A, const Operand &B);
Expr operator*(const Operand &A, const Operand &B);
Expr operator/(const Operand &A, const Operand &B);
Expr operator-(const Operand &A);
/// Comparisons give bool Exprs (numpy semantics, not handle identity).
Expr operator<(const Operand &A, const Operand &B);
Expr operator<=(const Operand &A, const Operand &B);
Expr operator>(const Operand &A, const Operand &B);
Expr operator>=(const Operand &A, const Operand &B);
Expr operator==(const Operand &A, const Operand &B);
Expr operator!=(const Operand &A, const Operand &B);
/// Logical and/or/not of bool Exprs.
Expr operator&&(const Operand &A, const Operand &B);
Expr operator||(const Operand &A, const Operand &B);
Expr operator!(const Operand &A);

/// Owns a graph and builds its interface: inputs, params, outputs, updates.
class Function {
public:
  /// FloatType is the dtype of inputs and params declared without one.
  explicit Function(std::string Name = "main", DType FloatType = DType::F32);

  /// An input fed on every call ("x", {"B", 784}).
  Expr input(std::string_view Name, DType T, const std::vector<DimSpec> &Dims,
             SourceLoc Loc = SourceLoc::current());
  Expr input(std::string_view Name, const std::vector<DimSpec> &Dims,
             SourceLoc Loc = SourceLoc::current());
  /// A persistent parameter; its value is given when the function is run.
  Expr param(std::string_view Name, DType T, const std::vector<DimSpec> &Dims,
             SourceLoc Loc = SourceLoc::current());
  Expr param(std::string_view Name, const std::vector<DimSpec> &Dims,
             SourceLoc Loc = SourceLoc::current());
  /// A scalar constant (FloatType by default).
  Expr scalar(double Value);
  Expr scalar(double Value, DType T);
  /// A constant holding a tensor's values.
  Expr constant(const Tensor &Value);
  /// The argument (input or param) with this name; TypeError if none.
  Expr argument(std::string_view Name) const;

  /// Adds a named output.
  void output(std::string_view Name, const Expr &Value,
              SourceLoc Loc = SourceLoc::current());
  /// The Expr of the output Name; TypeError if there is none.
  Expr outputExpr(std::string_view Name) const;
  /// Declares Param <- Value at the end of each call (Theano's updates).
  void update(const Expr &Param, const Expr &Value,
              SourceLoc Loc = SourceLoc::current());

  DType floatType() const { return FloatType; }
  Graph &graph() { return *G; }
  const Graph &graph() const { return *G; }
  const std::shared_ptr<Graph> &graphPtr() const { return G; }

  /// The IR text, and Graphviz DOT, of the graph as built.
  std::string str() const;
  std::string dot() const;
  /// A copy of the graph after a pass pipeline (the default one by default).
  Graph optimized(std::string_view Pipeline = "") const;
  /// Runs the graph on Args (every input and param by name) and returns the
  /// outputs; updated params are written back into Args.
  TensorMap run(TensorMap &Args, const DimBindings &Bindings = {}) const;

private:
  std::shared_ptr<Graph> G;
  DType FloatType;
};

} // namespace netjit
