//===- derivatives.cpp - Gradient, Hessian- and Jacobian-vector products --===//
//
// Each helper only builds `grad` requests and ordinary nodes; the calculus
// lives in the autodiff pass and the adjoint rules.
//
//===----------------------------------------------------------------------===//
#include "passes/derivatives.h"

#include "ir/error.h"

namespace netjit {
namespace {

/// Throws TypeError unless V has Like's type (What names the helper).
void needSameType(Builder &B, NodeId V, NodeId Like, const char *What) {
  if (!(B.type(V) == B.type(Like)))
    throw TypeError(std::string(What) + ": the vector " + B.type(V).str() +
                    " must have the type of the variable " +
                    B.type(Like).str());
}

/// sum(A * V) over every axis: the scalar A · V.
NodeId dot(Builder &B, NodeId A, NodeId V) {
  return B.reduce(OpCode::Sum, B.binary(OpCode::Mul, A, V));
}

} // namespace

NodeId gradient(Builder &B, NodeId Cost, NodeId Wrt) {
  return B.grad(Cost, Wrt);
}

NodeId hessianVectorProduct(Builder &B, NodeId Cost, NodeId Wrt, NodeId V) {
  needSameType(B, V, Wrt, "hessianVectorProduct");
  // H v = d/dw (dC/dw · v)
  return B.grad(dot(B, B.grad(Cost, Wrt), V), Wrt);
}

NodeId jacobianVectorProduct(Builder &B, NodeId Y, NodeId X, NodeId V) {
  needSameType(B, V, X, "jacobianVectorProduct");
  if (!isFloat(B.type(Y).Dtype) || B.type(Y).Dtype != B.type(X).Dtype)
    throw TypeError("jacobianVectorProduct: y " + B.type(Y).str() + " and x " +
                    B.type(X).str() + " must be floats of one dtype");
  // Jᵀu = d/dx (y · u) for a placeholder u that y does not depend on; then
  // J v = d/du (Jᵀu · v).
  NodeId U = B.unary(OpCode::StopGradient, Y);
  NodeId JtU = B.grad(dot(B, Y, U), X);
  return B.grad(dot(B, JtU, V), U);
}

} // namespace netjit
