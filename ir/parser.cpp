//===- parser.cpp - Parsing the IR text form
//-------------------------------===//
//
// A recursive-descent parser over ir/lexer.h tokens for the grammar of
// docs/ir.md. Each statement becomes a node through Graph::make (constants
// through Graph::constant), so the parser applies exactly the type rules a
// builder does; a TypeError from them is rethrown as a ParseError at the
// statement. Names are scoped per graph: a scan body has its own %0, %1, ...
// and sees nothing from outside (what it reads is an explicit operand).
//
//===----------------------------------------------------------------------===//
#include "ir/parser.h"

#include "ir/error.h"
#include "ir/lexer.h"
#include "ir/literal.h"
#include "ir/verifier.h"

#include <charconv>
#include <deque>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

namespace netjit {
namespace {

/// Scan bodies and parenthesized dims nest at most this deep, so hostile
/// input cannot exhaust the stack.
constexpr int kMaxDepth = 64;

/// The values visible in one graph, keyed by their spelling: a numbered
/// name %0 and a quoted %"0" are different names.
class Scope {
public:
  static std::string key(const Token &T) {
    bool Numbered =
        !T.Quoted && !T.Text.empty() && T.Text[0] >= '0' && T.Text[0] <= '9';
    return (Numbered ? "#" : "n") + T.Text;
  }
  const NodeId *find(const Token &T) const {
    auto It = Names.find(key(T));
    return It == Names.end() ? nullptr : &It->second;
  }
  bool define(const Token &T, NodeId Id) {
    return Names.emplace(key(T), Id).second;
  }

private:
  std::unordered_map<std::string, NodeId> Names;
};

/// One parsed `%N = op(...) {...} : type body(...) {...}` before it becomes
/// a node.
struct Statement {
  Token Name;
  Token OpTok;
  OpCode Op = OpCode::Add;
  std::vector<NodeId> Operands;
  std::vector<std::pair<Token, Literal>> Attributes;
  std::vector<TensorType> Types;
  bool TypeList = false;
  std::shared_ptr<Graph> Body;
  Token BodyTok;
};

class Parser {
public:
  explicit Parser(std::string_view Text) : Lex(Text) {}

  Graph parseFile() {
    Token Kw = peek();
    if (!Kw.isIdent("graph"))
      fail(Kw, "expected 'graph', got " + Kw.describe());
    take();
    Token NameTok = expect(TokenKind::GraphName, "a graph name '@name'");
    Graph G(NameTok.Text);
    Scope S;
    parseArguments(G, S);
    parseBlock(G, S, 0);
    if (!peek().is(TokenKind::Eof))
      fail(peek(),
           "unexpected " + peek().describe() + " after the end of the graph");
    try {
      verify(G);
    } catch (const TypeError &E) {
      fail(Kw, E.what());
    }
    return G;
  }

private:
  //===--------------------------------------------------------------------===//
  // Tokens
  //===--------------------------------------------------------------------===//

  const Token &peek(size_t Ahead = 0) {
    while (Buffer.size() <= Ahead)
      Buffer.push_back(Lex.next());
    return Buffer[Ahead];
  }
  Token take() {
    peek();
    Token T = std::move(Buffer.front());
    Buffer.pop_front();
    return T;
  }
  bool consumeIf(TokenKind K) {
    if (!peek().is(K))
      return false;
    take();
    return true;
  }
  [[noreturn]] void fail(const Token &At, const std::string &Msg) {
    throw ParseError(At.Line, At.Col, Msg);
  }
  /// Fails at the next token with "expected WANT, got ...".
  [[noreturn]] void failExpected(std::string_view Want) {
    if (peek().is(TokenKind::Eof))
      fail(peek(), "unexpected end of file, expected " + std::string(Want));
    fail(peek(),
         "expected " + std::string(Want) + ", got " + peek().describe());
  }
  /// Takes a token of kind K or fails with "expected WHAT, got ...".
  Token expect(TokenKind K, std::string_view What = {}) {
    if (peek().is(K))
      return take();
    failExpected(What.empty() ? tokenKindName(K) : What);
  }

  //===--------------------------------------------------------------------===//
  // Types and dims
  //===--------------------------------------------------------------------===//

