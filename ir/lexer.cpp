//===- lexer.cpp - Tokens of the IR text form
//------------------------------===//
//
// Splits IR text into identifiers, numbers, strings, %value and @graph names
// and punctuation. Numbers keep their spelling: the parser converts them once
// it knows the dtype they must fit (a constant's value is parsed as f32 text,
// not through double, so it rounds once). Strings use C escapes.
//
//===----------------------------------------------------------------------===//
#include "ir/lexer.h"

#include "ir/error.h"

#include <cctype>

namespace netjit {
namespace {

bool isIdentStart(char C) {
  return std::isalpha(static_cast<unsigned char>(C)) || C == '_';
}
bool isIdentChar(char C) {
  return std::isalnum(static_cast<unsigned char>(C)) || C == '_' || C == '.';
}
bool isDigit(char C) { return C >= '0' && C <= '9'; }
bool isHexDigit(char C) {
  return std::isxdigit(static_cast<unsigned char>(C)) != 0;
}
int hexValue(char C) {
  return isDigit(C) ? C - '0'
                    : std::tolower(static_cast<unsigned char>(C)) - 'a' + 10;
}

} // namespace

std::string_view tokenKindName(TokenKind K) {
  switch (K) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Ident:
    return "identifier";
  case TokenKind::Int:
    return "integer";
  case TokenKind::Float:
    return "number";
  case TokenKind::String:
    return "string";
  case TokenKind::ValueName:
    return "value name";
  case TokenKind::GraphName:
    return "graph name";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  }
  return "token";
}

std::string Token::describe() const {
  switch (Kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Ident:
  case TokenKind::Int:
  case TokenKind::Float:
    return "'" + Text + "'";
  case TokenKind::String:
    return "string " + quoteString(Text);
  case TokenKind::ValueName:
    return "'%" + (Quoted ? quoteString(Text) : Text) + "'";
  case TokenKind::GraphName:
    return "'@" + (Quoted ? quoteString(Text) : Text) + "'";
  default:
    return std::string(tokenKindName(Kind));
  }
}

void Lexer::advance() {
  if (Pos >= Text.size())
    return;
  if (Text[Pos] == '\n') {
    ++Line;
    Col = 1;
  } else {
    ++Col;
  }
  ++Pos;
}

