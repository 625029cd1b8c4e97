//===- derivatives.h - Gradient, Hessian- and Jacobian-vector products ----===//
//
// Helpers that build derivative requests out of `grad` nodes, so they can be
// used while a graph is being built (before any pass runs) and compose with
// each other; the autodiff pass (passes/autodiff.h) expands them.
//
// hessianVectorProduct is reverse-over-reverse: H v = d/dw (dC/dw · v),
// one grad of a grad. jacobianVectorProduct uses the double-reverse
// (transpose-of-transpose) trick: with a placeholder cotangent u,
// Jᵀu = d/dx (y · u) is linear in u, so J v = d/du (Jᵀu · v). The
// placeholder is stop_gradient(y): any node of y's type that y does not
// depend on works, because the adjoint rules are linear in the incoming
// gradient, so the expanded J v never reads u's value (it becomes dead).
// Both cost a small constant number of reverse sweeps over the graph.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"

namespace netjit {

/// A request for dCost/dWrt (Wrt's type): a `grad` node. Cost must be a
/// float scalar and Wrt a float of Cost's dtype (TypeError otherwise).
NodeId gradient(Builder &B, NodeId Cost, NodeId Wrt);

/// The Hessian of the scalar Cost w.r.t. Wrt times V (V of Wrt's type;
/// TypeError otherwise): grad(sum(grad(Cost, Wrt) * V), Wrt).
NodeId hessianVectorProduct(Builder &B, NodeId Cost, NodeId Wrt, NodeId V);

/// The Jacobian of Y w.r.t. X times V (V of X's type, the result of Y's
/// type); Y and X must be floats of one dtype (TypeError otherwise).
NodeId jacobianVectorProduct(Builder &B, NodeId Y, NodeId X, NodeId V);

} // namespace netjit
