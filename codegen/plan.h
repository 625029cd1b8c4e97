//===- plan.h - Steps and buffers of a compiled function ------------------===//
//
// The plan turns a fused graph into what the emitted code does: an ordered
// list of steps (kernels, GEMM calls, layout copies, random fills, copies
// into outputs and params) and the memory every value crossing a step lives
// in. Memory is a table of slots the caller fills per call: the arguments'
// and outputs' own buffers, and workspace buffers whose sizes are dim
// polynomials. Offsets of workspace buffers are assigned per binding of the
// symbolic dims (layoutWorkspace: greedy by size over liveness intervals,
// 64-byte aligned, so dead buffers are reused), which is cheap enough to
// redo whenever the binding changes and allocates nothing.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/dim_expr.h"
#include "ir/graph.h"
#include "passes/kernel_info.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netjit {

struct Plan;

namespace plan {

enum class SlotKind : uint8_t { Argument, Output, Workspace };

/// One pointer of the table the compiled code receives.
struct Slot {
  SlotKind Kind;
  uint32_t Index; // argument, output or buffer index
};

/// A workspace buffer: its size, and the steps it is live in.
struct Buffer {
  DimExpr Elements;
  uint32_t ElemBytes = 0;
  int First = 0, Last = 0;
};

/// Where a value is read from: a slot, or a constant's module global.
struct ValueRef {
  int32_t Slot = -1;
  NodeId Constant;
};

enum class StepKind : uint8_t {
  Kernel,   ///< a loop nest over a kernel body (fused, or one node)
  Gemm,     ///< a matmul, as a runtime GEMM call
  Layout,   ///< transpose, broadcast, slice, pad, concat, gather,
            ///< scatter_add, one_hot, argmax: emitted loops
  Random,   ///< a Philox fill
  DimValue, ///< a scalar dim value
  Copy,     ///< an output or update copy (or an update's snapshot)
  Scan,     ///< a loop over the trip count calling the body's own plan
};

struct Step {
  StepKind Kind;
  /// The top-level node (invalid for copies).
  NodeId Node;
  /// Kernel: the body, its analysis, and the top-level value of each body
  /// argument. Other steps: the node's operands (GEMM: after transposes
  /// folded into GemmFlags).
  std::shared_ptr<const Graph> Body;
  std::shared_ptr<const KernelInfo> Info;
  std::vector<ValueRef> Operands;
  /// Kernel: a slot per body output; others: the result's slot.
  std::vector<int32_t> Results;
  /// Kernel: a workspace slot per Col accumulator, then per cached row
  /// value (colAccumulators, cachedRowValues).
  std::vector<int32_t> Scratch;
  int32_t GemmFlags = 0;
  /// Scan: the body's plan (planned with the outer symbol table, so it
  /// reads the same dims array). Scratch then holds an outer workspace slot
  /// per body buffer, then two buffers per carry (the carries alternate
  /// between them, so a step never writes the carry it reads).
  std::shared_ptr<const Plan> Sub;
  /// Copy: element count and size.
  Dim Elements;
  uint32_t ElemBytes = 0;
};

/// A condition on dims checked when a binding changes, else an error
/// naming What.
struct DimCheck {
  enum Kind : uint8_t {
    AtLeast,    ///< Value >= Low
    InRange,    ///< Low <= Value <= High
    NonEmptyIf, ///< Value > 0 unless Low == 0
  };
  Kind K = AtLeast;
  DimExpr Value, Low, High;
  std::string What;
};

} // namespace plan

/// The E -> Col reductions of a kernel (each accumulates into a scratch
/// buffer of K elements), in schedule order.
std::vector<NodeId> colAccumulators(const Graph &Body, const KernelInfo &Info);
/// The E nodes of a kernel that several k-loops of a row read and that are
/// costly to recompute (transcendentalWeight > 0): the first loop stores
/// each in a scratch row of K elements, the later loops load it.
std::vector<NodeId> cachedRowValues(const Graph &Body, const KernelInfo &Info);

/// Row values of a kernel computed after its row loop, in a loop over the
/// rows of their own that LLVM vectorizes: the Row nodes that only feed Row
/// -> S sums (RowAccumulate), when one of them is costly (transcendental,
/// such as the log of a cross-entropy's row sum). Computed per row they
/// would be scalar code on each row's critical path.
struct DeferredRows {
  /// The deferred Row nodes, in schedule order.
  std::vector<NodeId> Nodes;
  /// The RowAccumulate sums of their terms, accumulated in that loop.
  std::vector<NodeId> Sums;
  /// The values the row loop computes that they read: each is stored per
  /// row in a scratch buffer of R elements (Row arguments are read in place).
  std::vector<NodeId> Stored;
};
DeferredRows deferredRowValues(const Graph &Body, const KernelInfo &Info);
/// The bytes per element of a reduction's accumulator (f32 sums: f64).
uint32_t accumulatorBytes(OpCode Op, DType T);

/// The plan of a fused graph.
struct Plan {
  SymbolTable Symbols;
  std::vector<plan::Slot> Slots;
  std::vector<plan::Buffer> Buffers;
  std::vector<plan::Step> Steps;
  std::vector<plan::DimCheck> Checks;
  size_t NumArguments = 0, NumOutputs = 0;
};

/// Plans G (after lower and fuse). Returns nullopt, with the reason in Why,
/// when G holds something the JIT does not compile (an unexpanded
/// grad, a high-level op left unlowered, a node no kernel can hold, a scan
/// whose body does not plan). Symbols, when given, is the table to plan with
/// (a scan body's plan uses its outer graph's); else it is collected from G.
std::optional<Plan> makePlan(const Graph &G, std::string *Why,
                             const SymbolTable *Symbols = nullptr);

/// Workspace offsets of one binding.
struct WorkspaceLayout {
  std::vector<int64_t> Offsets; // per buffer
  int64_t Size = 0;
  /// Scratch for layoutWorkspace (sized once; reused without allocating).
  std::vector<int64_t> Sizes;
  std::vector<uint32_t> Order, Placed;
};

/// Sizes and offsets of every workspace buffer under the symbol values.
/// Allocates only when Out's vectors are smaller than the plan needs.
/// Throws RuntimeError when a size overflows.
void layoutWorkspace(const Plan &P, const int64_t *Values,
                     WorkspaceLayout &Out);

/// Checks the plan's dim conditions; throws RuntimeError naming the first
/// that fails.
void checkDims(const Plan &P, const int64_t *Values);

} // namespace netjit
