//===- dce.cpp - Dead code elimination ------------------------------------===//
//
// Graph::compact already copies exactly the live nodes; dce only decides
// whether there is anything to drop, so a graph without dead nodes is left
// untouched (and reported unchanged).
//
//===----------------------------------------------------------------------===//
#include "passes/dce.h"

namespace netjit {

bool DcePass::run(Graph &G, PassContext &Ctx) {
  size_t Live = G.liveNodes().size();
  if (Live == G.size())
    return false;
  Ctx.count("dce.nodes-removed", static_cast<int64_t>(G.size() - Live));
  G = G.compact();
  return true;
}

} // namespace netjit
