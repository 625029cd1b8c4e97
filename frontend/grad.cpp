//===- grad.cpp - Gradients and the finite-difference gradient check -------===//
//
// grad() adds `grad` requests (passes/derivatives.h). check_grad() promotes
// the cost's graph to f64, evaluates the requested gradients once, then the
// cost at x - h and x + h for every element of every Wrt (central
// differences), all through evaluateGraph.
//
//===----------------------------------------------------------------------===//
#include "frontend/grad.h"
#include "frontend/call_site.h"
#include "frontend/evaluate.h"
#include "passes/derivatives.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <sstream>

namespace netjit {

using detail::guarded;

Expr grad(const Expr &Cost, const Expr &Wrt, SourceLoc Loc) {
  return guarded("grad", Loc, [&] {
    Builder B = detail::builderFor({&Cost, &Wrt});
    return detail::wrap(Cost, gradient(B, Cost.id(), Wrt.id()));
  });
}

std::vector<Expr> grad(const Expr &Cost, const std::vector<Expr> &Wrt,
                       SourceLoc Loc) {
  return guarded("grad", Loc, [&] {
    std::vector<Expr> Out;
    for (const Expr &W : Wrt)
      Out.push_back(grad(Cost, W, Loc));
    return Out;
  });
}

//===----------------------------------------------------------------------===//
// promoteToF64
//===----------------------------------------------------------------------===//

namespace {

TensorType promote(TensorType T) {
  if (T.Dtype == DType::F32)
    T.Dtype = DType::F64;
  return T;
}

Bytes promoteBytes(const Bytes &In, DType From) {
  if (From != DType::F32)
    return In;
  Bytes Out;
  size_t N = In.Data.size() / sizeof(float);
  Out.Data.resize(N * sizeof(double));
  for (size_t I = 0; I < N; ++I) {
    float F;
    std::memcpy(&F, In.Data.data() + I * sizeof(float), sizeof(float));
    double D = F;
    std::memcpy(Out.Data.data() + I * sizeof(double), &D, sizeof(double));
  }
  return Out;
}

NodeId promoteNode(Graph &Out, const Node &N, std::vector<NodeId> Ins) {
  switch (N.Op) {
  case OpCode::Input:
    return Out.input(N.Attributes.getString("name"), promote(N.Type));
  case OpCode::Param:
    return Out.param(N.Attributes.getString("name"), promote(N.Type));
  case OpCode::Constant:
    return Out.constant(promote(N.Type),
                        promoteBytes(N.Attributes.getBytes("value"),
                                     N.Type.Dtype));
  default:
    break;
  }
  Attrs A = N.Attributes;
  if (const AttrValue *V = A.find("dtype"))
    if (std::get_if<DType>(V) && std::get<DType>(*V) == DType::F32)
      A.set("dtype", DType::F64);
  std::shared_ptr<const Graph> Body;
  if (N.Body)
    Body = std::make_shared<const Graph>(promoteToF64(*N.Body));
  std::optional<TensorType> Declared;
  if (N.Op == OpCode::DimValue || hasTrait(N.Op, kRandom))
    Declared = promote(N.Type);
  return Out.make(N.Op, Ins, std::move(A), Declared, std::move(Body));
}

/// Promotes every node of G into Out; Map[i] is the new id of node i.
void promoteInto(const Graph &G, Graph &Out, std::vector<NodeId> &Map) {
  Map.assign(G.size(), NodeId{});
  for (uint32_t I = 0; I < G.size(); ++I) {
    const Node &N = G.node(NodeId{I});
    std::vector<NodeId> Ins;
    for (NodeId In : N.Inputs)
      Ins.push_back(Map[In.Index]);
    Map[I] = promoteNode(Out, N, std::move(Ins));
  }
}

} // namespace

Graph promoteToF64(const Graph &G) {
  Graph Out(G.name());
  std::vector<NodeId> Map;
  promoteInto(G, Out, Map);
  for (const Output &O : G.outputs())
    Out.addOutput(O.Name, Map[O.Value.Index]);
  for (const Update &U : G.updates())
    Out.addUpdate(Map[U.Target.Index], Map[U.Value.Index]);
  return Out;
}

//===----------------------------------------------------------------------===//
// check_grad
//===----------------------------------------------------------------------===//

namespace {

Tensor toF64(const Tensor &T) {
  if (T.dtype() != DType::F32)
    return T;
  Tensor Out(DType::F64, T.shape());
  for (int64_t I = 0; I < T.numel(); ++I)
    Out.set(I, T.at(I));
  return Out;
}

/// The names of the Wrt arguments; TypeError for anything else.
std::vector<std::string> wrtNames(const Expr &Cost,
                                  const std::vector<Expr> &Wrt) {
  if (!Cost.valid() || Cost.rank() != 0 || !isFloat(Cost.dtype()))
    throw TypeError("the cost must be a float scalar, got " +
                    (Cost.valid() ? Cost.type().str() : "an empty Expr"));
  std::vector<std::string> Names;
  for (const Expr &W : Wrt) {
    detail::builderFor({&Cost, &W});
    const Node &N = W.graph().node(W.id());
    if ((N.Op != OpCode::Input && N.Op != OpCode::Param) ||
        !isFloat(W.dtype()))
      throw TypeError("every wrt must be a float input or param, got " +
                      W.str());
    Names.push_back(N.Attributes.getString("name"));
  }
  return Names;
}

/// |a - n| / max(1, |n|), with NaN counted as infinite.
double relError(double Analytic, double Numeric) {
  double E = std::fabs(Analytic - Numeric) / std::max(1.0, std::fabs(Numeric));
  return std::isnan(E) ? INFINITY : E;
}

} // namespace

GradCheckResult check_grad(const Expr &Cost, const std::vector<Expr> &Wrt,
                           const TensorMap &Values,
                           const GradCheckOptions &Options, SourceLoc Loc) {
  return guarded("check_grad", Loc, [&] {
    std::vector<std::string> Names = wrtNames(Cost, Wrt);
    // Two f64 copies: the cost alone, and the cost with its gradients.
    Graph Cost64(Cost.graph().name()), Grads(Cost.graph().name());
    std::vector<NodeId> Map;
    promoteInto(Cost.graph(), Cost64, Map);
    Cost64.addOutput("cost", Map[Cost.id().Index]);
    promoteInto(Cost.graph(), Grads, Map);
    Builder B(Grads);
    NodeId C = Map[Cost.id().Index];
    Grads.addOutput("cost", C);
    for (size_t I = 0; I < Wrt.size(); ++I)
      Grads.addOutput("grad" + std::to_string(I),
                      gradient(B, C, Map[Wrt[I].id().Index]));

    TensorMap Args;
    for (const auto &[Name, T] : Values)
      Args[Name] = toF64(T);
    TensorMap Scratch = Args;
    TensorMap Analytic = evaluateGraph(Grads, Scratch, Options.Bindings);
    GradCheckResult R;
    for (size_t W = 0; W < Wrt.size(); ++W) {
      const Tensor &G = Analytic.at("grad" + std::to_string(W));
      const Tensor &X0 = Args.at(Names[W]);
      double WorstHere = 0;
      for (int64_t I = 0; I < X0.numel(); ++I) {
        double X = X0.at(I), H = Options.Eps * std::max(1.0, std::fabs(X));
        auto CostAt = [&](double V) {
          TensorMap A = Args;
          A[Names[W]].set(I, V);
          return evaluateGraph(Cost64, A, Options.Bindings).at("cost").at(0);
        };
        double Numeric = (CostAt(X + H) - CostAt(X - H)) / (2 * H);
        double Err = relError(G.at(I), Numeric);
        WorstHere = std::max(WorstHere, Err);
        if (R.Checked++ == 0 || Err > R.MaxError) {
          R.MaxError = Err;
          R.Worst = Names[W] + "[" + std::to_string(I) + "]";
          R.Analytic = G.at(I);
          R.Numeric = Numeric;
        }
      }
      if (Options.Print)
        (Options.Out ? *Options.Out : std::cerr)
            << "check_grad " << Names[W] << ": " << X0.numel()
            << " elements, max error " << WorstHere << "\n";
    }
    return R;
  });
}

} // namespace netjit
