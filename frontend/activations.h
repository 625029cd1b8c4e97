//===- activations.h - Layer activation functions -------------------------===//
//
// Every activation of theanets, by name (case-insensitive):
//   linear, sigmoid/logistic, tanh, softmax, relu/rect:max, rect:min
//   (min(x, 1)), rect:minmax (clip(x, 0, 1)), softplus, norm:mean, norm:max,
//   norm:std, norm:z, prelu/leaky-relu, lgrelu/leaky-gain-relu, elu,
//   maxout:k, and compositions "a+b+c" applied left to right (c(b(a(x)))).
// The norm:* family works over the last axis. prelu (leak), lgrelu (gain,
// leak), elu (gain) and maxout (slope, intercept) have learnable per-unit
// parameters, named "<layer>.leak" and so on; docs/guide.md has every
// formula.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"
#include "frontend/init.h"

#include <memory>
#include <string>
#include <string_view>

namespace netjit {

/// A layer's learnable parameters, as an activation sees them: created
/// (with an initial value) when the model is set up, read as Exprs when a
/// graph is built.
class LayerParams {
public:
  virtual ~LayerParams() = default;
  /// Creates "<layer>.<Suffix>" with its initial value.
  virtual void create(std::string_view Suffix, Tensor Initial) = 0;
  /// The Expr of "<layer>.<Suffix>" in the graph being built.
  virtual Expr get(std::string_view Suffix) = 0;
};

class Activation {
public:
  virtual ~Activation() = default;
  /// The name it was made from ("relu", "maxout:3", "tanh+norm:z").
  virtual std::string name() const = 0;
  /// Creates the learnable parameters for a layer of Size units.
  virtual void setup(int64_t Size, LayerParams &P, InitStream &S,
                     DType T) const {}
  /// f(X) over the last axis of X.
  virtual Expr apply(const Expr &X, LayerParams &P) const = 0;
  /// Whether unit j's output depends on unit j's input alone (false for
  /// softmax and norm:*, which mix the units of a row).
  virtual bool elementwise() const { return true; }
};

/// The activation a name describes; Error for an unknown name (the message
/// lists the known ones).
std::shared_ptr<Activation> makeActivation(std::string_view Name);

} // namespace netjit
