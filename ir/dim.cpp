//===- dim.cpp - Dimension polynomials -------------------------------------===//
//
// A symbolic dim is kept as a sorted list of monomials with non-zero integer
// coefficients; arithmetic merges and re-sorts, so two dims are equal exactly
// when their polynomials are.
//
//===----------------------------------------------------------------------===//
#include "ir/dim.h"
#include "ir/error.h"

#include <algorithm>
#include <cctype>
#include <functional>

namespace netjit {
namespace {

using Term = Dim::Term;

bool termLess(const Term &A, const Term &B) {
  if (A.Syms.size() != B.Syms.size())
    return A.Syms.size() < B.Syms.size();
  return A.Syms < B.Syms;
}

int64_t checkedAdd(int64_t A, int64_t B) {
  int64_t R;
  if (__builtin_add_overflow(A, B, &R))
    throw TypeError("dim arithmetic overflows 64 bits");
  return R;
}

int64_t checkedMul(int64_t A, int64_t B) {
  int64_t R;
  if (__builtin_mul_overflow(A, B, &R))
    throw TypeError("dim arithmetic overflows 64 bits");
  return R;
}

} // namespace

Dim Dim::symbol(std::string_view Name) {
  return fromTerms({Term{1, {std::string(Name)}}});
}

int64_t Dim::constant() const {
  NJ_CHECK(isConstant(), "constant() of symbolic dim " << str());
  return Constant;
}

std::vector<Term> Dim::terms() const {
  if (Terms)
    return *Terms;
  if (Constant == 0)
    return {};
  return {Term{Constant, {}}};
}

Dim Dim::fromTerms(std::vector<Term> Ts) {
  // Sort, merge equal monomials, drop zero coefficients.
  std::sort(Ts.begin(), Ts.end(), termLess);
  std::vector<Term> Out;
  for (Term &T : Ts) {
    if (!Out.empty() && Out.back().Syms == T.Syms)
      Out.back().Coeff = checkedAdd(Out.back().Coeff, T.Coeff);
    else
      Out.push_back(std::move(T));
  }
  std::erase_if(Out, [](const Term &T) { return T.Coeff == 0; });
  if (Out.empty())
    return Dim(0);
  if (Out.size() == 1 && Out[0].Syms.empty())
    return Dim(Out[0].Coeff);
  Dim D;
  D.Terms = std::make_shared<const std::vector<Term>>(std::move(Out));
  return D;
}

std::optional<int64_t> Dim::evaluate(const DimBindings &Bindings) const {
  if (!Terms)
    return Constant;
  int64_t Sum = 0;
  for (const Term &T : *Terms) {
    int64_t P = T.Coeff;
    for (const std::string &S : T.Syms) {
      auto It = Bindings.find(S);
      if (It == Bindings.end())
        return std::nullopt;
      P = checkedMul(P, It->second);
    }
    Sum = checkedAdd(Sum, P);
  }
  return Sum;
}

void Dim::collectSymbols(std::set<std::string> &Out) const {
  if (Terms)
    for (const Term &T : *Terms)
      Out.insert(T.Syms.begin(), T.Syms.end());
}

Dim Dim::operator+(const Dim &O) const {
  if (!Terms && !O.Terms)
    return Dim(checkedAdd(Constant, O.Constant));
  std::vector<Term> Ts = terms();
  for (Term &T : O.terms())
    Ts.push_back(std::move(T));
  return fromTerms(std::move(Ts));
}

Dim Dim::operator-(const Dim &O) const { return *this + O * Dim(-1); }

Dim Dim::operator*(const Dim &O) const {
  if (!Terms && !O.Terms)
    return Dim(checkedMul(Constant, O.Constant));
  std::vector<Term> Ts;
  for (const Term &A : terms())
    for (const Term &B : O.terms()) {
      Term T{checkedMul(A.Coeff, B.Coeff), A.Syms};
      T.Syms.insert(T.Syms.end(), B.Syms.begin(), B.Syms.end());
      std::sort(T.Syms.begin(), T.Syms.end());
      Ts.push_back(std::move(T));
    }
  return fromTerms(std::move(Ts));
}

bool Dim::operator==(const Dim &O) const {
  if (!Terms || !O.Terms)
    return !Terms && !O.Terms && Constant == O.Constant;
  return Terms == O.Terms || *Terms == *O.Terms;
}

bool Dim::operator<(const Dim &O) const {
  if (!Terms || !O.Terms) {
    if (!Terms && !O.Terms)
      return Constant < O.Constant;
    return !Terms; // constants first
  }
  const auto &A = *Terms, &B = *O.Terms;
  return std::lexicographical_compare(
      A.begin(), A.end(), B.begin(), B.end(), [](const Term &X, const Term &Y) {
        if (termLess(X, Y) || termLess(Y, X))
          return termLess(X, Y);
        return X.Coeff < Y.Coeff;
      });
}

size_t Dim::hash() const {
  if (!Terms)
    return std::hash<int64_t>()(Constant);
  size_t H = 0x9e3779b97f4a7c15ull;
  for (const Term &T : *Terms) {
    H = (H ^ std::hash<int64_t>()(T.Coeff)) * 0x100000001b3ull;
    for (const std::string &S : T.Syms)
      H = (H ^ std::hash<std::string>()(S)) * 0x100000001b3ull;
  }
  return H;
}

std::string Dim::str() const {
  if (!Terms)
    return std::to_string(Constant);
  // Highest degree first reads naturally: B*T-1, 2*B+1, B+T.
  std::vector<Term> Ordered = *Terms;
  std::stable_sort(Ordered.begin(), Ordered.end(), [](const Term &A, const Term &B) {
    return A.Syms.size() > B.Syms.size();
  });
  std::string Out;
  for (const Term &T : Ordered) {
    int64_t C = T.Coeff;
    if (Out.empty()) {
      if (C < 0)
        Out += "-";
    } else {
      Out += C < 0 ? "-" : "+";
    }
    uint64_t Mag = C < 0 ? 0 - static_cast<uint64_t>(C) : static_cast<uint64_t>(C);
    bool First = true;
    if (Mag != 1 || T.Syms.empty()) {
      Out += std::to_string(Mag);
      First = false;
    }
    for (const std::string &S : T.Syms) {
      if (!First)
        Out += "*";
      Out += S;
      First = false;
    }
  }
  return Out;
}

std::string shapeStr(const Shape &S) {
  std::string Out = "[";
  for (size_t I = 0; I < S.size(); ++I) {
    if (I)
      Out += ",";
    Out += S[I].str();
  }
  return Out + "]";
}

Dim numElements(const Shape &S) {
  Dim N(1);
  for (const Dim &D : S)
    N = N * D;
  return N;
}

std::vector<int64_t> evaluateShape(const Shape &S, const DimBindings &Bindings) {
  std::vector<int64_t> Out;
  Out.reserve(S.size());
  for (const Dim &D : S) {
    std::optional<int64_t> V = D.evaluate(Bindings);
    if (!V) {
      std::set<std::string> Syms;
      D.collectSymbols(Syms);
      std::string Unbound;
      for (const std::string &Sym : Syms)
        if (!Bindings.count(Sym))
          Unbound = Sym;
      throw RuntimeError("symbolic dim '" + Unbound + "' of shape " +
                         shapeStr(S) + " is not bound");
    }
    if (*V < 0)
      throw RuntimeError("dim " + D.str() + " of shape " + shapeStr(S) +
                         " evaluates to " + std::to_string(*V) + " < 0");
    Out.push_back(*V);
  }
  return Out;
}

size_t hashShape(const Shape &S) {
  size_t H = S.size();
  for (const Dim &D : S)
    H = H * 31 + D.hash();
  return H;
}

//===----------------------------------------------------------------------===//
// Parsing: expr := term (('+'|'-') term)*; term := factor ('*' factor)*;
// factor := INT | SYMBOL | '(' expr ')' | '-' factor.
//===----------------------------------------------------------------------===//

namespace {

struct DimParser {
  std::string_view Text;
  size_t Pos = 0;
  std::string Error;
  size_t ErrorPos = 0;

