//===- type_rules.cpp - Result types of every op ---------------------------===//
//
// inferType is the single place that says what each op accepts and produces:
// its operands' dtypes and shapes and its attributes. It is a switch over the
// op table with no default, so a new op cannot be added without its rule.
// Messages name the op, the operand and the shapes.
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "ir/graph.h"

#include <algorithm>
#include <numeric>

namespace netjit {
namespace {

struct Rule {
  OpCode Op;
  std::span<const TensorType> In;
  const Attrs &A;

  [[noreturn]] void fail(const std::string &Msg) const {
    throw TypeError("'" + std::string(opName(Op)) + "': " + Msg);
  }
  const TensorType &operand(size_t I) const { return In[I]; }
  std::string operandStr(size_t I) const {
    return "operand #" + std::to_string(I) + " (" + In[I].str() + ")";
  }
  void needFloat(size_t I) const {
    if (!isFloat(In[I].Dtype))
      fail(operandStr(I) + " must be f32 or f64");
  }
  void needNumeric(size_t I) const {
    if (In[I].Dtype == DType::Bool)
      fail(operandStr(I) + " must be numeric, not bool");
  }
  void needInteger(size_t I) const {
    if (!isInteger(In[I].Dtype))
      fail(operandStr(I) + " must be i32 or i64");
  }
  void needBool(size_t I) const {
    if (In[I].Dtype != DType::Bool)
      fail(operandStr(I) + " must be bool");
  }
  void needRank(size_t I, size_t R) const {
    if (In[I].rank() != R)
      fail(operandStr(I) + " must have rank " + std::to_string(R));
  }
  void needSameType(size_t I, size_t J) const {
    if (!(In[I] == In[J]))
      fail(operandStr(J) + " must have the type of " + operandStr(I) +
           " (broadcasting is explicit in the IR)");
  }
  void needSameShape(size_t I, size_t J) const {
    if (In[I].Dims != In[J].Dims)
      fail(operandStr(J) + " must have the shape of " + operandStr(I));
  }
  /// An axis attribute in [0, rank).
  int64_t axis(const char *Key, size_t Rank) const {
    int64_t Ax = A.getInt(Key);
    if (Ax < 0 || Ax >= static_cast<int64_t>(Rank))
      fail("attribute '" + std::string(Key) + "'=" + std::to_string(Ax) +
           " is out of range for rank " + std::to_string(Rank));
    return Ax;
  }
};

/// An attribute that must be present (Attrs accessors throw TypeError with
/// the attribute's name; prefix the op's).
template <class F> auto withOp(OpCode Op, F &&Body) -> decltype(Body()) {
  try {
    return Body();
  } catch (const TypeError &E) {
    std::string Msg = E.what();
    std::string Prefix = "'" + std::string(opName(Op)) + "'";
    if (Msg.rfind(Prefix, 0) == 0)
      throw;
    throw TypeError(Prefix + ": " + Msg);
  }
}

TensorType declared(const Rule &R, const std::optional<TensorType> &D) {
  if (!D)
    R.fail("the result type must be declared");
  return *D;
}

TensorType reduction(const Rule &R) {
  const TensorType &X = R.operand(0);
  std::vector<int64_t> Axes = R.A.getInts("axes");
  bool KeepDims = R.A.getBool("keepdims");
  for (size_t I = 0; I < Axes.size(); ++I) {
    if (Axes[I] < 0 || Axes[I] >= static_cast<int64_t>(X.rank()))
      R.fail("axis " + std::to_string(Axes[I]) + " is out of range for " + X.str());
    if (I && Axes[I] <= Axes[I - 1])
      R.fail("attribute 'axes' must be strictly increasing");
  }
  TensorType Out{X.Dtype, {}};
  for (size_t D = 0; D < X.rank(); ++D) {
    bool Reduced = std::count(Axes.begin(), Axes.end(), static_cast<int64_t>(D));
    if (!Reduced)
      Out.Dims.push_back(X.Dims[D]);
    else if (KeepDims)
      Out.Dims.push_back(1);
  }
  return Out;
}

/// A dim that must not be provably negative.
void needNonNegative(const Rule &R, const Dim &D, const std::string &What) {
  if (D.isConstant() && D.constant() < 0)
    R.fail(What + " is negative (" + D.str() + ")");
}

TensorType slice(const Rule &R) {
  const TensorType &X = R.operand(0);
  std::vector<Dim> Starts = R.A.getDims("starts"), Stops = R.A.getDims("stops");
  std::vector<int64_t> Steps = R.A.getInts("steps");
  if (Starts.size() != X.rank() || Stops.size() != X.rank() || Steps.size() != X.rank())
    R.fail("'starts', 'stops' and 'steps' need one entry per dim of " + X.str());
  TensorType Out{X.Dtype, {}};
  for (size_t D = 0; D < X.rank(); ++D) {
    std::string Where = "dim " + std::to_string(D) + " of " + X.str();
    if (Steps[D] < 1)
      R.fail("step of " + Where + " must be >= 1");
    needNonNegative(R, Starts[D], "start of " + Where);
    needNonNegative(R, Stops[D] - Starts[D], "stop - start of " + Where);
    needNonNegative(R, X.Dims[D] - Stops[D], "dim - stop of " + Where);
    Dim Len = Stops[D] - Starts[D];
    if (Steps[D] == 1)
      Out.Dims.push_back(Len);
    else if (Len.isConstant())
      Out.Dims.push_back(Len.constant() / Steps[D] + (Len.constant() % Steps[D] != 0));
    else
      R.fail("a step > 1 needs a constant extent (stop - start = " + Len.str() + ") on " + Where);
  }
  return Out;
}

TensorType pad(const Rule &R) {
  const TensorType &X = R.operand(0);
  std::vector<Dim> Low = R.A.getDims("low"), High = R.A.getDims("high");
  std::vector<int64_t> Interior = R.A.getInts("interior");
  if (Low.size() != X.rank() || High.size() != X.rank() || Interior.size() != X.rank())
    R.fail("'low', 'high' and 'interior' need one entry per dim of " + X.str());
  TensorType Out{X.Dtype, {}};
  for (size_t D = 0; D < X.rank(); ++D) {
    std::string Where = "of dim " + std::to_string(D) + " of " + X.str();
    needNonNegative(R, Low[D], "low padding " + Where);
    needNonNegative(R, High[D], "high padding " + Where);
    if (Interior[D] < 0)
      R.fail("interior padding " + Where + " is negative");
    const Dim &N = X.Dims[D];
    Dim Inner = N.isConstant() && N.constant() == 0 ? Dim(0) : N + (N - 1) * Interior[D];
    Out.Dims.push_back(Low[D] + Inner + High[D]);
  }
  return Out;
}

TensorType broadcast(const Rule &R) {
  const TensorType &X = R.operand(0);
  std::vector<Dim> To = R.A.getDims("shape");
  if (To.size() < X.rank())
    R.fail("cannot broadcast " + X.str() + " to the lower rank " + shapeStr(To));
  size_t Off = To.size() - X.rank();
  for (size_t D = 0; D < X.rank(); ++D)
    if (X.Dims[D] != Dim(1) && X.Dims[D] != To[Off + D])
      R.fail("cannot broadcast " + X.str() + " to " + shapeStr(To) + ": dim " +
             std::to_string(D) + " is " + X.Dims[D].str() + ", not 1 or " +
             To[Off + D].str());
  return {X.Dtype, To};
}

TensorType matmul(const Rule &R) {
  const TensorType &A = R.operand(0), &B = R.operand(1);
  R.needNumeric(0);
  if (A.Dtype != B.Dtype)
    R.fail(R.operandStr(1) + " must have the dtype of " + R.operandStr(0));
  if (A.rank() < 2 || A.rank() != B.rank())
    R.fail("operands must have one rank >= 2, got " + A.str() + " and " + B.str());
  size_t N = A.rank();
  for (size_t D = 0; D + 2 < N; ++D)
    if (A.Dims[D] != B.Dims[D])
      R.fail("batch dims differ: " + A.str() + " and " + B.str());
  if (A.Dims[N - 1] != B.Dims[N - 2])
    R.fail("contraction dims differ: " + A.str() + " x " + B.str());
  TensorType Out = A;
  Out.Dims[N - 1] = B.Dims[N - 1];
  return Out;
}

TensorType concat(const Rule &R) {
  if (R.In.empty())
    R.fail("needs at least one operand");
  const TensorType &First = R.operand(0);
  int64_t Ax = R.axis("axis", First.rank());
  TensorType Out = First;
  for (size_t I = 1; I < R.In.size(); ++I) {
    const TensorType &X = R.operand(I);
    bool Ok = X.Dtype == First.Dtype && X.rank() == First.rank();
    for (size_t D = 0; Ok && D < X.rank(); ++D)
      Ok = static_cast<int64_t>(D) == Ax || X.Dims[D] == First.Dims[D];
    if (!Ok)
      R.fail(R.operandStr(I) + " does not match " + R.operandStr(0) +
             " outside axis " + std::to_string(Ax));
    Out.Dims[Ax] = Out.Dims[Ax] + X.Dims[Ax];
  }
  return Out;
}

TensorType gather(const Rule &R) {
  const TensorType &X = R.operand(0), &Idx = R.operand(1);
  R.needInteger(1);
  int64_t Ax = R.axis("axis", X.rank());
  if (Idx.rank() != X.rank())
    R.fail("indices " + Idx.str() + " must have the rank of " + X.str());
  for (size_t D = 0; D < X.rank(); ++D)
    if (static_cast<int64_t>(D) != Ax && Idx.Dims[D] != X.Dims[D])
      R.fail("indices " + Idx.str() + " must match " + X.str() + " outside axis " +
             std::to_string(Ax));
  return {X.Dtype, Idx.Dims};
}

TensorType scatterAdd(const Rule &R) {
  const TensorType &Idx = R.operand(0), &Upd = R.operand(1);
  R.needInteger(0);
  R.needNumeric(1);
  R.needSameShape(0, 1);
  int64_t Ax = R.axis("axis", Idx.rank());
  Dim Size = R.A.getDim("size");
  needNonNegative(R, Size, "attribute 'size'");
  TensorType Out{Upd.Dtype, Upd.Dims};
  Out.Dims[Ax] = Size;
  return Out;
}

TensorType elementwise(const Rule &R) {
  OpCode Op = R.Op;
  for (size_t I = 0; I < R.In.size(); ++I) {
    if (hasTrait(Op, kFloatOnly))
      R.needFloat(I);
    else if (hasTrait(Op, kBoolOnly))
      R.needBool(I);
  }
  switch (Op) {
  case OpCode::Select:
    R.needBool(0);
    R.needSameShape(0, 1);
    R.needSameType(1, 2);
    return R.operand(1);
  case OpCode::Cast:
    return {R.A.getDType("dtype"), R.operand(0).Dims};
  case OpCode::StopGradient:
    return R.operand(0);
  default:
    break;
  }
  if (!hasTrait(Op, kBoolOnly) && !(Op == OpCode::Eq || Op == OpCode::Ne))
    for (size_t I = 0; I < R.In.size(); ++I)
      R.needNumeric(I);
  for (size_t I = 1; I < R.In.size(); ++I)
    R.needSameType(0, I);
  if (hasTrait(Op, kComparison))
    return {DType::Bool, R.operand(0).Dims};
  return R.operand(0);
}

TensorType scan(const Rule &R, const Graph *Body, std::vector<TensorType> *Results);
TensorType kernel(const Rule &R, const Graph *Body, std::vector<TensorType> *Results);

TensorType infer(const Rule &R, const Graph *Body, const std::optional<TensorType> &Decl,
                 std::vector<TensorType> *Results) {
  const Attrs &A = R.A;
  switch (R.Op) {
  case OpCode::Input:
  case OpCode::Param:
    if (A.getString("name").empty())
      R.fail("attribute 'name' must not be empty");
    return declared(R, Decl);
  case OpCode::Constant: {
    TensorType T = declared(R, Decl);
    for (const Dim &D : T.Dims)
      if (!D.isConstant())
        R.fail("a constant needs a static shape, got " + T.str());
    size_t Want = static_cast<size_t>(numElements(T.Dims).constant()) * dtypeSize(T.Dtype);
    if (A.getBytes("value").Data.size() != Want)
      R.fail("value holds " + std::to_string(A.getBytes("value").Data.size()) +
             " bytes, " + T.str() + " needs " + std::to_string(Want));
    return T;
  }
  case OpCode::DimValue: {
    TensorType T = declared(R, Decl);
    A.getDim("dim");
    if (T.rank() != 0 || T.Dtype == DType::Bool)
      R.fail("the result must be a numeric scalar, got " + T.str());
    return T;
  }
  case OpCode::Neg: case OpCode::Abs: case OpCode::Sign: case OpCode::Exp:
  case OpCode::Log: case OpCode::Log1p: case OpCode::Expm1: case OpCode::Sqrt:
  case OpCode::Rsqrt: case OpCode::Square: case OpCode::Tanh: case OpCode::Sigmoid:
  case OpCode::Softplus: case OpCode::Relu: case OpCode::Not: case OpCode::Add:
  case OpCode::Sub: case OpCode::Mul: case OpCode::Div: case OpCode::Pow:
  case OpCode::Maximum: case OpCode::Minimum: case OpCode::Xlogy: case OpCode::And:
  case OpCode::Or: case OpCode::Eq: case OpCode::Ne: case OpCode::Lt: case OpCode::Le:
  case OpCode::Gt: case OpCode::Ge: case OpCode::Select: case OpCode::Clip:
  case OpCode::Cast: case OpCode::StopGradient:
    return elementwise(R);
  case OpCode::Sum: case OpCode::Max: case OpCode::Min:
    R.needNumeric(0);
    return reduction(R);
  case OpCode::Mean: case OpCode::LogSumExp:
    R.needFloat(0);
    return reduction(R);
  case OpCode::Argmax: {
    R.needNumeric(0);
    const TensorType &X = R.operand(0);
    int64_t Ax = R.axis("axis", X.rank());
    TensorType Out{DType::I64, X.Dims};
    if (A.getBool("keepdims"))
      Out.Dims[Ax] = 1;
    else
      Out.Dims.erase(Out.Dims.begin() + Ax);
    return Out;
  }
  case OpCode::MatMul:
    return matmul(R);
  case OpCode::Transpose: {
    const TensorType &X = R.operand(0);
    std::vector<int64_t> Perm = A.getInts("perm"), Sorted = Perm;
    std::sort(Sorted.begin(), Sorted.end());
    std::vector<int64_t> Iota(X.rank());
    std::iota(Iota.begin(), Iota.end(), 0);
    if (Sorted != Iota)
      R.fail("attribute 'perm' is not a permutation of the " + std::to_string(X.rank()) +
             " dims of " + X.str());
    TensorType Out{X.Dtype, {}};
    for (int64_t P : Perm)
      Out.Dims.push_back(X.Dims[P]);
    return Out;
  }
  case OpCode::Reshape: {
    const TensorType &X = R.operand(0);
    std::vector<Dim> To = A.getDims("shape");
    if (numElements(To) != numElements(X.Dims))
      R.fail("cannot reshape " + X.str() + " (" + numElements(X.Dims).str() +
             " elements) to " + shapeStr(To) + " (" + numElements(To).str() + " elements)");
    return {X.Dtype, To};
  }
  case OpCode::Broadcast:
    return broadcast(R);
  case OpCode::Slice:
    return slice(R);
  case OpCode::Pad:
    return pad(R);
  case OpCode::Concat:
    return concat(R);
  case OpCode::Gather:
    return gather(R);
  case OpCode::ScatterAdd:
    return scatterAdd(R);
  case OpCode::OneHot: {
    R.needInteger(0);
    Dim Depth = A.getDim("depth");
    needNonNegative(R, Depth, "attribute 'depth'");
    TensorType Out{A.getDType("dtype"), R.operand(0).Dims};
    Out.Dims.push_back(Depth);
    return Out;
  }
  case OpCode::Softmax:
  case OpCode::LogSoftmax:
    R.needFloat(0);
    R.axis("axis", R.operand(0).rank());
    return R.operand(0);
  case OpCode::SoftmaxXent: {
    R.needFloat(0);
    R.needInteger(1);
    const TensorType &Z = R.operand(0), &L = R.operand(1);
    Shape Rows(Z.Dims.begin(), Z.Dims.end() - (Z.rank() ? 1 : 0));
    if (Z.rank() == 0 || L.Dims != Rows)
      R.fail("labels " + L.str() + " must have the shape of the logits " + Z.str() +
             " without the last axis");
    return {Z.Dtype, Rows};
  }
  case OpCode::RandomUniform:
  case OpCode::RandomNormal: {
    if (R.operand(0) != TensorType{DType::I64, {}})
      R.fail("the key " + R.operandStr(0) + " must be i64[]");
    TensorType T = declared(R, Decl);
    if (!isFloat(T.Dtype))
      R.fail("the result must be f32 or f64, got " + T.str());
    return T;
  }
  case OpCode::Grad:
    R.needFloat(0);
    R.needRank(0, 0);
    R.needFloat(1);
    if (R.operand(1).Dtype != R.operand(0).Dtype)
      R.fail(R.operandStr(1) + " must have the dtype of the cost " + R.operandStr(0));
    return R.operand(1);
  case OpCode::Scan:
    return scan(R, Body, Results);
  case OpCode::Result:
    R.fail("internal: result types come from the tuple operand");
  case OpCode::Kernel:
    return kernel(R, Body, Results);
  }
  R.fail("no type rule");
}

TensorType scan(const Rule &R, const Graph *Body, std::vector<TensorType> *Results) {
  if (!Body)
    R.fail("needs a body graph");
  int64_t NumCarry = R.A.getInt("num_carry"), NumSeqs = R.A.getInt("num_seqs");
  R.A.getBool("reverse");
  int64_t N = static_cast<int64_t>(R.In.size());
  if (NumCarry < 0 || NumSeqs < 0 || NumCarry + NumSeqs > N)
    R.fail("'num_carry'=" + std::to_string(NumCarry) + " and 'num_seqs'=" +
           std::to_string(NumSeqs) + " do not fit " + std::to_string(N) + " operands");
  const auto &Args = Body->arguments();
  if (static_cast<int64_t>(Args.size()) != N)
    R.fail("the body takes " + std::to_string(Args.size()) + " arguments, the scan has " +
           std::to_string(N) + " operands");
  Dim Length;
  if (NumSeqs == 0) {
    Length = R.A.getDim("length");
    needNonNegative(R, Length, "attribute 'length'");
  } else if (R.A.has("length")) {
    R.fail("attribute 'length' is only allowed without sequences (the trip count is their length)");
  }
  // Read by autodiff only: back-propagate through the last bptt_limit steps.
  if (R.A.has("bptt_limit") && R.A.getInt("bptt_limit") < 1)
    R.fail("attribute 'bptt_limit' must be at least 1, got " +
           std::to_string(R.A.getInt("bptt_limit")));
  for (int64_t I = 0; I < N; ++I) {
    TensorType Want = R.operand(I);
    bool IsSeq = I >= NumCarry && I < NumCarry + NumSeqs;
    if (IsSeq) {
      if (Want.rank() == 0)
        R.fail("sequence " + R.operandStr(I) + " must have rank >= 1");
      if (I == NumCarry)
        Length = Want.Dims[0];
      else if (Want.Dims[0] != Length)
        R.fail("sequence " + R.operandStr(I) + " has length " + Want.Dims[0].str() +
               ", the first sequence " + Length.str());
      Want.Dims.erase(Want.Dims.begin());
    }
    const TensorType &Got = Body->type(Args[I]);
    if (Body->node(Args[I]).Op != OpCode::Input || !(Got == Want))
      R.fail("body argument #" + std::to_string(I) + " must be an input of type " +
             Want.str() + ", got " + Got.str());
  }
  const auto &Outs = Body->outputs();
  if (static_cast<int64_t>(Outs.size()) < NumCarry || Outs.empty())
    R.fail("the body must return the " + std::to_string(NumCarry) +
           " new carries (and at least one value)");
  if (!Body->updates().empty())
    R.fail("a scan body cannot have updates");
  Results->clear();
  for (int64_t I = 0; I < static_cast<int64_t>(Outs.size()); ++I) {
    TensorType T = Body->type(Outs[I].Value);
    if (Body->node(Outs[I].Value).isMultiResult())
      R.fail("body output #" + std::to_string(I) + " is a multi-result node");
    if (I < NumCarry) {
      if (!(T == R.operand(I)))
        R.fail("body output #" + std::to_string(I) + " (" + T.str() +
               ") must have the type of carry " + R.operandStr(I));
    } else {
      T.Dims.insert(T.Dims.begin(), Length);
    }
    Results->push_back(T);
  }
  return Results->front();
}

/// kernel(v...): the body's arguments are inputs of the operands' types, its
/// outputs (at least one, none multi-result) are the results; no updates.
TensorType kernel(const Rule &R, const Graph *Body, std::vector<TensorType> *Results) {
  if (!Body)
    R.fail("needs a body graph");
  const auto &Args = Body->arguments();
  if (Args.size() != R.In.size())
    R.fail("the body takes " + std::to_string(Args.size()) + " arguments, the kernel has " +
           std::to_string(R.In.size()) + " operands");
  for (size_t I = 0; I < Args.size(); ++I)
    if (Body->node(Args[I]).Op != OpCode::Input || !(Body->type(Args[I]) == R.operand(I)))
      R.fail("body argument #" + std::to_string(I) + " must be an input of type " +
             R.operand(I).str() + ", got " + Body->type(Args[I]).str());
  if (!Body->updates().empty())
    R.fail("a kernel body cannot have updates");
  const auto &Outs = Body->outputs();
  if (Outs.empty())
    R.fail("the body must return at least one value");
  Results->clear();
  for (size_t I = 0; I < Outs.size(); ++I) {
    if (Body->node(Outs[I].Value).isMultiResult())
      R.fail("body output #" + std::to_string(I) + " is a multi-result node");
    Results->push_back(Body->type(Outs[I].Value));
  }
  return Results->front();
}

/// The attribute names an op accepts; any other name is an error, so a typo
/// in IR text (`{axis=1}` on a reduction) cannot pass silently.
/// Space-separated.
std::string_view allowedAttributes(OpCode Op) {
  switch (Op) {
  case OpCode::Input: case OpCode::Param: return "name";
  case OpCode::Constant: return "value";
  case OpCode::DimValue: return "dim";
  case OpCode::Cast: return "dtype";
  case OpCode::Sum: case OpCode::Mean: case OpCode::Max: case OpCode::Min:
  case OpCode::LogSumExp: return "axes keepdims";
  case OpCode::Argmax: return "axis keepdims";
  case OpCode::Transpose: return "perm";
  case OpCode::Reshape: case OpCode::Broadcast: return "shape";
  case OpCode::Slice: return "starts stops steps";
  case OpCode::Pad: return "low high interior";
  case OpCode::Concat: case OpCode::Gather: case OpCode::Softmax:
  case OpCode::LogSoftmax: return "axis";
  case OpCode::ScatterAdd: return "axis size";
  case OpCode::OneHot: return "depth dtype";
  case OpCode::Scan: return "num_carry num_seqs reverse length bptt_limit";
  case OpCode::Result: return "index";
  case OpCode::Neg: case OpCode::Abs: case OpCode::Sign: case OpCode::Exp: case OpCode::Log:
  case OpCode::Log1p: case OpCode::Expm1: case OpCode::Sqrt: case OpCode::Rsqrt:
  case OpCode::Square: case OpCode::Tanh: case OpCode::Sigmoid: case OpCode::Softplus:
  case OpCode::Relu: case OpCode::Not: case OpCode::Add: case OpCode::Sub: case OpCode::Mul:
  case OpCode::Div: case OpCode::Pow: case OpCode::Maximum: case OpCode::Minimum:
  case OpCode::Xlogy: case OpCode::And: case OpCode::Or: case OpCode::Eq: case OpCode::Ne:
  case OpCode::Lt: case OpCode::Le: case OpCode::Gt: case OpCode::Ge: case OpCode::Select:
  case OpCode::Clip: case OpCode::StopGradient: case OpCode::MatMul: case OpCode::SoftmaxXent:
  case OpCode::RandomUniform: case OpCode::RandomNormal: case OpCode::Grad:
  case OpCode::Kernel:
    return "";
  }
  return "";
}

void checkAttributeNames(const Rule &R) {
  std::string Allowed = " " + std::string(allowedAttributes(R.Op)) + " ";
  for (const auto &[Key, Value] : R.A.entries())
    if (Allowed.find(" " + Key + " ") == std::string::npos)
      R.fail("unknown attribute '" + Key + "'");
}

} // namespace

TensorType inferType(OpCode Op, std::span<const TensorType> Operands, const Attrs &A,
                     const Graph *Body, const std::optional<TensorType> &Declared,
                     std::vector<TensorType> *Results) {
  return withOp(Op, [&] {
    Rule R{Op, Operands, A};
    int Arity = opArity(Op);
    if (Arity >= 0 && static_cast<size_t>(Arity) != Operands.size())
      R.fail("takes " + std::to_string(Arity) + " operands, got " +
             std::to_string(Operands.size()));
    if (Body && !hasTrait(Op, kHasBody))
      R.fail("does not take a body");
    checkAttributeNames(R);
    std::vector<TensorType> Scratch;
    TensorType T = infer(R, Body, Declared, Results ? Results : &Scratch);
    if (Declared && !hasTrait(Op, kLeaf) && !hasTrait(Op, kRandom) && !(*Declared == T))
      R.fail("declared type " + Declared->str() + " does not match the inferred type " +
             T.str());
    return T;
  });
}

} // namespace netjit
