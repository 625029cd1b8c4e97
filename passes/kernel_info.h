//===- kernel_info.h - How a kernel body maps onto an [R, K] loop nest ----===//
//
// The contract between the fuse pass and codegen. A `kernel` body is one loop
// nest over a domain [R-shape..., K]: K is the last axis of its widest value
// and R the product of the others (a rank-0 domain has K = 1, a rank-1 one
// R-shape []). Every value has a class saying how it is indexed, and every
// value computed per row has a phase (which k-loop of the row can see it).
// analyzeKernel() derives all of it from the body alone, so a hand-written
// kernel in IR text is checked the same way as a fused one.
//
// The loop nest a body stands for (P = NumLoops >= 1):
//
//   Prologue                      non-late S nodes
//   for r in [0, R):
//     for p in [0, P):
//       RowStart[p]               Row nodes of phase p
//       for k in [0, K):
//         Loop[p]                 E and Col nodes, recomputed in each loop
//         Accumulate[p]           one term of each listed reduction
//         if p == P-1: store the E outputs
//     RowStart[P]                 Row nodes ready after the last loop
//     RowAccumulate               one term per row of each Row -> S sum
//     store the Row outputs
//   EpilogueS                     late S nodes
//   for k in [0, K):
//     EpilogueLoop                late Col nodes (and the Col nodes they read)
//   store the late outputs
//
// R or K may be 0: loops then run no iteration and accumulators keep their
// start values.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netjit {

/// How a value of a kernel is indexed in its [R, K] domain. A Row value of
/// shape [R-shape] or [R-shape, 1] sits at flat offset r; a Col value of
/// shape [K] or [1, ..., 1, K] at offset k; an E value (the domain's shape) at
/// r * K + k; an S value (rank 0 or all dims 1) at offset 0.
enum class ValueClass : uint8_t { E, Row, Col, S };

/// "E", "Row", "Col", "S".
std::string_view className(ValueClass C);

/// The analysis of one kernel body. Node-indexed vectors have Body.size()
/// entries; entries of dead nodes are unspecified.
///
/// Invariants (checked by analyzeKernel; the fuse pass only makes kernels
/// that satisfy them). Body nodes are inputs (the arguments) and:
///  - constant (rank 0 or all dims 1) and dim_value: S, or E when their
///    shape is the domain's (a kernel of scalar arithmetic);
///  - any elementwise op (ops.def kElementwise): the result class is the
///    join of its operands' (S < Row, Col < E); an operand of a smaller class
///    has the result's shape, so reading it by its own class is exact (a Row
///    operand of an E op means K is the constant 1). No op lowers a class
///    except the reductions and gather below;
///  - broadcast and reshape: index maps, never materialized. broadcast takes
///    S to any class, Row ([R-shape, 1]) to E, Col to E; reshape keeps the
///    class (Row [R] <-> [R,1], Col [K] <-> [1,K], S <-> S). Both evaluate to
///    their operand's value at the current (r, k);
///  - sum, max, min: E -> Row over the last axis (in a rank-1 domain too,
///    where R = 1), E -> Col over all leading axes, E -> S over every axis
///    of a rank >= 2 domain, Row -> S over every non-1 axis; over size-1
///    axes only (of a Row, Col or S value) the identity. max/min propagate
///    NaN (a NaN term makes the result NaN) and start at -inf / +inf (the
///    lowest / highest integer); a sum of no terms is 0; float sums may
///    reassociate;
///  - gather(x: E, idx: Row [R-shape, 1]) along the last axis: a Row value,
///    x evaluated at k = idx[r] (its E/Col subgraph is point-evaluated: args
///    read at [r, idx] / [idx]); an idx outside [0, K) is a runtime error;
///  - one_hot(t: Row [R-shape] or S, depth = K): E (or Col for an S index),
///    the value (k == t) in its dtype; t outside [0, K) is a runtime error.
/// No other op appears in a body (no matmul, transpose, random, scan, mean,
/// logsumexp, softmax..., nested kernel; the `lower` pass removes the
/// high-level ops before fusion). Values are late when they depend on a Col
/// or S accumulator (E -> Col, E -> S, Row -> S reductions); late values are
/// Col or S and only late values read them. Outputs are E, Row, or late
/// values, never arguments, never non-late Col or S values.
struct KernelInfo {
  /// The domain: [RShape..., K], R = numElements(RShape).
  Shape RShape;
  Dim K, R;
  /// Number of k-loops per row (P >= 1).
  int NumLoops = 1;
  /// Class of every body node (arguments included).
  std::vector<ValueClass> Class;
  /// Non-late nodes: the first loop phase that can read the value (0 for
  /// arguments, constants and prologue values; a Row reduction accumulated
  /// in loop p has phase p+1; an E or Col node the max of its operands').
  /// Row nodes of phase p are computed in RowStart[p]. Late nodes: NumLoops.
  std::vector<int> Phase;
  /// Whether the node is late (computed after the row loop).
  std::vector<uint8_t> Late;
  /// Class of every body argument, in Body.arguments() order: E for the
  /// domain's shape, S for rank 0 or all dims 1, else Row or Col by shape; a
  /// shape that fits both (a square domain) is Col when a broadcast reads it.
  std::vector<ValueClass> ArgClass;

  // The schedule, in body (topological) order within each list. Arguments
  // never appear in it: they are read where used, by their class.
  std::vector<NodeId> Prologue;
  /// [0, NumLoops]: index NumLoops is "after the last loop".
  std::vector<std::vector<NodeId>> RowStart;
  /// [0, NumLoops): the E and Col nodes each k-loop evaluates; a node listed
  /// in several loops is recomputed in each (the fuse pass's cost veto bounds
  /// that work). Reductions listed here are not: see Accumulate.
  std::vector<std::vector<NodeId>> Loop;
  /// [0, NumLoops): reductions of E values taking one term per (r, k) in
  /// that loop (E -> Row in the loop of their operand's phase; E -> Col and
  /// E -> S in the last loop). A Row reduction is final in RowStart.
  std::vector<std::vector<NodeId>> Accumulate;
  /// Row -> S reductions: one term per row, after RowStart[NumLoops].
  std::vector<NodeId> RowAccumulate;
  /// Late S nodes (reductions stand for their final accumulator).
  std::vector<NodeId> EpilogueS;
  /// Late Col nodes and the non-late Col nodes they read, for one k-loop.
  std::vector<NodeId> EpilogueLoop;
  /// Transcendental evaluations per element repeated across loops:
  /// sum over nodes of weight x (loops evaluating it - 1) (fuse.h).
  int RecomputeCost = 0;

  bool isLate(NodeId Id) const { return Late[Id.Index] != 0; }
  ValueClass classOf(NodeId Id) const { return Class[Id.Index]; }
};

/// Analyzes a kernel body; throws TypeError naming the first node that does
/// not fit the invariants above.
KernelInfo analyzeKernel(const Graph &Body);

/// Like analyzeKernel, but returns nullopt (and the reason in Why) instead
/// of throwing.
std::optional<KernelInfo> tryAnalyzeKernel(const Graph &Body,
                                           std::string *Why = nullptr);

/// The cost weight of one evaluation of an op in the recompute veto: 1 for
/// exp, log, log1p, expm1, tanh, sigmoid, xlogy; 2 for softplus and pow;
/// 0 for everything else.
int transcendentalWeight(OpCode Op);

} // namespace netjit