  TensorType parseType() {
    Token T = expect(TokenKind::Ident, "a type");
    std::optional<DType> Dt = parseDType(T.Text);
    if (!Dt)
      fail(T, "unknown dtype '" + T.Text + "'");
    expect(TokenKind::LBracket, "'[' after the dtype");
    TensorType Out{*Dt, {}};
    if (!consumeIf(TokenKind::RBracket)) {
      do
        Out.Dims.push_back(parseDim(0));
      while (consumeIf(TokenKind::Comma));
      expect(TokenKind::RBracket, "',' or ']' in a shape");
    }
    return Out;
  }

  /// dim := term (('+'|'-') term)*
  Dim parseDim(int Depth) {
    Token Start = peek();
    Dim D = parseDimTerm(Depth);
    while (peek().is(TokenKind::Plus) || peek().is(TokenKind::Minus)) {
      bool Plus = take().is(TokenKind::Plus);
      Dim R = parseDimTerm(Depth);
      D = dimArith(Start, [&] { return Plus ? D + R : D - R; });
    }
    return D;
  }
  /// term := factor ('*' factor)*
  Dim parseDimTerm(int Depth) {
    Token Start = peek();
    Dim D = parseDimFactor(Depth);
    while (consumeIf(TokenKind::Star)) {
      Dim R = parseDimFactor(Depth);
      D = dimArith(Start, [&] { return D * R; });
    }
    return D;
  }
  /// factor := INT | SYMBOL | '(' dim ')' | '-' factor
  Dim parseDimFactor(int Depth) {
    Token T = peek();
    if (Depth > kMaxDepth)
      fail(T, "dim expression nested too deeply");
    if (T.is(TokenKind::Int)) {
      take();
      std::optional<int64_t> V = parseIntText(T.Text, false);
      if (!V)
        fail(T,
             "integer literal overflow: '" + T.Text + "' does not fit 64 bits");
      return Dim(*V);
    }
    if (T.is(TokenKind::Ident)) {
      take();
      return Dim::symbol(T.Text);
    }
    if (consumeIf(TokenKind::LParen)) {
      Dim D = parseDim(Depth + 1);
      expect(TokenKind::RParen, "')' in a dim expression");
      return D;
    }
    if (consumeIf(TokenKind::Minus)) {
      Dim D = parseDimFactor(Depth + 1);
      return dimArith(T, [&] { return D * Dim(-1); });
    }
    if (T.is(TokenKind::Eof))
      fail(T, "unexpected end of file, expected a dim");
    fail(T, "bad dim expression: expected an integer, a symbol or '(', got " +
                T.describe());
  }
  template <class Fn> Dim dimArith(const Token &At, Fn F) {
    try {
      return F();
    } catch (const TypeError &E) {
      fail(At, std::string("bad dim expression: ") + E.what());
    }
  }

  //===--------------------------------------------------------------------===//
  // Attributes
  //===--------------------------------------------------------------------===//

  static bool isDimOperator(const Token &T) {
    return T.is(TokenKind::Plus) || T.is(TokenKind::Minus) ||
           T.is(TokenKind::Star);
  }
  static bool isFloatWord(const Token &T) {
    return T.isIdent("inf") || T.isIdent("nan");
  }

  Literal parseLiteral() {
    Token T = peek();
    Literal L;
    L.Line = T.Line;
    L.Col = T.Col;
    if (consumeIf(TokenKind::LBracket)) {
      L.Kind = Literal::List;
      if (!consumeIf(TokenKind::RBracket)) {
        do
          L.Elems.push_back(parseScalarLiteral());
        while (consumeIf(TokenKind::Comma));
        expect(TokenKind::RBracket, "',' or ']' in a list");
      }
      return L;
    }
    return parseScalarLiteral();
  }

