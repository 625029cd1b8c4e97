//===- call_site.h - Error messages that name the user's call site --------===//
//
// Internal to the frontend. Every public function runs its body through
// guarded(), which turns a netjit::Error thrown below it (by the builder, the
// type rules or another frontend function) into one whose message starts
// with the caller's file and line and the function's name:
//   my_loss.cpp:42: 'add': cannot broadcast shapes [B,10] and [3]: ...
// Only the outermost frontend call on the stack annotates, so a loss built
// by the library reports the line of the user's call into the library.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"
#include "ir/builder.h"
#include "ir/error.h"

#include <string>
#include <string_view>

namespace netjit::detail {

/// "file.cpp:42" (the file's base name and the line).
std::string locStr(const SourceLoc &Loc);
/// "file.cpp:42: 'Name': Message", without repeating a "'Name': " prefix.
std::string annotate(std::string_view Name, const SourceLoc &Loc,
                     std::string_view Message);

/// Counts the frontend calls on this thread's stack.
class CallDepth {
public:
  CallDepth() { ++depth(); }
  ~CallDepth() { --depth(); }
  CallDepth(const CallDepth &) = delete;
  CallDepth &operator=(const CallDepth &) = delete;
  bool outermost() const { return depth() == 1; }

private:
  friend class FreshCallStack;
  static int &depth();
};

/// While alive, the frontend calls on this thread count as outermost again:
/// the calls a user's callback makes (a scan body) name their own lines.
class FreshCallStack {
public:
  FreshCallStack() : Saved(CallDepth::depth()) { CallDepth::depth() = 0; }
  ~FreshCallStack() { CallDepth::depth() = Saved; }
  FreshCallStack(const FreshCallStack &) = delete;
  FreshCallStack &operator=(const FreshCallStack &) = delete;

private:
  int Saved;
};

/// Runs Fn(); the outermost guarded call rethrows errors annotated with Name
/// and Loc, keeping their kind (TypeError, RuntimeError or Error).
template <class F>
auto guarded(std::string_view Name, const SourceLoc &Loc, F &&Fn)
    -> decltype(Fn()) {
  CallDepth Depth;
  try {
    return Fn();
  } catch (const TypeError &E) {
    if (!Depth.outermost())
      throw;
    throw TypeError(annotate(Name, Loc, E.what()));
  } catch (const RuntimeError &E) {
    if (!Depth.outermost())
      throw;
    throw RuntimeError(annotate(Name, Loc, E.what()));
  } catch (const Error &E) {
    if (!Depth.outermost())
      throw;
    throw Error(annotate(Name, Loc, E.what()));
  }
}

/// Throws TypeError unless every valid Expr belongs to one graph; returns
/// that graph's Builder.
Builder builderFor(std::initializer_list<const Expr *> Xs);
/// The Expr for a node of X's graph.
inline Expr wrap(const Expr &Like, NodeId Id) {
  return Expr(Like.graphPtr(), Id);
}
/// An Operand as a node: a number becomes a scalar of Like's dtype
/// (TypeError when the number does not fit that dtype, e.g. 0.5 for i32).
NodeId operandNode(Builder &B, const Operand &X, const Expr &Like);
/// The Expr among the operands (the first one), or TypeError when none is.
const Expr &firstExpr(std::initializer_list<const Operand *> Xs);

} // namespace netjit::detail
