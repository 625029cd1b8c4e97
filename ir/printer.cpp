//===- printer.cpp - The IR text form
//--------------------------------------===//
//
// Prints a graph as the text of docs/ir.md: the arguments in declaration
// order, then every live inner node once in arena (topological) order,
// numbered %0, %1, ... per graph (a scan body is numbered on its own), then
// the outputs and updates. Numbers print so that they parse back to the same
// bits: floats use the shortest round-trip spelling, NaNs with a payload
// other than the canonical quiet one print their raw bits.
//
//===----------------------------------------------------------------------===//
#include "ir/printer.h"

#include "ir/format.h"
#include "ir/lexer.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace netjit {
namespace {

template <class F> std::string formatFloating(F V) {
  using Bits = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;
  constexpr Bits Sign = Bits(1) << (sizeof(F) * 8 - 1);
  constexpr Bits Canonical =
      sizeof(F) == 4 ? Bits(0x7fc00000u) : Bits(0x7ff8000000000000ull);
  Bits B = std::bit_cast<Bits>(V);
  if (std::isnan(V)) {
    if ((B & ~Sign) == Canonical)
      return (B & Sign) ? "-nan" : "nan";
    static const char Hex[] = "0123456789abcdef";
    std::string Out = "nan(0x";
    for (int Shift = sizeof(F) * 8 - 4; Shift >= 0; Shift -= 4)
      Out += Hex[(B >> Shift) & 15];
    return Out + ")";
  }
  if (std::isinf(V))
    return V < 0 ? "-inf" : "inf";
  char Buf[64];
  auto R = std::to_chars(Buf, Buf + sizeof(Buf), V);
  std::string Out(Buf, R.ptr);
  if (Out.find_first_of(".e") == std::string::npos)
    Out += ".0";
  return Out;
}

/// One element of a constant, read with the node's dtype.
std::string formatElement(const uint8_t *P, DType T) {
  auto Load = [P](auto V) {
    std::memcpy(&V, P, sizeof(V));
    return V;
  };
  switch (T) {
  case DType::F32:
    return formatFloating(Load(float()));
  case DType::F64:
    return formatFloating(Load(double()));
  case DType::I32:
    return std::to_string(Load(int32_t()));
  case DType::I64:
    return std::to_string(Load(int64_t()));
  case DType::Bool:
    return *P ? "true" : "false";
  }
  return "?";
}

std::string formatBytes(const Bytes &B, const TensorType &T) {
  size_t Size = dtypeSize(T.Dtype);
  size_t Count = B.Data.size() / Size;
  if (T.rank() == 0 && Count == 1)
    return formatElement(B.Data.data(), T.Dtype);
  std::string Out = "[";
  for (size_t I = 0; I < Count; ++I) {
    if (I)
      Out += ", ";
    Out += formatElement(B.Data.data() + I * Size, T.Dtype);
  }
  return Out + "]";
}

/// A dim in attribute position; a lone symbol that reads as a keyword
/// (`inf`, `true`, `f32`) is parenthesized so it parses back as a dim.
std::string formatDim(const Dim &D) {
  std::string S = D.str();
  std::string_view Bare = S;
  if (!Bare.empty() && Bare[0] == '-')
    Bare.remove_prefix(1);
  if (Bare == "inf" || Bare == "nan" || Bare == "true" || Bare == "false" ||
      parseDType(Bare))
    return "(" + S + ")";
  return S;
}

template <class T, class Fn>
std::string formatList(const std::vector<T> &Items, Fn Format) {
  std::string Out = "[";
  for (size_t I = 0; I < Items.size(); ++I) {
    if (I)
      Out += ", ";
    Out += Format(Items[I]);
  }
  return Out + "]";
}

std::string formatResultType(const Node &N) {
  if (!N.isMultiResult())
    return N.Type.str();
  std::string Out = "(";
  for (size_t I = 0; I < N.Results.size(); ++I)
    Out += (I ? ", " : "") + N.Results[I].str();
  return Out + ")";
}

std::string formatArguments(const Graph &G) {
  std::string Out = "(";
  bool First = true;
  for (NodeId A : G.arguments()) {
    const Node &N = G.node(A);
    if (!First)
      Out += ", ";
    First = false;
    if (N.Op == OpCode::Param)
      Out += "param ";
    Out += "%";
    Out += formatName(N.Attributes.getString("name"));
    Out += ": ";
    Out += N.Type.str();
  }
  return Out + ")";
}

/// "%N" for the N-th statement.
std::string valueName(unsigned N) {
  std::string Out = "%";
  Out += std::to_string(N);
  return Out;
}

/// Prints one graph (the top level or a scan body) at an indentation.
class Printer {
public:
  explicit Printer(std::string &Out) : Out(Out) {}

