//===- ir_text.h - Writing LLVM IR as text
//----------------------------------===//
//
// codegen emits LLVM IR as text, so no LLVM header is needed outside
// codegen/jit.cpp. A FunctionWriter hands out fresh value and block names,
// tracks the current block, and writes the one loop shape every emitter
// uses: a guarded, rotated loop with an i64 induction variable and a
// dedicated latch, which is the form LLVM's loop vectorizer expects.
// Values are SSA names (`%t12`) or literals (`0x3FF0000000000000`, `7`,
// `true`); types are spelled by regType / memType.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dtype.h"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace netjit::codegen {

/// The register type of a dtype: float, double, i32, i64, i1.
std::string_view regType(DType T);
/// The memory type of a dtype: as regType, but bool is i8.
std::string_view memType(DType T);
/// The LLVM suffix of a float type for intrinsics: "f32" / "f64".
std::string_view floatSuffix(DType T);

/// An LLVM literal of the element at Bytes (in dtype T). Floats are written
/// as the exact 64-bit hex form LLVM requires (NaN payloads kept).
std::string literalFromBytes(DType T, const uint8_t *Bytes);
/// A float literal of V rounded to T (f32 or f64).
std::string floatLiteral(DType T, double V);
/// An integer or float literal of V in T (bool: V != 0).
std::string numberLiteral(DType T, double V);

/// Module-wide declarations (intrinsics, libm functions), deduplicated,
/// and whether netjit's vector math (codegen/vecmath.h) is needed per
/// float type.
struct Declarations {
  std::set<std::string> Lines;
  bool VecmathF32 = false, VecmathF64 = false;
  /// The next free metadata number of the module.
  unsigned NextMetadata = 0;
  void add(std::string Line) { Lines.insert(std::move(Line)); }
};

class FunctionWriter {
public:
  explicit FunctionWriter(Declarations &Decls) : Decls(Decls) {}

  /// A fresh SSA name, "%<hint><n>".
  std::string tmp(std::string_view Hint = "t");
  /// A fresh block label (without the %).
  std::string label(std::string_view Hint);
  /// Writes one instruction line.
  void emit(std::string_view Line);
  /// Starts a block; it becomes the current one.
  void startBlock(const std::string &Label);
  const std::string &block() const { return Current; }
  /// Declares an external function or intrinsic for the module.
  void declare(std::string Line) { Decls.add(std::move(Line)); }
  /// Marks netjit's vector math for T as used by the module.
  void useVecmath(DType T) {
    (T == DType::F64 ? Decls.VecmathF64 : Decls.VecmathF32) = true;
  }
  const std::string &text() const { return Text; }

  /// A value carried around a loop: Phi starts at Init and takes Next
  /// (which the body must define under exactly that name) each iteration;
  /// its value at the exit is named Out (a fresh name when empty).
  struct Carried {
    std::string Type, Init, Phi, Next, Out = {};
  };
  struct Loop {
    std::string Iv, Trip, Pre, Body, Latch, Exit;
    std::vector<Carried> Vars;
    /// After endLoop: each variable's value at the exit (Init if the loop
    /// ran zero times).
    std::vector<std::string> Out;
    /// The latch branch's `llvm.loop` metadata ("!7"), if set before
    /// endLoop (loopMetadata).
    std::string Metadata = {};
  };
  /// Emits the guard and the loop header; the body follows.
  Loop beginLoop(const std::string &Trip, std::vector<Carried> Vars = {},
                 std::string_view Hint = "loop");
  /// Closes the body, emits the latch and the exit block (now current).
  void endLoop(Loop &L);
  /// A distinct `llvm.loop` node (module-level metadata) holding one
  /// property such as `!{!"llvm.loop.unroll.count", i32 2}`; returns its
  /// name for Loop::Metadata.
  std::string loopMetadata(const std::string &Property);

  /// `getelementptr inbounds <Elem>, ptr Base, i64 Offset`.
  std::string gep(std::string_view Elem, const std::string &Base,
                  const std::string &Offset);
  /// A byte offset into a struct.
  std::string bytePtr(const std::string &Base, size_t Offset);
  /// Loads element Offset of a T buffer into a register (bool -> i1).
  std::string load(DType T, const std::string &Base, const std::string &Offset);
  /// Stores a register value as element Offset of a T buffer.
  void store(DType T, const std::string &Value, const std::string &Base,
             const std::string &Offset);
  /// Integer arithmetic on i64 values, folding literal operands.
  std::string mul(const std::string &A, const std::string &B);
  std::string add(const std::string &A, const std::string &B);

private:
  Declarations &Decls;
  std::string Text, Current;
  unsigned Counter = 0;
};

} // namespace netjit::codegen
