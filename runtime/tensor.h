//===- tensor.h - Dense host tensors ---------------------------------------===//
//
// A Tensor is a dtype, a concrete shape and a 64-byte aligned, C-ordered
// buffer. Tensors have value semantics: copying a tensor copies its data.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dtype.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace netjit {

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor.
  Tensor(DType T, std::vector<int64_t> Shape);
  Tensor(const Tensor &O);
  Tensor &operator=(const Tensor &O);
  Tensor(Tensor &&) noexcept = default;
  Tensor &operator=(Tensor &&) noexcept = default;

  /// A rank-0 tensor holding V converted to T.
  static Tensor scalar(double V, DType T = DType::F32);
  /// A tensor holding Values converted to T, with the given shape.
  static Tensor fromValues(DType T, std::vector<int64_t> Shape,
                           std::span<const double> Values);

  DType dtype() const { return Type; }
  const std::vector<int64_t> &shape() const { return Dims; }
  size_t rank() const { return Dims.size(); }
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtypeSize(Type); }

  void *raw() { return Data.get(); }
  const void *raw() const { return Data.get(); }
  /// Typed access; aborts if T does not match the dtype (an internal error).
  template <class T> T *data();
  template <class T> const T *data() const;

  /// Element I (flat, C order) converted to or from double.
  double at(int64_t I) const;
  void set(int64_t I, double V);

  /// "f32[2,3]"
  std::string typeStr() const;

private:
  DType Type = DType::F32;
  std::vector<int64_t> Dims;
  struct Free {
    void operator()(uint8_t *P) const;
  };
  std::unique_ptr<uint8_t[], Free> Data;
};

} // namespace netjit