  void printBlock(const Graph &G, int Indent) {
    std::vector<std::string> Names(G.size());
    for (NodeId A : G.arguments())
      Names[A.Index] =
          std::string("%") + formatName(G.node(A).Attributes.getString("name"));
    unsigned Next = 0;
    std::string Pad(Indent, ' ');
    for (NodeId Id : G.liveNodes()) {
      OpCode Op = G.node(Id).Op;
      if (Op == OpCode::Input || Op == OpCode::Param)
        continue;
      Names[Id.Index] = valueName(Next++);
      printStatement(G, Id, Names, Indent);
    }
    Out += Pad + "return";
    bool First = true;
    for (const Output &O : G.outputs()) {
      Out += First ? " " : ", ";
      First = false;
      if (!O.Name.empty())
        Out += formatName(O.Name) + " = ";
      Out += Names[O.Value.Index];
    }
    Out += "\n";
    for (const Update &U : G.updates())
      Out += Pad + "update " + Names[U.Target.Index] + " = " +
             Names[U.Value.Index] + "\n";
  }

private:
  /// `%N = op(operands) {attrs} : type`, and a scan's body below it.
  void printStatement(const Graph &G, NodeId Id,
                      const std::vector<std::string> &Names, int Indent) {
    const Node &N = G.node(Id);
    std::string Pad(Indent, ' ');
    Out += Pad + Names[Id.Index] + " = " + std::string(opName(N.Op)) + "(";
    for (size_t I = 0; I < N.Inputs.size(); ++I)
      Out += (I ? ", " : "") + Names[N.Inputs[I].Index];
    Out += std::string(")") + formatAttrs(N) + " : " + formatResultType(N);
    if (N.Body) {
      Out += " body" + formatArguments(*N.Body) + " {\n";
      printBlock(*N.Body, Indent + 2);
      Out += Pad + "}";
    }
    Out += "\n";
  }

  std::string &Out;
};

} // namespace

std::string formatName(std::string_view Name) {
  return isIdentifier(Name) ? std::string(Name) : quoteString(Name);
}

std::string formatAttrValue(const AttrValue &V, const TensorType &Type) {
  struct Visitor {
    const TensorType &Type;
    std::string operator()(int64_t I) const { return std::to_string(I); }
    std::string operator()(double D) const { return formatFloating(D); }
    std::string operator()(bool B) const { return B ? "true" : "false"; }
    std::string operator()(const std::string &S) const {
      return quoteString(S);
    }
    std::string operator()(DType T) const { return std::string(dtypeName(T)); }
    std::string operator()(const std::vector<int64_t> &L) const {
      return formatList(L, [](int64_t I) { return std::to_string(I); });
    }
    std::string operator()(const Dim &D) const { return formatDim(D); }
    std::string operator()(const std::vector<Dim> &L) const {
      return formatList(L, formatDim);
    }
    std::string operator()(const Bytes &B) const {
      return formatBytes(B, Type);
    }
  };
  return std::visit(Visitor{Type}, V);
}

std::string formatAttrs(const Node &N) {
  if (N.Attributes.empty())
    return "";
  std::string Out = " {";
  bool First = true;
  for (const auto &[Key, Value] : N.Attributes.entries()) {
    if (!First)
      Out += ", ";
    First = false;
    Out += formatName(Key) + "=" + formatAttrValue(Value, N.Type);
  }
  return Out + "}";
}

std::string printGraph(const Graph &G) {
  std::string Out = "graph @";
  Out += formatName(G.name());
  Out += formatArguments(G);
  Out += " {\n";
  Printer(Out).printBlock(G, 2);
  return Out + "}\n";
}

std::string printNode(const Graph &G, NodeId Id) {
  const Node &N = G.node(Id);
  std::string Out = std::string("%") + std::to_string(Id.Index) + " = " +
                    std::string(opName(N.Op)) + "(";
  for (size_t I = 0; I < N.Inputs.size(); ++I)
    Out += std::string(I ? ", %" : "%") + std::to_string(N.Inputs[I].Index);
  Out += std::string(")") + formatAttrs(N) + " : " + formatResultType(N);
  if (N.Body)
    Out += " body" + formatArguments(*N.Body) + " {...}";
  return Out;
}

std::ostream &operator<<(std::ostream &OS, const Graph &G) {
  return OS << printGraph(G);
}

} // namespace netjit
