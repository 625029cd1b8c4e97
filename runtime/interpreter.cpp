//===- interpreter.cpp - The reference interpreter ------------------------===//
//
// evaluate() binds the symbolic dims from the arguments, then walks the live
// nodes in arena (topological) order, computing each value from its
// operands' with the kernels of interpreter_*.cpp: one switch over the op
// table, without a default, says which kernel each op uses (the elementwise
// families of ops.def by their family macros). A scan evaluates its body
// graph once per step with a nested evaluator, a kernel (made by the fuse
// pass) its body once on its operands. Every value is kept until the end;
// this is the slow, obvious oracle, not the fast path.
//
//===----------------------------------------------------------------------===//
#include "runtime/interpreter.h"

#include "ir/printer.h"
#include "runtime/interpreter_kernels.h"

#include <cmath>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>

namespace netjit {
using namespace interp;

namespace {

/// evaluateShape, with dim arithmetic overflow reported as a RuntimeError.
std::vector<int64_t> concreteShape(const Shape &S, const DimBindings &B) {
  try {
    return evaluateShape(S, B);
  } catch (const TypeError &E) {
    throw RuntimeError(std::string("shape ") + shapeStr(S) + ": " + E.what());
  }
}

struct ScanInfo;

/// Evaluates every live node of one graph (the main graph or one step of a
/// scan body).
class Evaluator {
public:
  Evaluator(const Graph &G, const DimBindings &Bindings,
            const EvalOptions &Options)
      : G(G), Bindings(Bindings), Options(Options), Values(G.size()) {}

  /// Evaluates the graph; Args holds one value per G.arguments(), already
  /// checked against the argument types.
  void run(std::vector<Tensor> Args);
  const Tensor &value(NodeId Id) const { return Values[Id.Index]; }
  /// The graph's outputs, in order.
  std::vector<Tensor> outputs() const;

private:
  void evalNode(NodeId Id);
  Tensor evalSingle(const NodeContext &C);
  std::vector<Tensor> evalScan(const NodeContext &C);
  std::vector<Tensor> evalKernel(const NodeContext &C);
  void scanStep(const NodeContext &C, int64_t Step, const ScanInfo &S,
                std::vector<Tensor> &Results);
  Tensor constant(const NodeContext &C) const;
  void checkFinite(NodeId Id, const Tensor &T) const;