  Literal parseScalarLiteral() {
    const Token &T = peek();
    Literal L;
    L.Line = T.Line;
    L.Col = T.Col;
    bool Standalone = !isDimOperator(peek(1));
    if (T.is(TokenKind::String)) {
      L.Kind = Literal::String;
      L.Text = take().Text;
    } else if ((T.isIdent("true") || T.isIdent("false")) && Standalone) {
      L.Kind = Literal::Bool;
      L.BoolValue = take().Text == "true";
    } else if (T.is(TokenKind::Ident) && parseDType(T.Text) && Standalone) {
      L.Kind = Literal::DTypeName;
      L.Type = *parseDType(take().Text);
    } else if (T.is(TokenKind::Minus) &&
               (peek(1).is(TokenKind::Float) ||
                (isFloatWord(peek(1)) && !isDimOperator(peek(2))) ||
                (peek(1).is(TokenKind::Int) && !isDimOperator(peek(2))))) {
      take();
      parseNumber(L);
      L.Negative = true;
    } else if (T.is(TokenKind::Float) || (isFloatWord(T) && Standalone) ||
               (T.is(TokenKind::Int) && Standalone)) {
      parseNumber(L);
    } else if (T.is(TokenKind::Int) || T.is(TokenKind::Ident) ||
               T.is(TokenKind::LParen) || T.is(TokenKind::Minus)) {
      L.Kind = Literal::DimExpr;
      L.DimValue = parseDim(0);
    } else if (T.is(TokenKind::Eof)) {
      fail(T, "unexpected end of file, expected an attribute value");
    } else {
      fail(T, "bad attribute value " + T.describe());
    }
    return L;
  }

  /// An unsigned number: INT, FLOAT, inf, nan or nan(0xBITS).
  void parseNumber(Literal &L) {
    Token T = take();
    L.Text = T.Text;
    L.Kind = T.is(TokenKind::Int) ? Literal::Int : Literal::Float;
    if (T.isIdent("nan") && consumeIf(TokenKind::LParen)) {
      Token Bits = expect(TokenKind::Int, "the bits of a NaN (0x...)");
      const std::string &S = Bits.Text;
      auto R = std::from_chars(S.data() + std::min<size_t>(2, S.size()),
                               S.data() + S.size(), L.Bits, 16);
      if (S.size() < 3 || S[1] != 'x' || R.ec != std::errc() ||
          R.ptr != S.data() + S.size())
        fail(Bits,
             "the bits of a NaN must be a 64-bit hex number, got '" + S + "'");
      expect(TokenKind::RParen, "')' after the bits of a NaN");
      L.Kind = Literal::NanBits;
    }
  }

  void parseAttrs(Statement &St) {
    std::set<std::string> Seen;
    if (consumeIf(TokenKind::RBrace))
      return;
    do {
      Token Key = peek();
      if (!Key.is(TokenKind::Ident) && !Key.is(TokenKind::String))
        failExpected("an attribute name");
      take();
      if (!Seen.insert(Key.Text).second)
        fail(Key, "duplicate attribute '" + Key.Text + "'");
      expect(TokenKind::Equal, "'=' after the attribute name");
      St.Attributes.emplace_back(Key, parseLiteral());
    } while (consumeIf(TokenKind::Comma));
    expect(TokenKind::RBrace, "',' or '}' after an attribute");
  }

  //===--------------------------------------------------------------------===//
  // Graphs and statements
  //===--------------------------------------------------------------------===//

  /// '(' [['param'] %name ':' type (',' ...)*] ')'
  void parseArguments(Graph &G, Scope &S) {
    expect(TokenKind::LParen, "'(' before the arguments");
    if (consumeIf(TokenKind::RParen))
      return;
    do {
      bool IsParam =
          peek().isIdent("param") && peek(1).is(TokenKind::ValueName);
      if (IsParam)
        take();
      Token Name = expect(TokenKind::ValueName, "an argument '%name'");
      expect(TokenKind::Colon, "':' after the argument name");
      TensorType T = parseType();
      if (S.find(Name))
        fail(Name, "redefinition of " + Name.describe());
      NodeId Id;
      try {
        Id = IsParam ? G.param(Name.Text, T) : G.input(Name.Text, T);
      } catch (const Error &E) {
        fail(Name, E.what());
      }
      S.define(Name, Id);
    } while (consumeIf(TokenKind::Comma));
    expect(TokenKind::RParen, "',' or ')' after an argument");
  }

