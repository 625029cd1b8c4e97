//===- scan.cpp - Loops: the IR's scan op from Exprs ----------------------===//
//
// scan() declares the body graph's inputs (carries "c<i>", sequence
// elements "x<i>", constants "k<i>"), runs the user's step function once on
// them, checks what it returns and makes the scan node and its `result`s in
// the enclosing graph. Captures declare further constant inputs while the
// step runs; the body's arguments stay in operand order because inputs are
// listed in declaration order and carries and elements come first.
//
//===----------------------------------------------------------------------===//
#include "frontend/scan.h"
#include "frontend/call_site.h"

namespace netjit {

using detail::guarded;

namespace {

std::string ordinal(const char *What, size_t I) {
  return std::string(What) + " #" + std::to_string(I);
}

/// Throws TypeError unless X is a valid Expr of graph G (set from the
/// first operand when null).
void checkOperand(const Expr &X, const std::string &What,
                  std::shared_ptr<Graph> &G) {
  if (!X.valid())
    throw TypeError(What + " is an empty Expr (default-constructed)");
  if (!G)
    G = X.graphPtr();
  else if (X.graphPtr() != G)
    throw TypeError(What + " belongs to another graph than the first "
                           "operand (every operand of a scan is a value of the "
                           "graph that holds the scan)");
}

} // namespace

Expr ScanBody::carry(size_t I) const {
  if (I >= Carries.size())
    throw TypeError("the scan has " + std::to_string(Carries.size()) +
                    " carries, no carry " + std::to_string(I));
  return Carries[I];
}

Expr ScanBody::element(size_t I) const {
  if (I >= Elements.size())
    throw TypeError("the scan has " + std::to_string(Elements.size()) +
                    " sequences, no element " + std::to_string(I));
  return Elements[I];
}

Expr ScanBody::constant(size_t I) const {
  if (I >= Constants.size())
    throw TypeError("the scan has " + std::to_string(Constants.size()) +
                    " constants, no constant " + std::to_string(I));
  return Constants[I];
}

Expr ScanBody::scalar(double Value, DType T) const {
  return Expr(Body, Body->scalar(Value, T));
}

Expr ScanBody::capture(const Expr &X, SourceLoc Loc) {
  return guarded("capture", Loc, [&] {
    if (!X.valid())
      throw TypeError("cannot capture an empty Expr (default-constructed)");
    if (X.graphPtr() == Body)
      return X;
    if (X.graphPtr() != Outer)
      throw TypeError("the value " + X.str() +
                      " belongs neither to this scan body nor to the graph "
                      "that holds the scan (a nested scan captures from its "
                      "enclosing body: capture it there first)");
    auto It = Captured.find(X.id().Index);
    if (It != Captured.end())
      return It->second;
    std::string Name = "k" + std::to_string(ConstantOperands.size());
    Expr In(Body, Body->input(Name, X.type()));
    ConstantOperands.push_back(X.id());
    Captured.emplace(X.id().Index, In);
    return In;
  });
}

std::vector<Expr> scan(const ScanStep &Step, const std::vector<Expr> &Carries,
                       const std::vector<Expr> &Sequences,
                       const std::vector<Expr> &Constants, ScanOptions Options,
                       SourceLoc Loc) {
  return guarded("scan", Loc, [&] {
    if (!Step)
      throw TypeError("the step function is empty");
    std::shared_ptr<Graph> G;
    for (size_t I = 0; I < Carries.size(); ++I)
      checkOperand(Carries[I], ordinal("carry", I), G);
    for (size_t I = 0; I < Sequences.size(); ++I)
      checkOperand(Sequences[I], ordinal("sequence", I), G);
    for (size_t I = 0; I < Constants.size(); ++I)
      checkOperand(Constants[I], ordinal("constant", I), G);
    if (!G)
      throw TypeError("needs at least one carry, sequence or constant");
    if (Sequences.empty() && !Options.Length)
      throw TypeError("without sequences, ScanOptions::Length must give the "
                      "number of steps");
    if (!Sequences.empty() && Options.Length)
      throw TypeError("ScanOptions::Length is only for a scan without "
                      "sequences (the steps are the sequences' length)");
    for (size_t I = 0; I < Sequences.size(); ++I) {
      const Expr &S = Sequences[I];
      if (S.rank() == 0)
        throw TypeError(ordinal("sequence", I) + " is a scalar " +
                        S.type().str() +
                        "; sequences are stepped along "
                        "axis 0, so they need rank >= 1");
      if (S.dim(0) != Sequences[0].dim(0))
        throw TypeError(ordinal("sequence", I) + " " + S.type().str() +
                        " has length " + S.dim(0).str() +
                        " on axis 0, sequence #0 " + Sequences[0].type().str() +
                        " has " + Sequences[0].dim(0).str());
    }

    ScanBody S;
    S.Outer = G;
    S.Body = std::make_shared<Graph>(G->name() + ".body");
    for (size_t I = 0; I < Carries.size(); ++I)
      S.Carries.emplace_back(
          S.Body, S.Body->input("c" + std::to_string(I), Carries[I].type()));
    for (size_t I = 0; I < Sequences.size(); ++I) {
      TensorType T = Sequences[I].type();
      T.Dims.erase(T.Dims.begin());
      S.Elements.emplace_back(S.Body,
                              S.Body->input("x" + std::to_string(I), T));
    }
    for (const Expr &K : Constants) {
      std::string Name = "k" + std::to_string(S.ConstantOperands.size());
      Expr In(S.Body, S.Body->input(Name, K.type()));
      S.ConstantOperands.push_back(K.id());
      S.Constants.push_back(In);
      S.Captured.emplace(K.id().Index, In);
    }

    std::vector<Expr> Returned;
    {
      detail::FreshCallStack Fresh;
      Returned = Step(S);
    }
    if (Returned.size() < Carries.size() || Returned.empty())
      throw TypeError(
          "the step function returned " + std::to_string(Returned.size()) +
          " values; it must return the " + std::to_string(Carries.size()) +
          " new carries, then the per-step outputs (at least "
          "one value in all)");
    for (size_t I = 0; I < Returned.size(); ++I) {
      const Expr &R = Returned[I];
      std::string What = I < Carries.size()
                             ? ordinal("new carry", I)
                             : ordinal("step output", I - Carries.size());
      if (!R.valid())
        throw TypeError("the step function's " + What +
                        " is an empty Expr (default-constructed)");
      if (R.graphPtr() == G)
        throw TypeError("the step function's " + What + " (" + R.str() +
                        ") is a value of the enclosing graph; return a value "
                        "of the body (S.capture(x) reads an outer value)");
      if (R.graphPtr() != S.Body)
        throw TypeError("the step function's " + What +
                        " belongs to another graph than the scan body");
      if (I < Carries.size() && R.type() != Carries[I].type())
        throw TypeError("the step function's " + What + " has type " +
                        R.type().str() + ", the initial carry " +
                        Carries[I].type().str() +
                        " (a carry keeps its type from step to step)");
      S.Body->addOutput("", R.id());
    }

    std::vector<NodeId> Operands;
    for (const Expr &C : Carries)
      Operands.push_back(C.id());
    for (const Expr &X : Sequences)
      Operands.push_back(X.id());
    Operands.insert(Operands.end(), S.ConstantOperands.begin(),
                    S.ConstantOperands.end());
    Attrs A{{"num_carry", static_cast<int64_t>(Carries.size())},
            {"num_seqs", static_cast<int64_t>(Sequences.size())},
            {"reverse", Options.Reverse}};
    if (Options.Length)
      A.set("length", Options.Length->dim());
    if (Options.BpttLimit < 0)
      throw TypeError("ScanOptions::BpttLimit must be >= 1 (or 0 for no "
                      "limit), got " +
                      std::to_string(Options.BpttLimit));
    if (Options.BpttLimit > 0)
      A.set("bptt_limit", Options.BpttLimit);
    NodeId Loop =
        G->make(OpCode::Scan, Operands, std::move(A), std::nullopt, S.Body);
    Builder B(*G);
    std::vector<Expr> Results;
    for (size_t I = 0; I < Returned.size(); ++I)
      Results.emplace_back(G, B.result(Loop, static_cast<int64_t>(I)));
    return Results;
  });
}

} // namespace netjit