  const Graph &G;
  const DimBindings &Bindings;
  const EvalOptions &Options;
  std::vector<Tensor> Values;
  std::unordered_map<uint32_t, std::vector<Tensor>> Tuples;
};

void Evaluator::run(std::vector<Tensor> Args) {
  const std::vector<NodeId> &ArgIds = G.arguments();
  NJ_CHECK(Args.size() == ArgIds.size(), "argument count");
  for (size_t I = 0; I < ArgIds.size(); ++I)
    Values[ArgIds[I].Index] = std::move(Args[I]);
  for (NodeId Id : G.liveNodes()) {
    try {
      evalNode(Id);
    } catch (const RuntimeError &E) {
      // Name the node; an error in a scan body names the scan as well.
      throw RuntimeError(std::string(E.what()) + " [at " + printNode(G, Id) +
                         "]");
    }
  }
}

std::vector<Tensor> Evaluator::outputs() const {
  std::vector<Tensor> Out;
  for (const Output &O : G.outputs())
    Out.push_back(Values[O.Value.Index]);
  return Out;
}

void Evaluator::evalNode(NodeId Id) {
  const Node &N = G.node(Id);
  if (N.Op == OpCode::Input || N.Op == OpCode::Param) {
    checkFinite(Id, Values[Id.Index]);
    return;
  }
  NodeContext C{N, {}, concreteShape(N.Type.Dims, Bindings), Bindings};
  for (NodeId In : N.Inputs)
    C.In.push_back(&Values[In.Index]);
  if (N.isMultiResult()) {
    Tuples[Id.Index] = N.Op == OpCode::Kernel ? evalKernel(C) : evalScan(C);
    return;
  }
  Tensor V = evalSingle(C);
  NJ_CHECK(V.dtype() == N.Type.Dtype && V.shape() == C.OutShape,
           "kernel for '" << opName(N.Op) << "' returned " << V.typeStr());
  checkFinite(Id, V);
  Values[Id.Index] = std::move(V);
}

Tensor Evaluator::evalSingle(const NodeContext &C) {
  const Node &N = C.N;
  switch (N.Op) {
  case OpCode::Input:
  case OpCode::Param:
    break; // bound in run()
  case OpCode::Constant:
    return constant(C);
  case OpCode::DimValue: {
    Tensor R = C.result();
    R.set(0, static_cast<double>(C.dim("dim")));
    return R;
  }
  // The elementwise families of ops.def, as case labels.
#define UNARY_MATH_OP(Name, Mnemonic, Traits) case OpCode::Name:
#include "ir/ops.def"
  case OpCode::StopGradient:
    return evalUnary(C);
#define BINARY_MATH_OP(Name, Mnemonic, Traits) case OpCode::Name:
#define COMPARISON_OP(Name, Mnemonic, Traits) case OpCode::Name:
#include "ir/ops.def"
    return evalBinary(C);
  case OpCode::Select:
  case OpCode::Clip:
    return evalTernary(C);
  case OpCode::Cast:
    return evalCast(C);
  case OpCode::Sum:
  case OpCode::Mean:
  case OpCode::Max:
  case OpCode::Min:
  case OpCode::LogSumExp:
    return evalReduction(C);
  case OpCode::Argmax:
    return evalArgmax(C);
  case OpCode::MatMul:
    return evalMatMul(C);
  case OpCode::Transpose:
    return evalTranspose(C);
  case OpCode::Reshape: {
    Tensor R = C.result();
    std::memcpy(R.raw(), C.in(0).raw(), R.nbytes());
    return R;
  }
  case OpCode::Broadcast:
    return evalBroadcast(C);
  case OpCode::Slice:
    return evalSlice(C);
  case OpCode::Pad:
    return evalPad(C);
  case OpCode::Concat:
    return evalConcat(C);
  case OpCode::Gather:
    return evalGather(C);
  case OpCode::ScatterAdd:
    return evalScatterAdd(C);
  case OpCode::OneHot:
    return evalOneHot(C);
  case OpCode::Softmax:
    return evalSoftmax(C, /*Log=*/false);
  case OpCode::LogSoftmax:
    return evalSoftmax(C, /*Log=*/true);
  case OpCode::SoftmaxXent:
    return evalSoftmaxXent(C);
  case OpCode::RandomUniform:
    return evalRandom(C, /*Normal=*/false);
  case OpCode::RandomNormal:
    return evalRandom(C, /*Normal=*/true);
  case OpCode::Grad:
    C.fail("grad node must be expanded by the autodiff pass before "
           "evaluation");
  case OpCode::Scan:
  case OpCode::Kernel:
    break; // multi-result, see evalNode
  case OpCode::Result: {
    const std::vector<Tensor> &Tuple = Tuples.at(N.Inputs[0].Index);
    return Tuple.at(static_cast<size_t>(N.Attributes.getInt("index")));
  }
  }
  NJ_CHECK(false, "no single-result kernel for '" << opName(N.Op) << "'");
  return Tensor();
}

Tensor Evaluator::constant(const NodeContext &C) const {
  Tensor R = C.result();
  const Bytes &B = C.N.Attributes.getBytes("value");
  NJ_CHECK(B.Data.size() == R.nbytes(), "constant of "
                                            << R.typeStr() << " holds "
                                            << B.Data.size() << " bytes");
  if (!B.Data.empty())
    std::memcpy(R.raw(), B.Data.data(), B.Data.size());
  return R;
}

/// Step Step of sequence Seq (its slice along axis 0), as its own tensor.
Tensor sliceStep(const Tensor &Seq, int64_t Step) {
  std::vector<int64_t> Shape(Seq.shape().begin() + 1, Seq.shape().end());
  Tensor R(Seq.dtype(), Shape);
  std::memcpy(R.raw(),
              static_cast<const uint8_t *>(Seq.raw()) + Step * R.nbytes(),
              R.nbytes());
  return R;
}

/// The loop structure of a scan node.
struct ScanInfo {
  size_t NumCarry, NumSeqs;
  bool Reverse;
  int64_t Length;
};

ScanInfo scanInfo(const NodeContext &C) {
  const Attrs &A = C.N.Attributes;
  ScanInfo S{static_cast<size_t>(A.getInt("num_carry")),
             static_cast<size_t>(A.getInt("num_seqs")), A.getBool("reverse"),
             0};
  S.Length = S.NumSeqs ? C.in(S.NumCarry).shape()[0] : C.dim("length");
  for (size_t I = S.NumCarry; I < S.NumCarry + S.NumSeqs; ++I)
    if (C.in(I).shape()[0] != S.Length)
      C.fail("sequence operand #" + std::to_string(I) + " (" +
             C.in(I).typeStr() + ") has another length than the first (" +
             std::to_string(S.Length) + ")");
  return S;
}

std::vector<Tensor> Evaluator::evalScan(const NodeContext &C) {
  const Node &N = C.N;
  ScanInfo S = scanInfo(C);
  // The carries start at their operands; stacked outputs start zeroed.
  std::vector<Tensor> Results;
  for (size_t I = 0; I < S.NumCarry; ++I)
    Results.push_back(C.in(I));
  for (size_t I = S.NumCarry; I < N.Results.size(); ++I) {
    Results.emplace_back(N.Results[I].Dtype,
                         concreteShape(N.Results[I].Dims, Bindings));
    if (Results.back().shape()[0] != S.Length)
      C.fail("result #" + std::to_string(I) + " (" + Results.back().typeStr() +
             ") does not have the trip count " + std::to_string(S.Length));
  }
  for (int64_t K = 0; K < S.Length; ++K)
    scanStep(C, S.Reverse ? S.Length - 1 - K : K, S, Results);
  return Results;
}

void Evaluator::scanStep(const NodeContext &C, int64_t Step, const ScanInfo &S,
                         std::vector<Tensor> &Results) {
  std::vector<Tensor> Args;
  for (size_t I = 0; I < C.In.size(); ++I)
    Args.push_back(I < S.NumCarry               ? std::move(Results[I])
                   : I < S.NumCarry + S.NumSeqs ? sliceStep(C.in(I), Step)
                                                : C.in(I));
  Evaluator Body(*C.N.Body, Bindings, Options);
  try {
    Body.run(std::move(Args));
  } catch (const RuntimeError &E) {
    throw RuntimeError(std::string(E.what()) + " [in step " +
                       std::to_string(Step) + " of " +
                       std::to_string(S.Length) + "]");
  }
  std::vector<Tensor> Outs = Body.outputs();
  for (size_t I = 0; I < Outs.size(); ++I) {
    if (I < S.NumCarry) {
      Results[I] = std::move(Outs[I]);
      continue;
    }
    // Per-step outputs are stored at their step index, even in reverse.
    size_t Bytes = Outs[I].nbytes();
    NJ_CHECK(Bytes * S.Length == Results[I].nbytes(), "scan output size");
    std::memcpy(static_cast<uint8_t *>(Results[I].raw()) + Step * Bytes,
                Outs[I].raw(), Bytes);
  }
}

/// A kernel is its body evaluated once on the operands; the body's outputs
/// are the results. Errors name the body node (and, from run(), the kernel).
std::vector<Tensor> Evaluator::evalKernel(const NodeContext &C) {
  std::vector<Tensor> Args;
  for (const Tensor *T : C.In)
    Args.push_back(*T);
  Evaluator Body(*C.N.Body, Bindings, Options);
  Body.run(std::move(Args));
  return Body.outputs();
}

void Evaluator::checkFinite(NodeId Id, const Tensor &T) const {
  if (!Options.CheckFinite || !isFloat(T.dtype()))
    return;
  for (int64_t I = 0, N = T.numel(); I < N; ++I) {
    double V = T.at(I);
    if (std::isfinite(V))
      continue;
    std::string What = std::isnan(V) ? "nan" : V > 0 ? "inf" : "-inf";
    throw RuntimeError("non-finite value (" + What + " at element " +
                       std::to_string(I) + ") produced by '" +
                       std::string(opName(G.node(Id).Op)) + "'");
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

void NodeContext::fail(const std::string &Problem) const {
  throw RuntimeError("'" + std::string(opName(N.Op)) + "': " + Problem);
}

int64_t NodeContext::dim(std::string_view Key) const {
  std::vector<int64_t> V = dimList(Key, {N.Attributes.getDim(Key)});
  return V[0];
}

std::vector<int64_t> NodeContext::dims(std::string_view Key) const {
  return dimList(Key, N.Attributes.getDims(Key));
}

std::vector<int64_t> NodeContext::dimList(std::string_view Key,
                                          const Shape &Dims) const {
  try {
    return concreteShape(Dims, Bindings);
  } catch (const RuntimeError &E) {
    fail("attribute '" + std::string(Key) + "': " + E.what());
  }
}

//===----------------------------------------------------------------------===//
// Binding the arguments
//===----------------------------------------------------------------------===//

namespace {

const std::string &argName(const Graph &G, NodeId Id) {
  return G.node(Id).Attributes.getString("name");
}

/// The symbol of a dim that is exactly one symbol (B, not 2*B or B*T).
std::optional<std::string> singleSymbol(const Dim &D) {
  if (D.isConstant())
    return std::nullopt;
  std::vector<Dim::Term> Terms = D.terms();
  if (Terms.size() != 1 || Terms[0].Coeff != 1 || Terms[0].Syms.size() != 1)
    return std::nullopt;
  return Terms[0].Syms[0];
}

/// " (with B=2, T=3)" for the symbols of S that are bound.
std::string bindingsText(const Shape &S, const DimBindings &B) {
  std::set<std::string> Syms;
  for (const Dim &D : S)
    D.collectSymbols(Syms);
  std::string Out;
  for (const std::string &Sym : Syms)
    if (auto It = B.find(Sym); It != B.end())
      Out += (Out.empty() ? " (with " : ", ") + Sym + "=" +
             std::to_string(It->second);
  return Out.empty() ? Out : Out + ")";
}

/// Looks up every argument, checks its dtype and rank, and binds the dims
/// that are a single symbol from the first argument that has them.
std::vector<const Tensor *>
lookUpArguments(const Graph &G, const TensorMap &Args, DimBindings &Bindings) {
  std::vector<const Tensor *> Found;
  for (NodeId Id : G.arguments()) {
    const std::string &Name = argName(G, Id);
    const TensorType &Want = G.type(Id);
    auto It = Args.find(Name);
    if (It == Args.end())
      throw RuntimeError("missing argument '" + Name + "' (" +
                         std::string(opName(G.node(Id).Op)) + " " + Want.str() +
                         ")");
    const Tensor &T = It->second;
    if (!T.raw())
      throw RuntimeError("argument '" + Name + "' is an empty Tensor() (" +
                         Want.str() + " expected)");
    if (T.dtype() != Want.Dtype || T.rank() != Want.rank())
      throw RuntimeError("argument '" + Name + "': expected " + Want.str() +
                         ", got " + T.typeStr());
    for (size_t D = 0; D < Want.rank(); ++D)
      if (std::optional<std::string> Sym = singleSymbol(Want.Dims[D]))
        Bindings.try_emplace(*Sym, T.shape()[D]);
    Found.push_back(&T);
  }
  return Found;
}

/// Checks every argument's concrete shape against its declared shape.
void checkArgumentShapes(const Graph &G,
                         const std::vector<const Tensor *> &Found,
                         const DimBindings &Bindings) {
  for (size_t I = 0; I < Found.size(); ++I) {
    NodeId Id = G.arguments()[I];
    const TensorType &Want = G.type(Id);
    std::vector<int64_t> Shape;
    try {
      Shape = concreteShape(Want.Dims, Bindings);
    } catch (const RuntimeError &E) {
      throw RuntimeError("argument '" + argName(G, Id) + "' (expected " +
                         Want.str() + ", got " + Found[I]->typeStr() +
                         "): " + E.what());
    }
    if (Shape != Found[I]->shape())
      throw RuntimeError("argument '" + argName(G, Id) + "': expected " +
                         Want.str() + bindingsText(Want.Dims, Bindings) +
                         ", got " + Found[I]->typeStr());
  }
}

} // namespace

TensorMap evaluate(const Graph &G, TensorMap &Args,
                   const EvalOptions &Options) {
  DimBindings Bindings = Options.Bindings;
  for (const auto &[Sym, Value] : Bindings)
    if (Value < 0)
      throw RuntimeError("dim binding " + Sym + "=" + std::to_string(Value) +
                         " is negative");
  std::vector<const Tensor *> Found = lookUpArguments(G, Args, Bindings);
  checkArgumentShapes(G, Found, Bindings);

  std::vector<Tensor> ArgValues;
  for (const Tensor *T : Found)
    ArgValues.push_back(*T);
  Evaluator E(G, Bindings, Options);
  E.run(std::move(ArgValues));

  TensorMap Out;
  for (const Output &O : G.outputs())
    Out[O.Name] = E.value(O.Value);
  // Every output and update value reads the pre-update params.
  std::vector<std::pair<std::string, Tensor>> NewValues;
  for (const Update &U : G.updates())
    NewValues.emplace_back(argName(G, U.Target), E.value(U.Value));
  for (auto &[Name, Value] : NewValues)
    Args[Name] = std::move(Value);
  return Out;
}

} // namespace netjit
