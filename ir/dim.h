//===- dim.h - Tensor dimensions: constants, symbols and their polynomials -===//
//
// A dimension is an integer polynomial over named symbols: a constant (784),
// a symbol (B, the batch; T, the time), or a small expression of them (B*T for
// a flattened sequence batch, T-1 for neighbouring steps, 2*H). Dims are kept
// in a canonical form (a sorted sum of monomials with non-zero coefficients),
// so structural equality is semantic equality of the polynomials and
// reshape(f32[B,T,D]) -> f32[B*T,D] checks by comparing products.
//
// Dims are small, immutable values: a constant is stored inline, a symbolic
// dim shares its term list.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace netjit {

/// Values bound to symbolic dims for one evaluation, e.g. {B: 32, T: 10}.
using DimBindings = std::map<std::string, int64_t, std::less<>>;

class Dim {
public:
  /// One monomial: Coeff * Syms[0] * Syms[1] * ... (Syms sorted, may repeat).
  struct Term {
    int64_t Coeff;
    std::vector<std::string> Syms;
    bool operator==(const Term &O) const = default;
  };

  Dim(int64_t Constant = 0) : Constant(Constant) {} // NOLINT: implicit on purpose
  static Dim symbol(std::string_view Name);

  bool isConstant() const { return !Terms; }
  /// The value of a constant dim; must only be called when isConstant().
  int64_t constant() const;
  /// The canonical terms (a constant dim has one term, or none for 0).
  std::vector<Term> terms() const;

  /// The value under the given bindings; nullopt when a symbol is unbound.
  std::optional<int64_t> evaluate(const DimBindings &Bindings) const;
  /// Adds every symbol the dim mentions to Out.
  void collectSymbols(std::set<std::string> &Out) const;

  Dim operator+(const Dim &O) const;
  Dim operator-(const Dim &O) const;
  Dim operator*(const Dim &O) const;
  bool operator==(const Dim &O) const;
  bool operator!=(const Dim &O) const { return !(*this == O); }
  /// A total order (constants first), used to sort and key dims.
  bool operator<(const Dim &O) const;
  size_t hash() const;

  /// The IR spelling: "784", "B", "B*T", "T-1", "2*B+1", "B*B".
  std::string str() const;

private:
  static Dim fromTerms(std::vector<Term> Terms);
  int64_t Constant = 0;
  std::shared_ptr<const std::vector<Term>> Terms; // null for constants
};

/// A tensor shape; rank 0 (`[]`) is a scalar.
using Shape = std::vector<Dim>;

/// "[B,784]"
std::string shapeStr(const Shape &S);
/// The number of elements, as a dim (product of the dims; 1 for scalars).
Dim numElements(const Shape &S);
/// Concrete dims under the bindings; throws RuntimeError naming the first
/// unbound symbol or a dim that evaluates negative.
std::vector<int64_t> evaluateShape(const Shape &S, const DimBindings &Bindings);
size_t hashShape(const Shape &S);

/// Parses a dim expression: integers, symbols, + - *, parentheses. Returns
/// nullopt and sets Error (with the offset of the problem) when malformed.
std::optional<Dim> parseDim(std::string_view Text, std::string *Error = nullptr,
                            size_t *ErrorOffset = nullptr);

} // namespace netjit
