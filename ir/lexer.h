//===- lexer.h - Tokens of the IR text form
//--------------------------------===//
//
// The hand-written lexer behind ir/parser.cpp. It turns the text of a graph
// (docs/ir.md) into tokens on demand, each with the line and column where it
// starts, so every parse error points at the exact place. Whitespace and
// `//` comments separate tokens and are otherwise ignored. Lexical errors
// (an unterminated string, a stray character) throw ParseError.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace netjit {

enum class TokenKind {
  Eof,
  Ident,     // [A-Za-z_][A-Za-z0-9_.]*
  Int,       // 123 or 0x7fc00001 (Text is the spelling)
  Float,     // 1.5, 1e-3, 2.5E+10 (Text is the spelling)
  String,    // "..." (Text is the decoded value)
  ValueName, // %x, %0, %"hid1:out" (Text is the name without the sigil)
  GraphName, // @mlp, @"my graph"
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equal,
  Plus,
  Minus,
  Star,
};

/// A printable description of a token kind for error messages ("')'").
std::string_view tokenKindName(TokenKind K);

struct Token {
  TokenKind Kind = TokenKind::Eof;
  /// The spelling, or the decoded text of a string or a quoted name.
  std::string Text;
  /// True for a name written in quotes (%"x"); numbered names (%0) are never
  /// quoted, so %"0" and %0 are different names.
  bool Quoted = false;
  int Line = 1;
  int Col = 1;

  bool is(TokenKind K) const { return Kind == K; }
  bool isIdent(std::string_view S) const {
    return Kind == TokenKind::Ident && Text == S;
  }
  /// The token as it should appear in an error message: "'mull'", "end of
  /// file".
  std::string describe() const;
};

/// Produces tokens from the text one at a time; the text must outlive it.
class Lexer {
public:
  explicit Lexer(std::string_view Text) : Text(Text) {}

  /// The next token; Eof forever at the end. Throws ParseError.
  Token next();

private:
  void skipSpaceAndComments();
  char peekChar(size_t Ahead = 0) const {
    return Pos + Ahead < Text.size() ? Text[Pos + Ahead] : '\0';
  }
  void advance();
  Token lexNumber(Token T);
  Token lexName(Token T, TokenKind Kind);
  std::string lexQuoted(int Line, int Col);

  std::string_view Text;
  size_t Pos = 0;
  int Line = 1;
  int Col = 1;
};

/// True when S is an identifier: [A-Za-z_][A-Za-z0-9_.]*.
bool isIdentifier(std::string_view S);
/// S in double quotes with C escapes (\" \\ \n \t \r and \xHH for other
/// control bytes); bytes >= 0x80 are kept as they are.
std::string quoteString(std::string_view S);

} // namespace netjit
