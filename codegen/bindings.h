//===- bindings.h - Caller memory bound to a compiled function's ports ----===//
//
// The zero-copy side of the call API: Bindings names the caller's buffers for
// a compiled function's arguments and outputs (and the symbolic dims no
// argument determines), and TensorView shows an output after a call. Both
// are plain descriptions of memory; the checks happen in
// CompiledFunction::call (codegen/compiled_function.h).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dtype.h"
#include "runtime/tensor.h"

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netjit {

class CompiledFunction;

/// Caller memory for one call: arguments and outputs bound by name. Create
/// it with CompiledFunction::newBindings() and re-bind per call; re-binding a
/// name with a shape of the same rank allocates nothing.
class Bindings {
public:
  /// One argument's or output's binding.
  struct Entry {
    std::string Name;
    void *Data = nullptr;
    std::vector<int64_t> Shape;
    DType Type = DType::F32;
    bool Bound = false, Writable = false;
  };

  /// Binds an input or param to Data (C order, of the given shape and
  /// dtype). Throws Error for a name the function has no argument for.
  /// Shapes are spans or lists: bind("x", P, {32, 784}, DType::F32).
  void bind(std::string_view Name, const void *Data,
            std::span<const int64_t> Shape, DType T);
  void bind(std::string_view Name, const void *Data,
            std::initializer_list<int64_t> Shape, DType T) {
    bind(Name, Data, std::span<const int64_t>(Shape.begin(), Shape.size()), T);
  }
  void bind(std::string_view Name, const Tensor &T);
  /// Params the function updates must be bound writable.
  void bindParam(std::string_view Name, void *Data,
                 std::span<const int64_t> Shape, DType T);
  void bindParam(std::string_view Name, Tensor &T);
  /// Binds an output to caller memory; unbound outputs go to the context
  /// (CallContext::output).
  void bindOutput(std::string_view Name, void *Data,
                  std::span<const int64_t> Shape, DType T);
  void bindOutput(std::string_view Name, void *Data,
                  std::initializer_list<int64_t> Shape, DType T) {
    bindOutput(Name, Data,
               std::span<const int64_t>(Shape.begin(), Shape.size()), T);
  }
  void bindOutput(std::string_view Name, Tensor &T);
  /// A symbolic dim the arguments do not determine.
  void setDim(std::string_view Symbol, int64_t Value);
  /// Unbinds everything (keeping the capacity).
  void clear();

  const std::vector<Entry> &arguments() const { return Arguments; }
  const std::vector<Entry> &outputs() const { return Outputs; }
  const std::vector<std::pair<std::string, int64_t>> &dims() const {
    return Dims;
  }

private:
  friend class CompiledFunction;
  Entry &find(std::vector<Entry> &List, std::string_view Name,
              const char *Kind);
  void set(Entry &E, const void *Data, std::span<const int64_t> Shape, DType T,
           bool Writable);
  std::vector<Entry> Arguments, Outputs;
  std::vector<std::pair<std::string, int64_t>> Dims;
};

/// A read-only view of an output after a call.
struct TensorView {
  const void *Data = nullptr;
  std::span<const int64_t> Shape;
  DType Type = DType::F32;
  template <class T> const T *data() const {
    return static_cast<const T *>(Data);
  }
  /// Element I converted to double (slow; for tests and printing).
  double at(int64_t I) const;
};

} // namespace netjit
