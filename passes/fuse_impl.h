//===- fuse_impl.h - The fuse pass's private pieces -----------------------===//
//
// Shared by fuse.cpp (grouping and the final rebuild) and fuse_body.cpp (how
// top-level nodes are classified, how a group's body graph is built, and the
// reshaping of reductions into [R, K] form). Not a public header.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"
#include "passes/pass.h"

#include <functional>
#include <memory>
#include <vector>

namespace netjit::fusion {

/// What fusion does with a top-level node.
enum class Kind : uint8_t {
  Leaf,   ///< input, param, non-scalar constant: read by kernels as arguments
  SClone, ///< scalar constant, dim_value, scalar arithmetic: copied into bodies
  View,   ///< broadcast, reshape: copied into the bodies that read them
  Compute,  ///< a node that belongs to exactly one kernel
  Boundary, ///< stays outside kernels (matmul, transpose, random, scan, ...)
};

/// The top-level graph as fusion sees it.
struct FusionGraph {
  const Graph &G;
  std::vector<NodeId> Live;
  std::vector<Kind> Kinds;
  /// Live users of every node, in arena order.
  std::vector<std::vector<NodeId>> Users;
  /// Nodes that are an output or an update value of the graph.
  std::vector<char> GraphUse;
  /// Views that a body may not copy (they did not fit a domain).
  std::vector<char> NoAbsorb;

  Kind kind(NodeId V) const { return Kinds[V.Index]; }
  bool absorbable(NodeId V) const {
    return Kinds[V.Index] == Kind::View && !NoAbsorb[V.Index];
  }
};

FusionGraph analyzeTopLevel(const Graph &G);

/// A group's body and how it connects to the top level.
struct BuiltBody {
  std::shared_ptr<Graph> Body;
  /// The top-level value of each body argument, in argument order.
  std::vector<NodeId> Externals;
  /// The member behind each body output, in output order.
  std::vector<NodeId> Outputs;
};

/// Builds the body of the group whose members (in arena order) are marked
/// in InGroup: members are re-made, views and S values they read are copied,
/// anything else becomes an argument. Members for which IsOutput holds are
/// the outputs.
BuiltBody buildBody(const FusionGraph &F, const std::vector<NodeId> &Members,
                    const std::vector<char> &InGroup,
                    const std::function<bool(NodeId)> &IsOutput);

/// Rewrites sum/max/min whose axes are not the last axis, all leading axes,
/// every axis or none into that form through reshapes (and a transpose when
/// the reduced axes are not a prefix or suffix). Returns whether it changed G.
bool canonicalizeReductions(Graph &G, PassContext &Ctx);

} // namespace netjit::fusion