  void skipSpace() {
    while (Pos < Text.size() && std::isspace(static_cast<unsigned char>(Text[Pos])))
      ++Pos;
  }
  bool fail(const std::string &Msg) {
    if (Error.empty()) {
      Error = Msg;
      ErrorPos = Pos;
    }
    return false;
  }
  bool expr(Dim &Out) {
    if (!term(Out))
      return false;
    for (skipSpace(); Pos < Text.size() && (Text[Pos] == '+' || Text[Pos] == '-'); skipSpace()) {
      char Op = Text[Pos++];
      Dim R;
      if (!term(R))
        return false;
      Out = Op == '+' ? Out + R : Out - R;
    }
    return true;
  }
  bool term(Dim &Out) {
    if (!factor(Out))
      return false;
    for (skipSpace(); Pos < Text.size() && Text[Pos] == '*'; skipSpace()) {
      ++Pos;
      Dim R;
      if (!factor(R))
        return false;
      Out = Out * R;
    }
    return true;
  }
  bool factor(Dim &Out) {
    skipSpace();
    if (Pos >= Text.size())
      return fail("expected a dim (integer, symbol or '(')");
    char C = Text[Pos];
    if (C == '(') {
      ++Pos;
      if (!expr(Out))
        return false;
      skipSpace();
      if (Pos >= Text.size() || Text[Pos] != ')')
        return fail("expected ')' in dim expression");
      ++Pos;
      return true;
    }
    if (C == '-') {
      ++Pos;
      if (!factor(Out))
        return false;
      Out = Out * Dim(-1);
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(C))) {
      int64_t V = 0;
      while (Pos < Text.size() && std::isdigit(static_cast<unsigned char>(Text[Pos]))) {
        if (__builtin_mul_overflow(V, 10, &V) ||
            __builtin_add_overflow(V, Text[Pos] - '0', &V))
          return fail("integer too large in dim expression");
        ++Pos;
      }
      Out = Dim(V);
      return true;
    }
    if (std::isalpha(static_cast<unsigned char>(C)) || C == '_') {
      size_t Start = Pos;
      while (Pos < Text.size() &&
             (std::isalnum(static_cast<unsigned char>(Text[Pos])) || Text[Pos] == '_'))
        ++Pos;
      Out = Dim::symbol(Text.substr(Start, Pos - Start));
      return true;
    }
    return fail(std::string("expected a dim (integer, symbol or '('), got '") + C + "'");
  }
};

} // namespace

std::optional<Dim> parseDim(std::string_view Text, std::string *Error,
                            size_t *ErrorOffset) {
  DimParser P;
  P.Text = Text;
  Dim D;
  bool Ok = false;
  try {
    Ok = P.expr(D);
  } catch (const netjit::Error &E) { // overflow while combining terms
    P.fail(E.what());
  }
  if (Ok) {
    P.skipSpace();
    if (P.Pos != Text.size())
      Ok = P.fail(std::string("unexpected '") + Text[P.Pos] + "' after dim expression");
  }
  if (Ok)
    return D;
  if (Error)
    *Error = P.Error;
  if (ErrorOffset)
    *ErrorOffset = P.ErrorPos;
  return std::nullopt;
}

} // namespace netjit
