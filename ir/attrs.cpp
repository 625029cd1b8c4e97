//===- attrs.cpp - Node attribute dictionaries -----------------------------===//
#include "ir/attrs.h"
#include "ir/error.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>

namespace netjit {
namespace {

/// Constant dims become ints and all-constant dim lists int lists, so that a
/// builder and the parser produce identical keys.
AttrValue canonicalize(AttrValue V) {
  if (auto *D = std::get_if<Dim>(&V))
    if (D->isConstant())
      return D->constant();
  if (auto *Ds = std::get_if<std::vector<Dim>>(&V)) {
    if (std::all_of(Ds->begin(), Ds->end(), [](const Dim &D) { return D.isConstant(); })) {
      std::vector<int64_t> Ints;
      for (const Dim &D : *Ds)
        Ints.push_back(D.constant());
      return Ints;
    }
  }
  return V;
}

const char *kindName(const AttrValue &V) {
  static const char *Names[] = {"int",   "float",   "bool",     "string", "dtype",
                                "ints", "dim", "dim list", "bytes"};
  return Names[V.index()];
}

size_t hashValue(const AttrValue &V) {
  size_t H = V.index() * 0x9e3779b97f4a7c15ull;
  auto Mix = [&H](size_t X) { H = (H ^ X) * 0x100000001b3ull; };
  std::visit(
      [&](const auto &X) {
        using T = std::decay_t<decltype(X)>;
        if constexpr (std::is_same_v<T, double>)
          Mix(std::bit_cast<uint64_t>(X));
        else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, bool>)
          Mix(static_cast<size_t>(X));
        else if constexpr (std::is_same_v<T, std::string>)
          Mix(std::hash<std::string>()(X));
        else if constexpr (std::is_same_v<T, DType>)
          Mix(static_cast<size_t>(X));
        else if constexpr (std::is_same_v<T, std::vector<int64_t>>)
          for (int64_t I : X)
            Mix(static_cast<size_t>(I));
        else if constexpr (std::is_same_v<T, Dim>)
          Mix(X.hash());
        else if constexpr (std::is_same_v<T, std::vector<Dim>>)
          for (const Dim &D : X)
            Mix(D.hash());
        else
          Mix(std::hash<std::string_view>()(std::string_view(
              reinterpret_cast<const char *>(X.Data.data()), X.Data.size())));
      },
      V);
  return H;
}

/// Bit-pattern equality for doubles (NaN == NaN, -0.0 != 0.0).
bool sameValue(const AttrValue &A, const AttrValue &B) {
  if (A.index() != B.index())
    return false;
  if (auto *X = std::get_if<double>(&A))
    return std::bit_cast<uint64_t>(*X) == std::bit_cast<uint64_t>(std::get<double>(B));
  return A == B;
}

} // namespace

Attrs::Attrs(std::initializer_list<std::pair<std::string, AttrValue>> Init) {
  for (const auto &[K, V] : Init)
    set(K, V);
}

Attrs &Attrs::set(std::string_view Key, AttrValue Value) {
  Value = canonicalize(std::move(Value));
  auto It = std::lower_bound(Entries.begin(), Entries.end(), Key,
                             [](const auto &E, std::string_view K) { return E.first < K; });
  if (It != Entries.end() && It->first == Key)
    It->second = std::move(Value);
  else
    Entries.insert(It, {std::string(Key), std::move(Value)});
  return *this;
}

const AttrValue *Attrs::find(std::string_view Key) const {
  auto It = std::lower_bound(Entries.begin(), Entries.end(), Key,
                             [](const auto &E, std::string_view K) { return E.first < K; });
  return It != Entries.end() && It->first == Key ? &It->second : nullptr;
}

bool Attrs::has(std::string_view Key) const { return find(Key) != nullptr; }

namespace {
template <class T>
const T &need(const Attrs &A, std::string_view Key, const char *Want) {
  const AttrValue *V = A.find(Key);
  if (!V)
    throw TypeError("missing attribute '" + std::string(Key) + "'");
  if (const T *X = std::get_if<T>(V))
    return *X;
  throw TypeError("attribute '" + std::string(Key) + "' must be " + Want +
                  ", got " + kindName(*V));
}
} // namespace

int64_t Attrs::getInt(std::string_view Key) const {
  return need<int64_t>(*this, Key, "an int");
}

double Attrs::getDouble(std::string_view Key) const {
  if (const AttrValue *V = find(Key))
    if (const int64_t *I = std::get_if<int64_t>(V))
      return static_cast<double>(*I);
  return need<double>(*this, Key, "a float");
}

bool Attrs::getBool(std::string_view Key) const {
  return need<bool>(*this, Key, "a bool");
}

const std::string &Attrs::getString(std::string_view Key) const {
  return need<std::string>(*this, Key, "a string");
}

DType Attrs::getDType(std::string_view Key) const {
  return need<DType>(*this, Key, "a dtype");
}

std::vector<int64_t> Attrs::getInts(std::string_view Key) const {
  return need<std::vector<int64_t>>(*this, Key, "a list of ints");
}

Dim Attrs::getDim(std::string_view Key) const {
  if (const AttrValue *V = find(Key))
    if (const int64_t *I = std::get_if<int64_t>(V))
      return Dim(*I);
  return need<Dim>(*this, Key, "a dim");
}

std::vector<Dim> Attrs::getDims(std::string_view Key) const {
  if (const AttrValue *V = find(Key))
    if (const auto *Is = std::get_if<std::vector<int64_t>>(V))
      return std::vector<Dim>(Is->begin(), Is->end());
  return need<std::vector<Dim>>(*this, Key, "a list of dims");
}

const Bytes &Attrs::getBytes(std::string_view Key) const {
  return need<Bytes>(*this, Key, "bytes");
}

int64_t Attrs::getInt(std::string_view Key, int64_t Default) const {
  return has(Key) ? getInt(Key) : Default;
}

bool Attrs::getBool(std::string_view Key, bool Default) const {
  return has(Key) ? getBool(Key) : Default;
}

bool Attrs::operator==(const Attrs &O) const {
  if (Entries.size() != O.Entries.size())
    return false;
  for (size_t I = 0; I < Entries.size(); ++I)
    if (Entries[I].first != O.Entries[I].first ||
        !sameValue(Entries[I].second, O.Entries[I].second))
      return false;
  return true;
}

size_t Attrs::hash() const {
  size_t H = Entries.size();
  for (const auto &[K, V] : Entries)
    H = (H * 31 + std::hash<std::string>()(K)) * 31 + hashValue(V);
  return H;
}

} // namespace netjit
