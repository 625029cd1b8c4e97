//===- tensor.cpp - Dense host tensors ------------------------------------===//
//
// Storage is one zero-filled, 64-byte aligned block (so the JIT's vector
// loads and Eigen's maps may assume alignment), owned by a unique_ptr with a
// matching deleter; copying a tensor copies the block. Element access by
// double goes through a switch over the dtype, so it is slow and only meant
// for tests, the interpreter and I/O.
//
//===----------------------------------------------------------------------===//
#include "runtime/tensor.h"

#include "ir/error.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>

namespace netjit {
namespace {

constexpr size_t kAlignment = 64;

/// Allocates Bytes (rounded up to the alignment, at least one block) of
/// zeroed, aligned memory.
uint8_t *allocateZeroed(size_t Bytes) {
  size_t Rounded = (Bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (Rounded == 0)
    Rounded = kAlignment;
  void *P = std::aligned_alloc(kAlignment, Rounded);
  if (!P)
    throw RuntimeError("cannot allocate " + std::to_string(Bytes) +
                       " bytes for a tensor");
  std::memset(P, 0, Rounded);
  return static_cast<uint8_t *>(P);
}

/// The element count of Shape; throws RuntimeError for a negative dim or a
/// product that does not fit in memory.
int64_t checkedNumel(const std::vector<int64_t> &Shape, DType T) {
  for (int64_t D : Shape)
    if (D < 0)
      throw RuntimeError("tensor shape has a negative dim (" +
                         std::to_string(D) + ")");
  for (int64_t D : Shape)
    if (D == 0)
      return 0;
  int64_t N = 1;
  const int64_t Limit =
      std::numeric_limits<int64_t>::max() / static_cast<int64_t>(dtypeSize(T));
  for (int64_t D : Shape) {
    if (N > Limit / D)
      throw RuntimeError("tensor shape is too large to allocate");
    N *= D;
  }
  return N;
}

template <class T> constexpr DType dtypeOf();
template <> constexpr DType dtypeOf<float>() { return DType::F32; }
template <> constexpr DType dtypeOf<double>() { return DType::F64; }
template <> constexpr DType dtypeOf<int32_t>() { return DType::I32; }
template <> constexpr DType dtypeOf<int64_t>() { return DType::I64; }
template <> constexpr DType dtypeOf<bool>() { return DType::Bool; }

/// Converts V to an integer type like a C cast would, but without undefined
/// behaviour for NaN or values out of range (they saturate; NaN gives 0).
template <class I> I toInteger(double V) {
  if (std::isnan(V))
    return 0;
  if (V <= static_cast<double>(std::numeric_limits<I>::min()))
    return std::numeric_limits<I>::min();
  if (V >= static_cast<double>(std::numeric_limits<I>::max()))
    return std::numeric_limits<I>::max();
  return static_cast<I>(V);
}

} // namespace

void Tensor::Free::operator()(uint8_t *P) const { std::free(P); }

Tensor::Tensor(DType T, std::vector<int64_t> Shape)
    : Type(T), Dims(std::move(Shape)) {
  size_t Bytes = static_cast<size_t>(checkedNumel(Dims, T)) * dtypeSize(T);
  Data.reset(allocateZeroed(Bytes));
}

Tensor::Tensor(const Tensor &O) : Type(O.Type), Dims(O.Dims) {
  if (!O.Data)
    return;
  Data.reset(allocateZeroed(O.nbytes()));
  std::memcpy(Data.get(), O.Data.get(), O.nbytes());
}

Tensor &Tensor::operator=(const Tensor &O) {
  if (this != &O) {
    Tensor Copy(O);
    *this = std::move(Copy);
  }
  return *this;
}

Tensor Tensor::scalar(double V, DType T) {
  Tensor R(T, {});
  R.set(0, V);
  return R;
}

Tensor Tensor::fromValues(DType T, std::vector<int64_t> Shape,
                          std::span<const double> Values) {
  Tensor R(T, std::move(Shape));
  if (static_cast<int64_t>(Values.size()) != R.numel())
    throw RuntimeError("Tensor::fromValues: " + std::to_string(Values.size()) +
                       " values for a tensor of type " + R.typeStr() + " (" +
                       std::to_string(R.numel()) + " elements)");
  for (size_t I = 0; I < Values.size(); ++I)
    R.set(static_cast<int64_t>(I), Values[I]);
  return R;
}

int64_t Tensor::numel() const {
  // The constructor checked that the product fits; a zero dim anywhere makes
  // it zero even when the other dims' product alone would not.
  int64_t N = 1;
  for (int64_t D : Dims)
    if (D == 0)
      return 0;
  for (int64_t D : Dims)
    N *= D;
  return N;
}

template <class T> T *Tensor::data() {
  NJ_CHECK(Type == dtypeOf<T>(), "Tensor::data: requested "
                                     << dtypeName(dtypeOf<T>())
                                     << " from a tensor of type " << typeStr());
  return reinterpret_cast<T *>(Data.get());
}

template <class T> const T *Tensor::data() const {
  NJ_CHECK(Type == dtypeOf<T>(), "Tensor::data: requested "
                                     << dtypeName(dtypeOf<T>())
                                     << " from a tensor of type " << typeStr());
  return reinterpret_cast<const T *>(Data.get());
}

template float *Tensor::data<float>();
template double *Tensor::data<double>();
template int32_t *Tensor::data<int32_t>();
template int64_t *Tensor::data<int64_t>();
template bool *Tensor::data<bool>();
template const float *Tensor::data<float>() const;
template const double *Tensor::data<double>() const;
template const int32_t *Tensor::data<int32_t>() const;
template const int64_t *Tensor::data<int64_t>() const;
template const bool *Tensor::data<bool>() const;

double Tensor::at(int64_t I) const {
  NJ_CHECK(I >= 0 && I < numel(),
           "Tensor::at: index " << I << " out of range for " << typeStr());
  const uint8_t *P = Data.get();
  switch (Type) {
  case DType::F32:
    return reinterpret_cast<const float *>(P)[I];
  case DType::F64:
    return reinterpret_cast<const double *>(P)[I];
  case DType::I32:
    return reinterpret_cast<const int32_t *>(P)[I];
  case DType::I64:
    return static_cast<double>(reinterpret_cast<const int64_t *>(P)[I]);
  case DType::Bool:
    return P[I] != 0 ? 1.0 : 0.0;
  }
  return 0;
}

void Tensor::set(int64_t I, double V) {
  NJ_CHECK(I >= 0 && I < numel(),
           "Tensor::set: index " << I << " out of range for " << typeStr());
  uint8_t *P = Data.get();
  switch (Type) {
  case DType::F32:
    reinterpret_cast<float *>(P)[I] = static_cast<float>(V);
    return;
  case DType::F64:
    reinterpret_cast<double *>(P)[I] = V;
    return;
  case DType::I32:
    reinterpret_cast<int32_t *>(P)[I] = toInteger<int32_t>(V);
    return;
  case DType::I64:
    reinterpret_cast<int64_t *>(P)[I] = toInteger<int64_t>(V);
    return;
  case DType::Bool:
    P[I] = V != 0 ? 1 : 0;
    return;
  }
}

std::string Tensor::typeStr() const {
  std::ostringstream OS;
  OS << dtypeName(Type) << '[';
  for (size_t I = 0; I < Dims.size(); ++I)
    OS << (I ? "," : "") << Dims[I];
  OS << ']';
  return OS.str();
}

} // namespace netjit