  /// '{' statement* 'return' outputs update* '}'
  void parseBlock(Graph &G, Scope &S, int Depth) {
    expect(TokenKind::LBrace, "'{'");
    while (peek().is(TokenKind::ValueName))
      parseStatement(G, S, Depth);
    if (!peek().isIdent("return"))
      failExpected("a statement '%N = ...' or 'return'");
    take();
    parseOutputs(G, S);
    while (peek().isIdent("update") && peek(1).is(TokenKind::ValueName))
      parseUpdate(G, S);
    expect(TokenKind::RBrace, "'}' at the end of the graph");
  }

  NodeId lookup(const Scope &S, const Token &Name) {
    const NodeId *Id = S.find(Name);
    if (!Id)
      fail(Name, "undefined value " + Name.describe());
    return *Id;
  }

  void parseOutputs(Graph &G, Scope &S) {
    auto StartsOutput = [this] {
      return peek().is(TokenKind::ValueName) ||
             ((peek().is(TokenKind::Ident) || peek().is(TokenKind::String)) &&
              peek(1).is(TokenKind::Equal));
    };
    if (!StartsOutput())
      return;
    std::set<std::string> Names;
    do {
      Token At = peek();
      std::string Name;
      if (At.is(TokenKind::Ident) || At.is(TokenKind::String)) {
        Name = take().Text;
        expect(TokenKind::Equal, "'=' after the output name");
      } else if (!At.is(TokenKind::ValueName)) {
        failExpected("an output 'name = %N' or '%N'");
      }
      NodeId Value =
          lookup(S, expect(TokenKind::ValueName, "an output value '%N'"));
      if (!Name.empty() && !Names.insert(Name).second)
        fail(At, "duplicate output name '" + Name + "'");
      try {
        G.addOutput(Name, Value);
      } catch (const Error &E) {
        fail(At, E.what());
      }
    } while (consumeIf(TokenKind::Comma));
  }

  /// 'update' %param '=' %value
  void parseUpdate(Graph &G, Scope &S) {
    take(); // 'update'
    Token Target = take();
    NodeId TargetId = lookup(S, Target);
    expect(TokenKind::Equal, "'=' after the updated param");
    NodeId Value =
        lookup(S, expect(TokenKind::ValueName, "an update value '%N'"));
    if (G.node(TargetId).Op != OpCode::Param)
      fail(Target, "update of " + Target.describe() + ", which is not a param");
    for (const Update &U : G.updates())
      if (U.Target == TargetId)
        fail(Target, "param " + Target.describe() + " is updated twice");
    try {
      G.addUpdate(TargetId, Value);
    } catch (const Error &E) {
      fail(Target, E.what());
    }
  }

  void parseStatement(Graph &G, Scope &S, int Depth) {
    Statement St;
    St.Name = take();
    expect(TokenKind::Equal, "'=' after " + St.Name.describe());
    St.OpTok = expect(TokenKind::Ident, "an op name");
    std::optional<OpCode> Op = parseOpName(St.OpTok.Text);
    if (!Op)
      fail(St.OpTok, "unknown op '" + St.OpTok.Text + "'");
    if (*Op == OpCode::Input || *Op == OpCode::Param)
      fail(St.OpTok,
           "'" + St.OpTok.Text +
               "' is not a statement; declare it as an argument of the graph");
    St.Op = *Op;
    expect(TokenKind::LParen, "'(' after the op name");
    if (!consumeIf(TokenKind::RParen)) {
      do
        St.Operands.push_back(
            lookup(S, expect(TokenKind::ValueName, "an operand '%N'")));
      while (consumeIf(TokenKind::Comma));
      expect(TokenKind::RParen, "',' or ')' after an operand");
    }
    if (consumeIf(TokenKind::LBrace))
      parseAttrs(St);
    expect(TokenKind::Colon, "':' and the result type");
    parseResultTypes(St);
    if (peek().isIdent("body") && peek(1).is(TokenKind::LParen)) {
      St.BodyTok = take();
      if (Depth + 1 > kMaxDepth)
        fail(St.BodyTok, "bodies (scan, kernel) nested too deeply");
      St.Body = std::make_shared<Graph>("body");
      Scope BodyScope;
      parseArguments(*St.Body, BodyScope);
      parseBlock(*St.Body, BodyScope, Depth + 1);
    }
    if (S.find(St.Name))
      fail(St.Name, "redefinition of " + St.Name.describe());
    S.define(St.Name, createNode(G, St));
  }

