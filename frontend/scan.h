//===- scan.h - Loops: the IR's scan op from Exprs ------------------------===//
//
// scan() builds the IR's loop (docs/ir.md, "Loops") from a C++ function that
// writes one step with ordinary Expr code:
//
//   // h_t = tanh(x_t·U + h_{t-1}·W) over xs: [T, B, D], h0: [B, H].
//   std::vector<Expr> R = scan(
//       [&](ScanBody &S) {
//         Expr H = tanh(matmul(S.element(0), S.capture(U)) +
//                       matmul(S.carry(0), S.capture(W)));
//         return std::vector<Expr>{H, H}; // the new carry, a step output
//       },
//       {H0}, {Xs});
//   // R[0]: the final h [B, H]; R[1]: every step's h stacked, [T, B, H].
//
// The step function runs once, on Exprs of the body graph: the carries'
// values at the start of the step, each sequence's element for the step
// (axis 0 removed) and the constants. A body is a graph of its own, so a
// value of the enclosing graph must enter it as a constant: pass it in
// Constants, or call capture() (which adds it once and returns the body's
// Expr for it). The function returns the new carries (same types as the
// initial ones), then any number of per-step outputs. The results are the
// final carries, then each per-step output stacked on a new axis 0 of
// length T. With Reverse the steps run from T-1 down to 0; step t still
// reads element t and stores its outputs at index t, so stacked outputs are
// in forward time order either way.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"

#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace netjit {

struct ScanOptions {
  /// Run the steps from T-1 down to 0.
  bool Reverse = false;
  /// The number of steps when there is no sequence (forbidden otherwise).
  std::optional<DimSpec> Length = std::nullopt;
  /// Truncated back-propagation through time (Theano's truncate_gradient):
  /// gradients flow through the last BpttLimit steps that ran only, as if
  /// older steps' outputs and the carry entering the BpttLimit-th last step
  /// were under stop_gradient. 0 means no limit. The forward values do not
  /// change.
  int64_t BpttLimit = 0;
};

class ScanBody;
using ScanStep = std::function<std::vector<Expr>(ScanBody &)>;

/// Builds scan(carries, sequences, constants) with the body Step writes
/// and returns its results: the final carries, then the stacked per-step
/// outputs. Carries, sequences and constants are Exprs of one graph; each
/// sequence has rank >= 1 and they share their length (axis 0). TypeError
/// (naming this call's line and the problem) for a body that returns the
/// wrong number or types of carries, returns values of another graph, or
/// mixes the enclosing graph's values into the body without capture().
std::vector<Expr> scan(const ScanStep &Step, const std::vector<Expr> &Carries,
                       const std::vector<Expr> &Sequences,
                       const std::vector<Expr> &Constants = {},
                       ScanOptions Options = {},
                       SourceLoc Loc = SourceLoc::current());

/// The body of a scan while its step function builds it.
class ScanBody {
public:
  /// Carry I at the start of the step.
  Expr carry(size_t I) const;
  /// Element I: sequence I's slice for this step.
  Expr element(size_t I) const;
  /// Constant I, as passed to scan().
  Expr constant(size_t I) const;
  size_t numCarries() const { return Carries.size(); }
  size_t numElements() const { return Elements.size(); }
  size_t numConstants() const { return Constants.size(); }

  /// The body's Expr for a value of the enclosing graph: a constant
  /// operand of the scan, added on first use (the same value twice is one
  /// constant). Values of the body itself are returned as they are.
  Expr capture(const Expr &Outer, SourceLoc Loc = SourceLoc::current());
  /// A scalar constant of the body graph.
  Expr scalar(double Value, DType T) const;
  /// The body graph (each Expr above belongs to it).
  const std::shared_ptr<Graph> &graphPtr() const { return Body; }

private:
  friend std::vector<Expr> scan(const ScanStep &, const std::vector<Expr> &,
                                const std::vector<Expr> &,
                                const std::vector<Expr> &, ScanOptions,
                                SourceLoc);
  ScanBody() = default;
  std::shared_ptr<Graph> Body;
  std::shared_ptr<Graph> Outer;
  std::vector<Expr> Carries, Elements, Constants;
  /// Every constant operand in order (Constants, then captures), and the
  /// body input each outer node became.
  std::vector<NodeId> ConstantOperands;
  std::map<uint32_t, Expr> Captured;
};

} // namespace netjit
