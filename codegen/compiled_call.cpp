//===- compiled_call.cpp - One call of a compiled function ----------------===//
//
// The call path, allocation-free in the steady state: bind the symbolic
// dims (explicit values, then the first argument axis that is exactly the
// symbol, as the interpreter does), check every argument and bound output
// against its declared type, re-plan the workspace only when the binding
// changed (growing it only past the largest size seen), fill the slot table
// and run the entry. A non-zero status becomes a RuntimeError naming the
// failing check's site. Errors build their messages only when thrown.
//
// On the interpreter the same checks happen in evaluate(), on copies of the
// bound memory; outputs and updated params are copied back.
//
//===----------------------------------------------------------------------===//
#include "codegen/compiled_impl.h"

#include "ir/error.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

namespace netjit {
namespace {

using detail::CompiledImpl;
using detail::ContextImpl;
using detail::PortInfo;

constexpr int64_t kUnbound = std::numeric_limits<int64_t>::min();

std::string shapeText(std::span<const int64_t> Shape) {
  std::string S = "[";
  for (size_t I = 0; I < Shape.size(); ++I)
    S += (I ? "," : "") + std::to_string(Shape[I]);
  return S + "]";
}

std::string gotText(const Bindings::Entry &E) {
  return std::string(dtypeName(E.Type)) + shapeText(E.Shape);
}

/// " (with B=2)" for the symbols of a port's dims.
std::string withSymbols(const CompiledImpl &I, const PortInfo &P,
                        const int64_t *Sym) {
  std::string Out;
  std::set<std::string> Names;
  for (const Dim &D : P.Type.Dims)
    D.collectSymbols(Names);
  for (const std::string &N : Names) {
    int S = I.Symbols.indexOf(N);
    if (S >= 0 && Sym[S] != kUnbound)
      Out +=
          (Out.empty() ? " (with " : ", ") + N + "=" + std::to_string(Sym[S]);
  }
  return Out.empty() ? Out : Out + ")";
}

/// Binds every symbol into Sym; throws naming the first problem.
void bindSymbols(const CompiledImpl &I, const Bindings &B,
                 const std::vector<Bindings::Entry> &Args, int64_t *Sym) {
  for (size_t S = 0; S < I.Symbols.size(); ++S)
    Sym[S] = kUnbound;
  for (const auto &[Name, Value] : B.dims()) {
    if (Value < 0)
      throw RuntimeError("dim binding " + Name + "=" + std::to_string(Value) +
                         " is negative");
    if (int S = I.Symbols.indexOf(Name); S >= 0)
      Sym[S] = Value;
  }
  for (size_t A = 0; A < I.Args.size(); ++A) {
    const PortInfo &P = I.Args[A];
    const Bindings::Entry &E = Args[A];
    if (!E.Bound)
      throw RuntimeError("missing argument '" + P.Name + "' (" + P.Type.str() +
                         ")");
    if (E.Type != P.Type.Dtype || E.Shape.size() != P.Type.rank())
      throw RuntimeError("argument '" + P.Name + "': expected " + P.Type.str() +
                         ", got " + gotText(E));
    if (P.Updated && !E.Writable)
      throw RuntimeError(
          "param '" + P.Name +
          "' is updated by the function: bind it writable (bindParam)");
  }
  for (size_t S = 0; S < I.Symbols.size(); ++S) {
    if (Sym[S] != kUnbound)
      continue;
    auto [A, D] = I.SymbolSource[S];
    if (A < 0)
      throw RuntimeError(
          "symbolic dim '" + I.Symbols.names()[S] +
          "' is not bound: no argument determines it (Bindings::setDim)");
    Sym[S] = Args[A].Shape[D];
  }
}

bool shapeMatches(const PortInfo &P, std::span<const int64_t> Shape,
                  const int64_t *Sym, int64_t *Numel) {
  int64_t N = 1;
  for (size_t D = 0; D < P.Dims.size(); ++D) {
    int64_t V;
    if (!P.Dims[D].eval(Sym, V) || V != Shape[D])
      return false;
    N *= V;
  }
  *Numel = N;
  return true;
}

void *growTo(void *Old, size_t &Capacity, size_t Bytes) {
  if (Bytes <= Capacity)
    return Old;
  size_t Rounded = (Bytes + 63) / 64 * 64;
  void *P = std::aligned_alloc(64, Rounded);
  if (!P)
    throw RuntimeError("cannot allocate " + std::to_string(Bytes) +
                       " bytes of workspace");
  std::free(Old);
  Capacity = Rounded;
  return P;
}

struct Range {
  const char *Begin, *End;
  bool overlaps(const Range &O) const { return Begin < O.End && O.Begin < End; }
};

/// Outputs and updated params may not share memory with anything else.
void checkAliasing(const CompiledImpl &I,
                   const std::vector<Bindings::Entry> &Args,
                   const ContextImpl &C, const int64_t *ArgBytes,
                   const int64_t *OutBytes) {
  size_t NA = I.Args.size(), NO = I.Outs.size();
  auto range = [&](size_t K) {
    const char *P =
        static_cast<const char *>(K < NA ? Args[K].Data : C.Outs[K - NA].Data);
    return Range{P, P + (K < NA ? ArgBytes[K] : OutBytes[K - NA])};
  };
  for (size_t K = 0; K < NA + NO; ++K) {
    bool Written = K >= NA || I.Args[K].Updated;
    if (!Written || range(K).Begin == range(K).End)
      continue;
    for (size_t L = 0; L < NA + NO; ++L) {
      if (L == K || range(L).Begin == range(L).End ||
          !range(K).overlaps(range(L)))
        continue;
      auto name = [&](size_t X) {
        return X < NA ? "argument '" + I.Args[X].Name + "'"
                      : "output '" + I.Outs[X - NA].Name + "'";
      };
      throw RuntimeError(
          "the memory of " + name(K) + " overlaps " + name(L) +
          " (outputs and updated params need their own buffers)");
    }
  }
}

/// Checks bound outputs, and sizes the context's buffers for the others.
void prepareOutputs(const CompiledImpl &I, const Bindings &B, ContextImpl &C,
                    const int64_t *Sym, int64_t *OutBytes) {
  for (size_t O = 0; O < I.Outs.size(); ++O) {
    const PortInfo &P = I.Outs[O];
    const Bindings::Entry &E = B.outputs()[O];
    ContextImpl::OutputBuffer &Buf = C.Outs[O];
    int64_t N = 1;
    Buf.Shape.resize(P.Dims.size());
    for (size_t D = 0; D < P.Dims.size(); ++D) {
      if (!P.Dims[D].eval(Sym, Buf.Shape[D]) || Buf.Shape[D] < 0)
        throw RuntimeError("output '" + P.Name + "' (" + P.Type.str() +
                           ") has a negative or "
                           "overflowing dim" +
                           withSymbols(I, P, Sym));
      N *= Buf.Shape[D];
    }
    OutBytes[O] = N * static_cast<int64_t>(dtypeSize(P.Type.Dtype));
    if (E.Bound) {
      if (E.Type != P.Type.Dtype || E.Shape != Buf.Shape)
        throw RuntimeError("output '" + P.Name + "': expected " + P.Type.str() +
                           " = " + std::string(dtypeName(P.Type.Dtype)) +
                           shapeText(Buf.Shape) + ", bound to " + gotText(E));
      Buf.Data = E.Data;
    } else {
      Buf.Owned =
          growTo(Buf.Owned, Buf.Capacity, static_cast<size_t>(OutBytes[O]));
      Buf.Data = Buf.Owned;
    }
  }
}

[[noreturn]] void throwStatus(const CompiledImpl &I, const CallState &S) {
  std::string Site =
      S.Site >= 0 && static_cast<size_t>(S.Site) < I.Module.Sites.size()
          ? I.Module.Sites[S.Site]
          : "a compiled check";
  if (S.Code == kStatusIndexOutOfRange)
    throw RuntimeError(Site + ": index " + std::to_string(S.Value) +
                       " is out of range [0, " + std::to_string(S.Bound) + ")");
  if (S.Code == kStatusDivisionByZero)
    throw RuntimeError(Site + ": integer division by zero");
  throw RuntimeError(Site + ": compiled code failed with status " +
                     std::to_string(S.Code));
}

void callInterpreter(const CompiledImpl &I, ContextImpl &C, const Bindings &B,
                     const int64_t *Sym, const int64_t *OutBytes) {
  TensorMap Args;
  for (size_t A = 0; A < I.Args.size(); ++A) {
    const Bindings::Entry &E = B.arguments()[A];
    Tensor T(E.Type, E.Shape);
    if (T.nbytes())
      std::memcpy(T.raw(), E.Data, T.nbytes());
    Args.emplace(I.Args[A].Name, std::move(T));
  }
  EvalOptions Options;
  for (size_t S = 0; S < I.Symbols.size(); ++S)
    Options.Bindings[I.Symbols.names()[S]] = Sym[S];
  TensorMap Outs = evaluate(I.Fused, Args, Options);
  for (size_t O = 0; O < I.Outs.size(); ++O)
    if (OutBytes[O])
      std::memcpy(const_cast<void *>(C.Outs[O].Data),
                  Outs.at(I.Outs[O].Name).raw(),
                  static_cast<size_t>(OutBytes[O]));
  for (size_t A = 0; A < I.Args.size(); ++A)
    if (I.Args[A].Updated) {
      const Tensor &T = Args.at(I.Args[A].Name);
      if (T.nbytes())
        std::memcpy(B.arguments()[A].Data, T.raw(), T.nbytes());
    }
}

/// Whether every buffer of the current layout is no larger than in the
/// layout that sized the workspace.
bool fitsLargestLayout(const ContextImpl &C) {
  if (C.MaxSizes.size() != C.Layout.Sizes.size())
    return false;
  for (size_t B = 0; B < C.MaxSizes.size(); ++B)
    if (C.Layout.Sizes[B] > C.MaxSizes[B])
      return false;
  return true;
}

/// Re-plans the workspace when the binding changed. First-fit by size is
/// not monotone (smaller buffers may pack worse), so a layout that does not
/// fit falls back to the offsets of the layout that sized the workspace
/// when every buffer is no larger: a smaller binding never allocates.
void planFor(const CompiledImpl &I, ContextImpl &C) {
  if (C.Planned && C.Sym == C.LastSym)
    return;
  checkDims(*I.P, C.Sym.data());
  C.Planned = false; // until the layout below is complete
  layoutWorkspace(*I.P, C.Sym.data(), C.Layout);
  if (static_cast<size_t>(C.Layout.Size) > C.WorkspaceCap) {
    if (fitsLargestLayout(C)) {
      C.Layout.Offsets = C.MaxOffsets; // same length: no allocation
    } else {
      C.Workspace = growTo(C.Workspace, C.WorkspaceCap,
                           static_cast<size_t>(C.Layout.Size));
      C.MaxOffsets = C.Layout.Offsets;
      C.MaxSizes = C.Layout.Sizes;
    }
  }
  C.LastSym = C.Sym;
  C.Planned = true;
}

/// The slot table of one call: bound memory, outputs, workspace offsets.
void fillTable(const CompiledImpl &I, ContextImpl &C, const Bindings &B) {
  const Plan &P = *I.P;
  for (size_t S = 0; S < P.Slots.size(); ++S) {
    const plan::Slot &Sl = P.Slots[S];
    if (Sl.Kind == plan::SlotKind::Argument)
      C.Table[S] = B.arguments()[Sl.Index].Data;
    else if (Sl.Kind == plan::SlotKind::Output)
      C.Table[S] = const_cast<void *>(C.Outs[Sl.Index].Data);
    else
      C.Table[S] =
          static_cast<char *>(C.Workspace) + C.Layout.Offsets[Sl.Index];
  }
}

/// Checks every argument's shape; its byte size into ArgBytes.
void checkArguments(const CompiledImpl &I, const Bindings &B,
                    const int64_t *Sym, int64_t *ArgBytes) {
  for (size_t A = 0; A < I.Args.size(); ++A) {
    const Bindings::Entry &E = B.arguments()[A];
    int64_t N;
    if (!shapeMatches(I.Args[A], E.Shape, Sym, &N))
      throw RuntimeError("argument '" + I.Args[A].Name + "': expected " +
                         I.Args[A].Type.str() + withSymbols(I, I.Args[A], Sym) +
                         ", got " + gotText(E));
    ArgBytes[A] = N * static_cast<int64_t>(dtypeSize(E.Type));
  }
}

} // namespace

void CompiledFunction::call(CallContext &Ctx, Bindings &B) const {
  const CompiledImpl &I = *Impl;
  ContextImpl &C = *Ctx.Impl;
  if (C.Fn.get() != &I)
    throw Error("this CallContext belongs to another compiled function");
  int64_t *Sym = C.Sym.data();
  bindSymbols(I, B, B.arguments(), Sym);
  // Byte sizes of the arguments and outputs (on the heap only for
  // functions with more than 64 of either).
  constexpr size_t kStackPorts = 64;
  int64_t ArgStack[kStackPorts], OutStack[kStackPorts];
  std::vector<int64_t> Heap;
  int64_t *ArgBytes = ArgStack, *OutBytes = OutStack;
  if (I.Args.size() > kStackPorts || I.Outs.size() > kStackPorts) {
    Heap.resize(I.Args.size() + I.Outs.size());
    ArgBytes = Heap.data();
    OutBytes = Heap.data() + I.Args.size();
  }
  checkArguments(I, B, Sym, ArgBytes);
  prepareOutputs(I, B, C, Sym, OutBytes);
  checkAliasing(I, B.arguments(), C, ArgBytes, OutBytes);
  if (I.Interpreted) {
    callInterpreter(I, C, B, Sym, OutBytes);
    return;
  }
  planFor(I, C);
  fillTable(I, C, B);
  C.State.Code = kStatusOk;
  C.State.Site = -1;
  C.State.Gemm = &C.Gemm;
  if (I.Entry(C.Table.data(), Sym, &C.State) != kStatusOk)
    throwStatus(I, C.State);
}

TensorMap CompiledFunction::call(CallContext &Ctx, const TensorMap &Inputs,
                                 TensorMap &Params,
                                 const DimBindings &Dims) const {
  Bindings B = newBindings();
  for (const auto &[Sym, Value] : Dims)
    B.setDim(Sym, Value);
  for (const detail::PortInfo &A : Impl->Args) {
    if (auto It = Params.find(A.Name); It != Params.end())
      B.bindParam(A.Name, It->second);
    else if (auto In = Inputs.find(A.Name); In != Inputs.end())
      B.bind(A.Name, In->second);
  }
  call(Ctx, B);
  TensorMap Out;
  for (const detail::PortInfo &O : Impl->Outs) {
    TensorView V = Ctx.output(O.Name);
    Tensor T(V.Type, std::vector<int64_t>(V.Shape.begin(), V.Shape.end()));
    if (T.nbytes())
      std::memcpy(T.raw(), V.Data, T.nbytes());
    Out[O.Name] = std::move(T);
  }
  return Out;
}

} // namespace netjit
