//===- error.h - netjit's user-facing errors and internal checks ------------===//
//
// User errors (a bad shape, an unknown name, malformed IR text, bad data) are
// reported by throwing netjit::Error or one of its subclasses; the message
// names the op, the operand and the shapes involved. Broken internal
// invariants are not user errors: NJ_CHECK aborts with the file, the line and
// the message, because continuing would compute garbage.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

namespace netjit {

/// Base class of every error a user of netjit can cause.
class Error : public std::runtime_error {
public:
  explicit Error(const std::string &Message) : std::runtime_error(Message) {}
};

/// A type or shape rule was violated while building or verifying a graph.
class TypeError : public Error {
public:
  using Error::Error;
};

/// Malformed IR text; the message starts with "LINE:COLUMN: ".
class ParseError : public Error {
public:
  ParseError(int Line, int Column, const std::string &Problem)
      : Error(std::to_string(Line) + ":" + std::to_string(Column) + ": " +
              Problem),
        Line(Line), Column(Column) {}
  int line() const { return Line; }
  int column() const { return Column; }

private:
  int Line, Column;
};

/// Bad data at the runtime boundary: an unreadable file, wrong dtype or
/// shape for an input, an unbound symbolic dim, an index out of range.
class RuntimeError : public Error {
public:
  using Error::Error;
};

namespace detail {
[[noreturn]] inline void checkFailed(const char *File, int Line,
                                     const char *Cond, const std::string &Msg) {
  std::fprintf(stderr, "netjit internal error at %s:%d: check '%s' failed%s%s\n",
               File, Line, Cond, Msg.empty() ? "" : ": ", Msg.c_str());
  std::abort();
}
} // namespace detail

} // namespace netjit

/// Checks an internal invariant; on failure prints the message (built with
/// operator<<) and aborts. Never use it for conditions a user can cause.
#define NJ_CHECK(Cond, Msg)                                                    \
  do {                                                                         \
    if (!(Cond)) {                                                             \
      std::ostringstream NjCheckOs_;                                           \
      NjCheckOs_ << Msg;                                                       \
      ::netjit::detail::checkFailed(__FILE__, __LINE__, #Cond,                 \
                                    NjCheckOs_.str());                         \
    }                                                                          \
  } while (0)
