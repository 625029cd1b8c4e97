//===- cse.cpp - Common subexpression elimination -------------------------===//
//
// One rebuild() in topological order: the operands of a node are already in
// canonical form when the node is visited, so sorting its own operands by
// their new indices is enough, and the new indices respect the old order.
// Re-making a node interns it, which merges it with its canonical twin. The
// order is that of the rebuilt (compacted) graph, which is why cse rebuilds
// instead of rewriting in place: a node appended to the arena would sort
// after nodes it precedes topologically, and the next run would swap back.
//
//===----------------------------------------------------------------------===//
#include "passes/cse.h"

#include "passes/rewrite.h"

namespace netjit {
namespace {

/// The comparison with swapped operands: gt(a, b) == lt(b, a).
std::optional<OpCode> swappedComparison(OpCode Op) {
  switch (Op) {
  case OpCode::Gt:
    return OpCode::Lt;
  case OpCode::Ge:
    return OpCode::Le;
  default:
    return std::nullopt;
  }
}

/// Whether some live node is not in canonical form. A graph built through
/// make() has no structural twins, so when every node is canonical the
/// rebuild would change nothing and is skipped.
bool needsCanonicalizing(const Graph &G) {
  for (NodeId Id : G.liveNodes()) {
    const Node &N = G.node(Id);
    if (N.Inputs.size() == 2 &&
        (swappedComparison(N.Op) ||
         (hasTrait(N.Op, kCommutative) && N.Inputs[1] < N.Inputs[0])))
      return true;
  }
  return false;
}

} // namespace

bool CsePass::run(Graph &G, PassContext &Ctx) {
  if (!needsCanonicalizing(G))
    return false;
  return rebuild(G,
                 [&Ctx](Builder &B, const Node &Old,
                        std::span<const NodeId> Ins) -> std::optional<NodeId> {
                   if (Ins.size() != 2)
                     return std::nullopt;
                   // gt(a, b) => lt(b, a), ge(a, b) => le(b, a)
                   if (auto Swapped = swappedComparison(Old.Op)) {
                     Ctx.count("cse.compare");
                     return B.make(*Swapped, {Ins[1], Ins[0]}, Old.Attributes);
                   }
                   // op(b, a) => op(a, b) for commutative ops, by operand index
                   if (hasTrait(Old.Op, kCommutative) && Ins[1] < Ins[0]) {
                     Ctx.count("cse.commute");
                     return B.make(Old.Op, {Ins[1], Ins[0]}, Old.Attributes);
                   }
                   return std::nullopt;
                 });
}

} // namespace netjit