void Lexer::skipSpaceAndComments() {
  while (Pos < Text.size()) {
    char C = Text[Pos];
    if (C == ' ' || C == '\t' || C == '\n' || C == '\r') {
      advance();
    } else if (C == '/' && peekChar(1) == '/') {
      while (Pos < Text.size() && Text[Pos] != '\n')
        advance();
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  Token T;
  T.Line = Line;
  T.Col = Col;
  if (Pos >= Text.size())
    return T;
  char C = Text[Pos];
  if (isIdentStart(C)) {
    size_t Start = Pos;
    while (isIdentChar(peekChar()))
      advance();
    T.Kind = TokenKind::Ident;
    T.Text = std::string(Text.substr(Start, Pos - Start));
    return T;
  }
  if (isDigit(C))
    return lexNumber(std::move(T));
  if (C == '"') {
    T.Kind = TokenKind::String;
    T.Text = lexQuoted(T.Line, T.Col);
    return T;
  }
  if (C == '%')
    return lexName(std::move(T), TokenKind::ValueName);
  if (C == '@')
    return lexName(std::move(T), TokenKind::GraphName);
  static constexpr std::pair<char, TokenKind> Punct[] = {
      {'(', TokenKind::LParen},   {')', TokenKind::RParen},
      {'{', TokenKind::LBrace},   {'}', TokenKind::RBrace},
      {'[', TokenKind::LBracket}, {']', TokenKind::RBracket},
      {',', TokenKind::Comma},    {':', TokenKind::Colon},
      {'=', TokenKind::Equal},    {'+', TokenKind::Plus},
      {'-', TokenKind::Minus},    {'*', TokenKind::Star}};
  for (auto [Ch, Kind] : Punct) {
    if (C == Ch) {
      advance();
      T.Kind = Kind;
      T.Text = std::string(1, C);
      return T;
    }
  }
  unsigned char U = static_cast<unsigned char>(C);
  std::string Shown = std::isprint(U) ? std::string("'") + C + "'"
                                      : quoteString(std::string(1, C));
  throw ParseError(Line, Col, "unexpected character " + Shown);
}

Token Lexer::lexNumber(Token T) {
  size_t Start = Pos;
  T.Kind = TokenKind::Int;
  if (peekChar() == '0' && (peekChar(1) == 'x' || peekChar(1) == 'X')) {
    advance();
    advance();
    if (!isHexDigit(peekChar()))
      throw ParseError(T.Line, T.Col, "expected hex digits after '0x'");
    while (isHexDigit(peekChar()))
      advance();
  } else {
    while (isDigit(peekChar()))
      advance();
    if (peekChar() == '.' && isDigit(peekChar(1))) {
      T.Kind = TokenKind::Float;
      advance();
      while (isDigit(peekChar()))
        advance();
    }
    char E = peekChar();
    if ((E == 'e' || E == 'E') &&
        (isDigit(peekChar(1)) || ((peekChar(1) == '+' || peekChar(1) == '-') &&
                                  isDigit(peekChar(2))))) {
      T.Kind = TokenKind::Float;
      advance();
      if (peekChar() == '+' || peekChar() == '-')
        advance();
      while (isDigit(peekChar()))
        advance();
    }
  }
  if (isIdentChar(peekChar()))
    throw ParseError(Line, Col,
                     "bad number: unexpected '" + std::string(1, peekChar()) +
                         "'");
  T.Text = std::string(Text.substr(Start, Pos - Start));
  return T;
}

Token Lexer::lexName(Token T, TokenKind Kind) {
  char Sigil = Text[Pos];
  advance();
  T.Kind = Kind;
  if (peekChar() == '"') {
    T.Quoted = true;
    T.Text = lexQuoted(Line, Col);
    return T;
  }
  size_t Start = Pos;
  while (isIdentChar(peekChar()))
    advance();
  T.Text = std::string(Text.substr(Start, Pos - Start));
  if (T.Text.empty())
    throw ParseError(T.Line, T.Col,
                     "expected a name after '" + std::string(1, Sigil) + "'");
  if (isDigit(T.Text[0])) {
    for (char C : T.Text)
      if (!isDigit(C))
        throw ParseError(T.Line, T.Col,
                         "bad name '" + std::string(1, Sigil) + T.Text +
                             "': a name is a number, an identifier or quoted");
  }
  return T;
}

std::string Lexer::lexQuoted(int StartLine, int StartCol) {
  advance(); // the opening quote
  std::string Out;
  while (true) {
    char C = peekChar();
    if (Pos >= Text.size() || C == '\n')
      throw ParseError(StartLine, StartCol, "unterminated string");
    if (C == '"') {
      advance();
      return Out;
    }
    if (C != '\\') {
      Out += C;
      advance();
      continue;
    }
    int EscLine = Line, EscCol = Col;
    advance();
    char E = peekChar();
    switch (E) {
    case 'n':
      Out += '\n';
      break;
    case 't':
      Out += '\t';
      break;
    case 'r':
      Out += '\r';
      break;
    case '0':
      Out += '\0';
      break;
    case '\\':
      Out += '\\';
      break;
    case '"':
      Out += '"';
      break;
    case '\'':
      Out += '\'';
      break;
    case 'x':
      if (!isHexDigit(peekChar(1)) || !isHexDigit(peekChar(2)))
        throw ParseError(EscLine, EscCol,
                         "bad escape: \\x needs two hex digits");
      Out +=
          static_cast<char>(hexValue(peekChar(1)) * 16 + hexValue(peekChar(2)));
      advance();
      advance();
      break;
    default:
      if (Pos >= Text.size() || E == '\n')
        throw ParseError(StartLine, StartCol, "unterminated string");
      throw ParseError(EscLine, EscCol,
                       "bad escape '\\" + std::string(1, E) + "' in string");
    }
    advance();
  }
}

bool isIdentifier(std::string_view S) {
  if (S.empty() || !isIdentStart(S[0]))
    return false;
  for (char C : S)
    if (!isIdentChar(C))
      return false;
  return true;
}

std::string quoteString(std::string_view S) {
  static const char Hex[] = "0123456789abcdef";
  std::string Out = "\"";
  for (char C : S) {
    unsigned char U = static_cast<unsigned char>(C);
    switch (C) {
    case '"':
      Out += "\\\"";
      break;
    case '\\':
      Out += "\\\\";
      break;
    case '\n':
      Out += "\\n";
      break;
    case '\t':
      Out += "\\t";
      break;
    case '\r':
      Out += "\\r";
      break;
    default:
      if (U < 0x20 || U == 0x7f) {
        Out += "\\x";
        Out += Hex[U >> 4];
        Out += Hex[U & 15];
      } else {
        Out += C;
      }
    }
  }
  return Out + "\"";
}

} // namespace netjit
