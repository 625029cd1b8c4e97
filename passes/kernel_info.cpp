//===- kernel_info.cpp - Classes, phases and schedule of a kernel body ----===//
//
// analyzeKernel walks a kernel body once in topological order. The domain
// comes from the shapes of the widest values; each argument gets the class
// its shape fits, and each node the class, phase and lateness its op's rule
// derives from its operands' (the rules are listed in kernel_info.h). A
// second step schedules the nodes: which k-loop of a row evaluates each E or
// Col node (a node needed by several loops is recomputed in each), where each
// reduction accumulates, and what runs before and after the row loop.
//
//===----------------------------------------------------------------------===//
#include "passes/kernel_info.h"

#include "ir/error.h"
#include "ir/printer.h"

#include <algorithm>

namespace netjit {
namespace {

using VC = ValueClass;

/// What an axis of a value stands for in the domain: a row axis, the column
/// axis, or a size-1 axis that is broadcast.
enum Role : uint8_t { kOne, kRowAxis, kColAxis };
constexpr unsigned kRowBit = 1, kColBit = 2;

/// What a reduction does in the loop nest.
enum class Reduce : uint8_t { None, Identity, ToRow, ToCol, ToS, RowToS };

bool allOnes(const Shape &S) {
  return std::all_of(S.begin(), S.end(),
                     [](const Dim &D) { return D == Dim(1); });
}

/// S < Row, Col < E.
bool below(VC A, VC B) { return A == B || A == VC::S || B == VC::E; }

VC join(VC A, VC B) {
  if (below(A, B))
    return B;
  if (below(B, A))
    return A;
  return VC::E; // Row and Col
}

class Analyzer {
public:
  explicit Analyzer(const Graph &Body) : Body(Body), Live(Body.liveNodes()) {}

  KernelInfo run();

private:
  [[noreturn]] void fail(NodeId Id, const std::string &Msg) const {
    throw TypeError("kernel body: '" + printNode(Body, Id) + "': " + Msg);
  }
  const Shape &shape(NodeId Id) const { return Body.type(Id).Dims; }
  bool fits(VC C, const Shape &S) const;
  std::vector<Role> roles(VC C, const Shape &S) const;

  void deriveDomain();
  VC argClass(NodeId Id, bool ReadByBroadcast) const;
  void classify(NodeId Id);
  void classifyReduction(NodeId Id);
  void classifyBroadcast(NodeId Id);
  void classifyGatherOrOneHot(NodeId Id);
  void checkOutputs() const;
  int countLoops() const;
  std::vector<std::vector<char>> placeLoopWork();
  std::vector<char> epilogueCols() const;
  void schedule();
  void markLoop(size_t Loop, NodeId Root,
                std::vector<std::vector<char>> &In) const;

