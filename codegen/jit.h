//===- jit.h - netjit's ORC JIT wrapper -----------------------------------===//
//
// A small JIT shaped like LLVM's KaleidoscopeJIT, behind netjit's own types so
// that no LLVM header leaks past codegen/. A Jit targets the host (its CPU
// name and features), optimizes every module with the new pass manager's O3
// pipeline and gives each module its own resource tracker: a JitModule owns
// the code of one module and frees it when destroyed.
//
// Modules come in as LLVM IR text: addModule links one into the JIT's main
// library; compileObject turns one into a relocatable object file (position
// independent, so it can be linked at any address in any process) and
// addObject links such a file into a library of its own, so the same object
// (a compile cache entry, codegen/compile_cache.h) can be loaded again while
// an earlier copy is still alive. The built-in kernels below are built with
// IRBuilder and prove the toolchain end to end (IR, O3 vectorization, JIT
// linking, calling). LLVM's errors are converted to netjit::Error here.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace netjit {

/// How a Jit compiles.
struct JitOptions {
  /// 0 to 3: the new pass manager's O<level> pipeline and the code generator's
  /// matching level.
  int OptLevel = 3;
};

/// Kernels built with IRBuilder inside codegen/, used to test the toolchain.
enum class BuiltinKernel {
  /// `double netjit_dot(const double *A, const double *B, int64_t N)`.
  DotF64,
  /// `float netjit_sum_squares(const float *X, int64_t N)`.
  SumSquaresF32,
};

/// The LLVM release netjit is built against ("19.1.7").
std::string_view llvmVersionString();

/// The symbol a built-in kernel is defined as ("netjit_dot", ...).
std::string_view builtinKernelSymbol(BuiltinKernel K);
/// The unoptimized LLVM IR text of a built-in kernel. Its floating-point
/// reduction carries `reassoc` so that O3 vectorizes it.
std::string builtinKernelIR(BuiltinKernel K);

namespace detail {
struct JitState;
struct JitModuleState;
} // namespace detail

/// The code of one module added to a Jit. Destroying (or reset()ting) it
/// removes the code; it keeps its Jit's session alive meanwhile.
class JitModule {
public:
  JitModule();
  ~JitModule();
  JitModule(JitModule &&) noexcept;
  JitModule &operator=(JitModule &&) noexcept;

  /// The address of a function the module defines; throws netjit::Error
  /// naming the symbol when it is not there.
  void *lookup(std::string_view Symbol) const;
  template <class Fn> Fn lookupAs(std::string_view Symbol) const {
    return reinterpret_cast<Fn>(lookup(Symbol));
  }
  /// Frees the module's code now; lookups are invalid afterwards.
  void reset();
  bool valid() const { return State != nullptr; }

private:
  friend class Jit;
  explicit JitModule(std::unique_ptr<detail::JitModuleState> S);
  std::unique_ptr<detail::JitModuleState> State;
};

/// An ORC LLJIT for the host CPU with an O3 pipeline.
class Jit {
public:
  /// Builds the JIT for the host; throws netjit::Error if LLVM cannot.
  static std::unique_ptr<Jit> create(const JitOptions &Options = {});
  ~Jit();
  Jit(const Jit &) = delete;
  Jit &operator=(const Jit &) = delete;

  /// The host CPU as LLVM names it ("znver5", "skylake-avx512", ...).
  const std::string &hostCpuName() const;
  /// The enabled host features, comma-separated ("+avx2,+fma,...").
  const std::string &hostFeatures() const;
  /// The target triple ("x86_64-pc-linux-gnu").
  const std::string &targetTriple() const;
  /// True when the host has the named feature ("avx512f", "avx2").
  bool hasFeature(std::string_view Feature) const;

  /// Parses, verifies, optimizes and adds LLVM IR text as one module in its
  /// own resource tracker. Name labels errors. Throws netjit::Error with
  /// LLVM's diagnostic for malformed IR or a failed link.
  JitModule addModule(std::string_view IRText, std::string_view Name);
  /// Parses, verifies and optimizes LLVM IR text and compiles it to an ELF
  /// object file for the host (the bytes of the file). Deterministic: the
  /// same text on the same JIT configuration gives the same bytes.
  std::string compileObject(std::string_view IRText, std::string_view Name);
  /// Links an object file made by compileObject into a JITDylib of its own
  /// (so its global symbols may repeat those of other modules). Throws
  /// netjit::Error when the bytes are not an object file LLVM can link; an
  /// undefined symbol is reported by the first lookup.
  JitModule addObject(std::string_view Object, std::string_view Name);
  /// Builds and adds a built-in kernel.
  JitModule addBuiltin(BuiltinKernel K);

  /// The IR text after this JIT's optimization pipeline.
  std::string optimizeIR(std::string_view IRText, std::string_view Name);
  /// The host assembly of the optimized IR (not added to the JIT).
  std::string emitAssembly(std::string_view IRText, std::string_view Name);

private:
  explicit Jit(std::shared_ptr<detail::JitState> S);
  std::shared_ptr<detail::JitState> State;
};

} // namespace netjit
