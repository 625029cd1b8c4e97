//===- plan_layout.cpp - Dims at call time and the workspace layout -------===//
//
// The binding-dependent half of planning: the dim conditions a binding
// must meet, and the workspace layout. layoutWorkspace is first-fit over
// buffers sorted by size (largest first), each placed at the lowest offset that
// does not overlap a placed buffer whose live interval meets its own; it works
// in vectors that are sized once, so a re-plan at a new binding allocates
// nothing.
//
//===----------------------------------------------------------------------===//
#include "codegen/plan.h"

#include "ir/error.h"

#include <algorithm>

namespace netjit {

//===----------------------------------------------------------------------===//
// Checks and layout
//===----------------------------------------------------------------------===//

namespace {

int64_t evalOrThrow(const DimExpr &E, const int64_t *Values,
                    const std::string &What) {
  int64_t V;
  if (!E.eval(Values, V))
    throw RuntimeError("dim " + E.dim().str() + " (" + What +
                       ") overflows int64");
  return V;
}

} // namespace

void checkDims(const Plan &P, const int64_t *Values) {
  using plan::DimCheck;
  for (const DimCheck &C : P.Checks) {
    int64_t V = evalOrThrow(C.Value, Values, C.What);
    int64_t Lo = evalOrThrow(C.Low, Values, C.What);
    bool Ok = true;
    std::string Want;
    switch (C.K) {
    case DimCheck::AtLeast:
      Ok = V >= Lo;
      Want = ">= " + std::to_string(Lo);
      break;
    case DimCheck::InRange: {
      int64_t Hi = evalOrThrow(C.High, Values, C.What);
      Ok = V >= Lo && V <= Hi;
      Want = "in [" + std::to_string(Lo) + ", " + std::to_string(Hi) + "]";
      break;
    }
    case DimCheck::NonEmptyIf:
      Ok = V > 0 || Lo == 0;
      Want = "> 0";
      break;
    }
    if (!Ok)
      throw RuntimeError(C.What + ": " + C.Value.dim().str() + " = " +
                         std::to_string(V) + ", expected " + Want);
  }
}

void layoutWorkspace(const Plan &P, const int64_t *Values,
                     WorkspaceLayout &Out) {
  size_t N = P.Buffers.size();
  Out.Offsets.resize(N);
  Out.Sizes.resize(N);
  Out.Order.resize(N);
  Out.Placed.resize(N);
  for (size_t B = 0; B < N; ++B) {
    const plan::Buffer &Buf = P.Buffers[B];
    int64_t Elements = evalOrThrow(Buf.Elements, Values, "a buffer size");
    int64_t Bytes;
    if (Elements < 0 ||
        __builtin_mul_overflow(Elements, int64_t{Buf.ElemBytes}, &Bytes) ||
        Bytes > (int64_t{1} << 60))
      throw RuntimeError("a workspace buffer of " + Buf.Elements.dim().str() +
                         " elements is too large (" + std::to_string(Elements) +
                         ")");
    Out.Sizes[B] = (Bytes + 63) / 64 * 64;
    Out.Order[B] = static_cast<uint32_t>(B);
  }
  std::sort(Out.Order.begin(), Out.Order.end(), [&](uint32_t A, uint32_t B) {
    if (Out.Sizes[A] != Out.Sizes[B])
      return Out.Sizes[A] > Out.Sizes[B];
    return A < B;
  });
  // Placed holds the placed buffers sorted by offset.
  size_t NumPlaced = 0;
  Out.Size = 0;
  for (uint32_t B : Out.Order) {
    int64_t Size = Out.Sizes[B];
    const plan::Buffer &Buf = P.Buffers[B];
    int64_t Offset = 0;
    if (Size > 0) {
      for (size_t I = 0; I < NumPlaced; ++I) {
        uint32_t Q = Out.Placed[I];
        const plan::Buffer &Other = P.Buffers[Q];
        if (Other.Last < Buf.First || Buf.Last < Other.First)
          continue; // never live at once
        if (Out.Offsets[Q] >= Offset + Size)
          break; // the gap before Q fits
        Offset = std::max(Offset, Out.Offsets[Q] + Out.Sizes[Q]);
      }
    }
    Out.Offsets[B] = Offset;
    Out.Size = std::max(Out.Size, Offset + Size);
    if (Size == 0)
      continue;
    size_t Pos = NumPlaced;
    while (Pos > 0 && Out.Offsets[Out.Placed[Pos - 1]] > Offset) {
      Out.Placed[Pos] = Out.Placed[Pos - 1];
      --Pos;
    }
    Out.Placed[Pos] = B;
    ++NumPlaced;
  }
}

} // namespace netjit