  const Graph &Body;
  std::vector<NodeId> Live;
  KernelInfo I;
  Shape D;
  std::vector<Reduce> Red;
};

bool Analyzer::fits(VC C, const Shape &S) const {
  switch (C) {
  case VC::E:
    return S == D;
  case VC::S:
    return allOnes(S);
  case VC::Row: {
    if (S == I.RShape)
      return true;
    Shape T = I.RShape;
    T.push_back(1);
    return S == T;
  }
  case VC::Col:
    if (S.empty() || S.back() != I.K ||
        S.size() > std::max<size_t>(D.size(), 1))
      return false;
    return allOnes(Shape(S.begin(), S.end() - 1));
  }
  return false;
}

/// The role of each axis of a value of class C and shape S (S fits C). An E
/// value's axes are row axes and the column axis by position, whatever their
/// size, so that reducing one is always a real reduction; other classes'
/// size-1 axes are broadcast ones.
std::vector<Role> Analyzer::roles(VC C, const Shape &S) const {
  std::vector<Role> Out(S.size(), kOne);
  for (size_t A = 0; A < S.size(); ++A) {
    if (C == VC::E)
      Out[A] = A + 1 == S.size() ? kColAxis : kRowAxis;
    else if (S[A] == Dim(1))
      Out[A] = kOne;
    else if (C == VC::Row && A < I.RShape.size())
      Out[A] = kRowAxis;
    else if (C == VC::Col && A + 1 == S.size())
      Out[A] = kColAxis;
  }
  return Out;
}

void Analyzer::deriveDomain() {
  // Only the values of the largest rank that are not all ones make the
  // domain; narrower ones (a [2] and an [N] both broadcast into [N,2]) are
  // checked against it when classified.
  size_t WideRank = 0;
  for (NodeId Id : Live)
    if (!allOnes(shape(Id)))
      WideRank = std::max(WideRank, shape(Id).size());
  bool AnyWide = false;
  for (NodeId Id : Live) {
    const Shape &S = shape(Id);
    bool Wide = !allOnes(S);
    if (Wide && S.size() < WideRank)
      continue;
    if (Wide && (!AnyWide || S.size() > D.size())) {
      D = S;
    } else if (Wide && S.size() == D.size()) {
      for (size_t A = 0; A < S.size(); ++A) {
        if (D[A] == Dim(1))
          D[A] = S[A];
        else if (S[A] != Dim(1) && S[A] != D[A])
          fail(Id, "its shape " + shapeStr(S) + " has no common domain with " +
                       shapeStr(D));
      }
    } else if (!AnyWide && !Wide && S.size() > D.size()) {
      D = S;
    }
    AnyWide = AnyWide || Wide;
  }
  I.RShape = D.empty() ? Shape{} : Shape(D.begin(), D.end() - 1);
  I.K = D.empty() ? Dim(1) : D.back();
  I.R = numElements(I.RShape);
}

VC Analyzer::argClass(NodeId Id, bool ReadByBroadcast) const {
  const Shape &S = shape(Id);
  if (fits(VC::E, S))
    return VC::E;
  if (fits(VC::S, S))
    return VC::S;
  bool Row = fits(VC::Row, S), Col = fits(VC::Col, S);
  if (Row && Col)
    return ReadByBroadcast ? VC::Col : VC::Row;
  if (Row || Col)
    return Row ? VC::Row : VC::Col;
  fail(Id, "the argument does not fit the domain " + shapeStr(D) +
               " as an E, Row, Col or S value");
}

void Analyzer::classify(NodeId Id) {
  const Node &N = Body.node(Id);
  size_t X = Id.Index;
  for (NodeId In : N.Inputs) {
    I.Phase[X] = std::max(I.Phase[X], I.Phase[In.Index]);
    I.Late[X] |= I.Late[In.Index];
  }
  if (N.Op == OpCode::Constant || N.Op == OpCode::DimValue) {
    if (!fits(VC::S, shape(Id)))
      fail(Id, "a constant in a kernel body must be a scalar (rank 0 or all "
               "dims 1)");
    // In a domain of one element (a kernel of scalar arithmetic) it is E.
    I.Class[X] = fits(VC::E, shape(Id)) ? VC::E : VC::S;
  } else if (hasTrait(N.Op, kElementwise)) {
    VC C = VC::S;
    for (NodeId In : N.Inputs)
      C = join(C, I.Class[In.Index]);
    if (!fits(C, shape(Id)))
      fail(Id, "its operands' classes join to " + std::string(className(C)) +
                   ", which its shape does not fit in the domain " +
                   shapeStr(D));
    I.Class[X] = C;
  } else if (N.Op == OpCode::Reshape) {
    VC C = I.Class[N.Inputs[0].Index];
    if (!fits(C, shape(Id)))
      fail(Id, "a reshape must keep the class (" + std::string(className(C)) +
                   ") of its operand in the domain " + shapeStr(D));
    I.Class[X] = C;
  } else if (N.Op == OpCode::Broadcast) {
    classifyBroadcast(Id);
  } else if (N.Op == OpCode::Sum || N.Op == OpCode::Max ||
             N.Op == OpCode::Min) {
    classifyReduction(Id);
  } else if (N.Op == OpCode::Gather || N.Op == OpCode::OneHot) {
    classifyGatherOrOneHot(Id);
  } else {
    fail(Id,
         "'" + std::string(opName(N.Op)) + "' cannot appear in a kernel body");
  }
  VC C = I.Class[X];
  if (I.Late[X] && (C == VC::E || C == VC::Row))
    fail(Id, "a per-row value reads a late value (the result of a Col or S "
             "reduction)");
}

void Analyzer::classifyBroadcast(NodeId Id) {
  NodeId Src = Body.node(Id).Inputs[0];
  VC From = I.Class[Src.Index];
  const Shape &In = shape(Src), &Out = shape(Id);
  std::vector<Role> InRoles = roles(From, In);
  size_t Off = Out.size() - In.size();
  for (VC C : {VC::E, VC::S, VC::Row, VC::Col}) {
    if (!below(From, C) || !fits(C, Out))
      continue;
    std::vector<Role> OutRoles = roles(C, Out);
    bool Same = true;
    for (size_t A = 0; A < In.size(); ++A)
      Same = Same && (InRoles[A] == kOne || OutRoles[A + Off] == InRoles[A]);
    if (Same) {
      I.Class[Id.Index] = C;
      return;
    }
  }
  fail(Id, "broadcasting a " + std::string(className(From)) +
               " value of shape " + shapeStr(In) +
               " is not an index map of the domain " + shapeStr(D));
}

void Analyzer::classifyReduction(NodeId Id) {
  const Node &N = Body.node(Id);
  size_t X = Id.Index;
  NodeId Src = N.Inputs[0];
  VC From = I.Class[Src.Index];
  std::vector<Role> Roles = roles(From, shape(Src));
  std::vector<int64_t> Axes = N.Attributes.getInts("axes");
  unsigned Reduced = 0, Kept = 0;
  for (size_t A = 0; A < Roles.size(); ++A) {
    unsigned Bit = Roles[A] == kRowAxis   ? kRowBit
                   : Roles[A] == kColAxis ? kColBit
                                          : 0;
    bool In = std::find(Axes.begin(), Axes.end(), static_cast<int64_t>(A)) !=
              Axes.end();
    (In ? Reduced : Kept) |= Bit;
  }
  VC To = From;
  Reduce Kind = Reduce::Identity;
  if (Reduced == 0) {
    Kind = Reduce::Identity;
  } else if (From == VC::E && Reduced == kColBit) {
    To = VC::Row, Kind = Reduce::ToRow;
  } else if (From == VC::E && Reduced == kRowBit && !(Kept & kRowBit)) {
    To = VC::Col, Kind = Reduce::ToCol;
  } else if (From == VC::E && Reduced == (kRowBit | kColBit) && Kept == 0) {
    To = VC::S, Kind = Reduce::ToS;
  } else if (From == VC::Row && Reduced == kRowBit && Kept == 0) {
    To = VC::S, Kind = Reduce::RowToS;
  } else {
    fail(Id, "reducing a " + std::string(className(From)) +
                 " value over these axes does not fit the domain (fusable: the "
                 "last axis, "
                 "all leading axes or every axis of an E value; every axis of "
                 "a Row value)");
  }
  if (!fits(To, shape(Id)))
    fail(Id, "the result of a " + std::string(className(From)) + " -> " +
                 std::string(className(To)) +
                 " reduction has the wrong shape for the domain " +
                 shapeStr(D));
  I.Class[X] = To;
  Red[X] = Kind;
  if (Kind == Reduce::ToRow)
    I.Phase[X] = I.Phase[Src.Index] + 1;
  else if (Kind != Reduce::Identity)
    I.Late[X] = 1;
}

void Analyzer::classifyGatherOrOneHot(NodeId Id) {
  const Node &N = Body.node(Id);
  VC Index = I.Class[N.Inputs.back().Index];
  if (!below(Index, VC::Row))
    fail(Id, "the index must be a Row or S value, not " +
                 std::string(className(Index)));
  if (N.Op == OpCode::Gather) {
    const Shape &Data = shape(N.Inputs[0]);
    if (I.Class[N.Inputs[0].Index] != VC::E ||
        N.Attributes.getInt("axis") + 1 != static_cast<int64_t>(Data.size()))
      fail(Id, "a fused gather reads an E value along its last axis");
    if (!fits(VC::Row, shape(Id)))
      fail(Id, "a fused gather takes one index per row ([R..., 1])");
    I.Class[Id.Index] = VC::Row;
    return;
  }
  const Shape &T = shape(N.Inputs[0]);
  if (fits(VC::E, shape(Id)) && (Index == VC::S || T == I.RShape))
    I.Class[Id.Index] = VC::E;
  else if (Index == VC::S && fits(VC::Col, shape(Id)))
    I.Class[Id.Index] = VC::Col;
  else
    fail(Id,
         "a fused one_hot maps one index per row to the domain " + shapeStr(D));
}

void Analyzer::checkOutputs() const {
  for (const Output &O : Body.outputs()) {
    NodeId V = O.Value;
    VC C = I.Class[V.Index];
    if (Body.node(V).Op == OpCode::Input)
      fail(V, "a kernel output cannot be an argument");
    if (!I.Late[V.Index] && (C == VC::Col || C == VC::S))
      fail(V, "a kernel output must be E, Row or late, not a " +
                  std::string(className(C)) +
                  " value computed before the row loop");
  }
}

/// Marks Root and the E/Col nodes it reads as evaluated in loop L.
void Analyzer::markLoop(size_t L, NodeId Root,
                        std::vector<std::vector<char>> &In) const {
  std::vector<NodeId> Stack{Root};
  while (!Stack.empty()) {
    NodeId V = Stack.back();
    Stack.pop_back();
    VC C = I.Class[V.Index];
    if (In[L][V.Index] || I.Late[V.Index] || Body.node(V).Op == OpCode::Input ||
        C == VC::Row || C == VC::S)
      continue;
    In[L][V.Index] = 1;
    for (NodeId Op : Body.node(V).Inputs)
      Stack.push_back(Op);
  }
}

/// The k-loops a row needs: one past the phase of every value a loop
/// accumulates or stores.
int Analyzer::countLoops() const {
  int P = 1;
  for (NodeId Id : Live) {
    Reduce K = Red[Id.Index];
    if (K == Reduce::ToRow || K == Reduce::ToCol || K == Reduce::ToS)
      P = std::max(P, I.Phase[Body.node(Id).Inputs[0].Index] + 1);
  }
  for (const Output &O : Body.outputs())
    if (I.Class[O.Value.Index] == VC::E)
      P = std::max(P, I.Phase[O.Value.Index] + 1);
  return P;
}

/// Which loop accumulates each reduction and stores each E output, and so
/// which loops evaluate each E or Col node.
std::vector<std::vector<char>> Analyzer::placeLoopWork() {
  int P = I.NumLoops;
  std::vector<std::vector<char>> InLoop(P, std::vector<char>(Body.size(), 0));
  for (NodeId Id : Live) {
    Reduce K = Red[Id.Index];
    if (K == Reduce::RowToS)
      I.RowAccumulate.push_back(Id);
    if (K != Reduce::ToRow && K != Reduce::ToCol && K != Reduce::ToS)
      continue;
    NodeId Src = Body.node(Id).Inputs[0];
    // A row reduction feeds the next phase; column and scalar ones wait for
    // the last loop, where the outputs are computed anyway.
    int L = K == Reduce::ToRow ? I.Phase[Src.Index] : P - 1;
    I.Accumulate[L].push_back(Id);
    markLoop(L, Src, InLoop);
  }
  for (const Output &O : Body.outputs())
    if (I.Class[O.Value.Index] == VC::E)
      markLoop(P - 1, O.Value, InLoop);
  return InLoop;
}

/// The late Col nodes and the non-late Col nodes they read.
std::vector<char> Analyzer::epilogueCols() const {
  std::vector<char> In(Body.size(), 0);
  for (size_t Pos = Live.size(); Pos-- > 0;) {
    NodeId Id = Live[Pos];
    if (!In[Id.Index] && !(I.Late[Id.Index] && I.Class[Id.Index] == VC::Col))
      continue;
    In[Id.Index] = 1;
    for (NodeId Op : Body.node(Id).Inputs)
      if (I.Class[Op.Index] == VC::Col && Body.node(Op).Op != OpCode::Input)
        In[Op.Index] = 1;
  }
  return In;
}

void Analyzer::schedule() {
  int P = I.NumLoops = countLoops();
  I.RowStart.assign(P + 1, {});
  I.Loop.assign(P, {});
  I.Accumulate.assign(P, {});
  std::vector<std::vector<char>> InLoop = placeLoopWork();
  std::vector<char> InEpilogue = epilogueCols();
  for (NodeId Id : Live) {
    size_t X = Id.Index;
    if (Body.node(Id).Op == OpCode::Input)
      continue;
    VC C = I.Class[X];
    if (I.Late[X]) {
      I.Phase[X] = P;
      if (C == VC::S)
        I.EpilogueS.push_back(Id);
    } else if (C == VC::S) {
      I.Prologue.push_back(Id);
    } else if (C == VC::Row) {
      I.RowStart[I.Phase[X]].push_back(Id);
    }
    if (InEpilogue[X])
      I.EpilogueLoop.push_back(Id);
    int Loops = 0;
    for (int L = 0; L < P; ++L)
      if (InLoop[L][X]) {
        I.Loop[L].push_back(Id);
        ++Loops;
      }
    if (Loops > 1)
      I.RecomputeCost += transcendentalWeight(Body.node(Id).Op) * (Loops - 1);
  }
}

KernelInfo Analyzer::run() {
  deriveDomain();
  size_t N = Body.size();
  I.Class.assign(N, VC::S);
  I.Phase.assign(N, 0);
  I.Late.assign(N, 0);
  Red.assign(N, Reduce::None);
  std::vector<char> ReadByBroadcast(N, 0);
  for (NodeId Id : Live)
    if (Body.node(Id).Op == OpCode::Broadcast)
      ReadByBroadcast[Body.node(Id).Inputs[0].Index] = 1;
  for (NodeId Id : Live) {
    if (Body.node(Id).Op == OpCode::Input)
      I.Class[Id.Index] = argClass(Id, ReadByBroadcast[Id.Index]);
    else
      classify(Id);
  }
  for (NodeId A : Body.arguments())
    I.ArgClass.push_back(I.Class[A.Index]);
  checkOutputs();
  schedule();
  return std::move(I);
}

} // namespace

std::string_view className(ValueClass C) {
  switch (C) {
  case ValueClass::E:
    return "E";
  case ValueClass::Row:
    return "Row";
  case ValueClass::Col:
    return "Col";
  case ValueClass::S:
    return "S";
  }
  return "?";
}

int transcendentalWeight(OpCode Op) {
  switch (Op) {
  case OpCode::Exp:
  case OpCode::Log:
  case OpCode::Log1p:
  case OpCode::Expm1:
  case OpCode::Tanh:
  case OpCode::Sigmoid:
  case OpCode::Xlogy:
    return 1;
  case OpCode::Softplus:
  case OpCode::Pow:
    return 2;
  default:
    return 0;
  }
}

KernelInfo analyzeKernel(const Graph &Body) { return Analyzer(Body).run(); }

std::optional<KernelInfo> tryAnalyzeKernel(const Graph &Body,
                                           std::string *Why) {
  try {
    return Analyzer(Body).run();
  } catch (const TypeError &E) {
    if (Why)
      *Why = E.what();
    return std::nullopt;
  }
}

} // namespace netjit