  void parseResultTypes(Statement &St) {
    if (consumeIf(TokenKind::LParen)) {
      St.TypeList = true;
      do
        St.Types.push_back(parseType());
      while (consumeIf(TokenKind::Comma));
      expect(TokenKind::RParen, "',' or ')' in the result types");
    } else {
      St.Types.push_back(parseType());
    }
  }

  /// Checks the statement's shape (operand count, body, result list) and
  /// creates its node; type errors become ParseErrors at the statement.
  NodeId createNode(Graph &G, const Statement &St) {
    std::string Mn = "'" + St.OpTok.Text + "'";
    int Arity = opArity(St.Op);
    if (Arity >= 0 && St.Operands.size() != static_cast<size_t>(Arity))
      fail(St.OpTok, Mn + " takes " + std::to_string(Arity) + " operand" +
                         (Arity == 1 ? "" : "s") + ", got " +
                         std::to_string(St.Operands.size()));
    bool Multi = hasTrait(St.Op, kMultiResult);
    if (Multi && !St.TypeList)
      fail(St.Name,
           Mn + " has several results: expected a type list '(t1, t2, ...)'");
    if (!Multi && St.TypeList)
      fail(St.Name, Mn + " has one result, not a type list");
    if (hasTrait(St.Op, kHasBody) && !St.Body)
      fail(St.Name, Mn + " needs a body: '... body(%arg: type, ...) { ... }'");
    if (!hasTrait(St.Op, kHasBody) && St.Body)
      fail(St.BodyTok, Mn + " does not take a body");
    NodeId Id;
    try {
      Id = St.Op == OpCode::Constant ? createConstant(G, St) : createOp(G, St);
    } catch (const ParseError &) {
      throw;
    } catch (const Error &E) {
      fail(St.Name, E.what());
    }
    if (Multi && G.node(Id).Results != St.Types) {
      const Node &N = G.node(Id);
      std::string Inferred;
      for (size_t I = 0; I < N.Results.size(); ++I)
        Inferred += (I ? ", " : "") + N.Results[I].str();
      fail(St.Name, Mn + ": declared result types do not match the inferred (" +
                        Inferred + ")");
    }
    return Id;
  }

  NodeId createConstant(Graph &G, const Statement &St) {
    const Literal *Value = nullptr;
    for (const auto &[Key, L] : St.Attributes) {
      if (Key.Text != "value")
        fail(Key, "'constant' takes only the attribute 'value', not '" +
                      Key.Text + "'");
      Value = &L;
    }
    if (!Value)
      fail(St.Name, "'constant' needs the attribute 'value'");
    return G.constant(St.Types[0], toConstantBytes(*Value, St.Types[0]));
  }

  NodeId createOp(Graph &G, const Statement &St) {
    Attrs A;
    for (const auto &[Key, L] : St.Attributes)
      A.set(Key.Text, toAttrValue(L));
    return G.make(St.Op, St.Operands, std::move(A), St.Types[0], St.Body);
  }

  Lexer Lex;
  std::deque<Token> Buffer;
};

/// A ParseError whose message is prefixed with the file it came from.
class FileParseError : public ParseError {
public:
  FileParseError(const std::string &Path, const ParseError &E)
      : ParseError(E.line(), E.column(), ""), Message(Path + ":" + E.what()) {}
  const char *what() const noexcept override { return Message.c_str(); }

private:
  std::string Message;
};

} // namespace

Graph parseGraph(std::string_view Text) { return Parser(Text).parseFile(); }

Graph parseGraphFile(const std::string &Path) {
  std::ifstream In(Path, std::ios::binary);
  if (!In)
    throw Error("cannot open IR file '" + Path + "'");
  std::ostringstream Text;
  Text << In.rdbuf();
  try {
    return parseGraph(Text.str());
  } catch (const ParseError &E) {
    throw FileParseError(Path, E);
  }
}

} // namespace netjit
