//===- dim_expr.cpp - Symbolic dims evaluated at call time
//-----------------===//
//
// Collecting a graph's symbols (types and dim attributes, through kernel and
// scan bodies) and evaluating compiled dim polynomials with overflow checks.
//
//===----------------------------------------------------------------------===//
#include "codegen/dim_expr.h"

#include "ir/error.h"

#include <algorithm>
#include <set>

namespace netjit {
namespace {

void collectAttrs(const Attrs &A, std::set<std::string> &Out) {
  for (const auto &[Key, Value] : A.entries()) {
    if (const Dim *D = std::get_if<Dim>(&Value))
      D->collectSymbols(Out);
    else if (const auto *L = std::get_if<std::vector<Dim>>(&Value))
      for (const Dim &D : *L)
        D.collectSymbols(Out);
  }
}

void collectGraph(const Graph &G, std::set<std::string> &Out) {
  for (NodeId Id : G.liveNodes()) {
    const Node &N = G.node(Id);
    for (const Dim &D : N.Type.Dims)
      D.collectSymbols(Out);
    for (const TensorType &T : N.Results)
      for (const Dim &D : T.Dims)
        D.collectSymbols(Out);
    collectAttrs(N.Attributes, Out);
    if (N.Body)
      collectGraph(*N.Body, Out);
  }
}

} // namespace

void SymbolTable::collect(const Graph &G) {
  std::set<std::string> All;
  collectGraph(G, All);
  Names.assign(All.begin(), All.end());
}

int SymbolTable::indexOf(std::string_view Name) const {
  auto It = std::lower_bound(Names.begin(), Names.end(), Name);
  return It != Names.end() && *It == Name ? static_cast<int>(It - Names.begin())
                                          : -1;
}

DimExpr::DimExpr(const Dim &D, const SymbolTable &Symbols) : Source(D) {
  for (const Dim::Term &T : D.terms()) {
    Term Out{T.Coeff, static_cast<uint32_t>(Syms.size()),
             static_cast<uint32_t>(T.Syms.size())};
    for (const std::string &S : T.Syms) {
      int I = Symbols.indexOf(S);
      NJ_CHECK(I >= 0, "symbol " << S << " missing from the symbol table");
      Syms.push_back(static_cast<uint32_t>(I));
    }
    Terms.push_back(Out);
  }
}

bool DimExpr::eval(const int64_t *Values, int64_t &Out) const {
  int64_t Sum = 0;
  for (const Term &T : Terms) {
    int64_t P = T.Coeff;
    for (uint32_t I = 0; I < T.Count; ++I)
      if (__builtin_mul_overflow(P, Values[Syms[T.First + I]], &P))
        return false;
    if (__builtin_add_overflow(Sum, P, &Sum))
      return false;
  }
  Out = Sum;
  return true;
}

} // namespace netjit
