//===- npy.cpp - NumPy .npy files -----------------------------------------===//
//
// The .npy format (numpy/lib/format.py): the magic "\x93NUMPY", a major and a
// minor version byte (1.0, 2.0 or 3.0), the header length (2 bytes in 1.0, 4
// bytes after), and an ASCII Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline; then the raw elements. The header is
// parsed strictly: exactly the three keys, each once; a descr netjit knows
// ('<f4', '<f8', '<i4', '<i8', '|b1'); a tuple of non-negative ints. The data
// must have exactly the size the shape asks for. Every problem is a
// RuntimeError that names the source.
//
//===----------------------------------------------------------------------===//
#include "runtime/npy.h"
#include "runtime/data_io.h"

#include "ir/error.h"
#include "runtime/bytes.h"

#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>

namespace netjit {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader assumes a little-endian host");

constexpr std::string_view kMagic = "\x93NUMPY";

struct NpyHeader {
  DType Type = DType::F32;
  bool FortranOrder = false;
  std::vector<int64_t> Shape;
};

[[noreturn]] void fail(std::string_view Source, const std::string &Problem) {
  throw RuntimeError(std::string(Source) + ": " + Problem);
}

/// A strict recursive-descent parser for the header dict.
class HeaderParser {
public:
  HeaderParser(std::string_view Text, std::string_view Source)
      : Text(Text), Source(Source) {}

  NpyHeader parse() {
    NpyHeader H;
    bool SeenDescr = false, SeenFortran = false, SeenShape = false;
    expect('{');
    while (true) {
      skipSpace();
      if (peek() == '}')
        break;
      std::string Key = parseString();
      expect(':');
      if (Key == "descr") {
        markSeen(SeenDescr, Key);
        H.Type = parseDescr();
      } else if (Key == "fortran_order") {
        markSeen(SeenFortran, Key);
        H.FortranOrder = parseBool();
      } else if (Key == "shape") {
        markSeen(SeenShape, Key);
        H.Shape = parseShape();
      } else {
        error("unexpected key '" + Key + "'");
      }
      skipSpace();
      if (peek() != ',')
        break;
      ++Pos;
    }
    expect('}');
    skipSpace();
    if (Pos != Text.size())
      error("unexpected text after the closing '}'");
    if (!SeenDescr || !SeenFortran || !SeenShape)
      error(std::string("missing key '") +
            (!SeenDescr     ? "descr"
             : !SeenFortran ? "fortran_order"
                            : "shape") +
            "'");
    return H;
  }

private:
  [[noreturn]] void error(const std::string &Problem) {
    fail(Source, "malformed .npy header at offset " + std::to_string(Pos) +
                     ": " + Problem);
  }
  char peek() const { return Pos < Text.size() ? Text[Pos] : '\0'; }
  void skipSpace() {
    while (Pos < Text.size() && (Text[Pos] == ' ' || Text[Pos] == '\n' ||
                                 Text[Pos] == '\t' || Text[Pos] == '\r'))
      ++Pos;
  }
  void expect(char C) {
    skipSpace();
    if (peek() != C)
      error(std::string("expected '") + C + "'");
    ++Pos;
  }
  void markSeen(bool &Seen, const std::string &Key) {
    if (Seen)
      error("duplicate key '" + Key + "'");
    Seen = true;
  }

  std::string parseString() {
    skipSpace();
    char Quote = peek();
    if (Quote != '\'' && Quote != '"')
      error("expected a quoted string");
    size_t End = Text.find(Quote, Pos + 1);
    if (End == std::string_view::npos)
      error("unterminated string");
    std::string S(Text.substr(Pos + 1, End - Pos - 1));
    if (S.find('\\') != std::string::npos)
      error("escape sequences are not supported");
    Pos = End + 1;
    return S;
  }

  DType parseDescr() {
    skipSpace();
    if (peek() == '[')
      error("structured dtypes are not supported");
    std::string D = parseString();
    if (D == "<f4")
      return DType::F32;
    if (D == "<f8")
      return DType::F64;
    if (D == "<i4")
      return DType::I32;
    if (D == "<i8")
      return DType::I64;
    if (D == "|b1")
      return DType::Bool;
    if (!D.empty() && D[0] == '>')
      fail(Source, "big-endian data ('" + D +
                       "') is not supported; convert it with "
                       "numpy's astype('<" +
                       D.substr(1) + "')");
    fail(Source, "unsupported dtype '" + D +
                     "' (netjit reads '<f4', '<f8', '<i4', '<i8' and '|b1')");
  }

  bool parseBool() {
    skipSpace();
    for (auto [Word, Value] : {std::pair{"True", true}, {"False", false}}) {
      std::string_view W(Word);
      if (Text.substr(Pos, W.size()) == W) {
        Pos += W.size();
        return Value;
      }
    }
    error("expected True or False");
  }

  int64_t parseInt() {
    skipSpace();
    if (peek() < '0' || peek() > '9')
      error("expected a non-negative integer dim");
    int64_t V = 0;
    while (peek() >= '0' && peek() <= '9') {
      int Digit = Text[Pos++] - '0';
      if (V > (std::numeric_limits<int64_t>::max() - Digit) / 10)
        error("dim does not fit in 64 bits");
      V = V * 10 + Digit;
    }
    return V;
  }

  std::vector<int64_t> parseShape() {
    std::vector<int64_t> Shape;
    bool TrailingComma = false;
    expect('(');
    skipSpace();
    while (peek() != ')') {
      Shape.push_back(parseInt());
      skipSpace();
      TrailingComma = peek() == ',';
      if (TrailingComma)
        ++Pos;
      else if (peek() != ')')
        error("expected ',' or ')' in the shape");
      skipSpace();
    }
    // Python spells a one-element tuple "(3,)"; "(3)" is just an int.
    if (Shape.size() == 1 && !TrailingComma)
      error("a one-dim shape must be written '(N,)'");
    ++Pos;
    return Shape;
  }

  std::string_view Text;
  std::string_view Source;
  size_t Pos = 0;
};

/// The shape as a Python tuple: "()", "(3,)", "(2, 3)".
std::string shapeText(const std::vector<int64_t> &Shape) {
  std::string S = "(";
  for (size_t I = 0; I < Shape.size(); ++I)
    S += (I ? ", " : "") + std::to_string(Shape[I]);
  return S + (Shape.size() == 1 ? ",)" : ")");
}

/// The number of data bytes Shape needs, or nullopt if it overflows.
std::optional<uint64_t> dataBytes(const std::vector<int64_t> &Shape, DType T) {
  for (int64_t D : Shape)
    if (D == 0)
      return 0;
  uint64_t N = dtypeSize(T);
  const uint64_t Limit = std::numeric_limits<int64_t>::max();
  for (int64_t D : Shape) {
    if (N > Limit / static_cast<uint64_t>(D))
      return std::nullopt;
    N *= static_cast<uint64_t>(D);
  }
  return N;
}

/// Copies column-major Src into the row-major tensor Out.
void transposeFromFortran(const uint8_t *Src, Tensor &Out) {
  const std::vector<int64_t> &Shape = Out.shape();
  if (Out.numel() == 0) // the strides of an empty array may not fit 64 bits
    return;
  size_t Elem = dtypeSize(Out.dtype());
  size_t Rank = Shape.size();
  std::vector<int64_t> Index(Rank, 0), CStride(Rank, 1);
  for (size_t I = Rank; I-- > 1;)
    CStride[I - 1] = CStride[I] * Shape[I];
  auto *Dst = static_cast<uint8_t *>(Out.raw());
  for (int64_t F = 0, N = Out.numel(); F < N; ++F) {
    int64_t C = 0;
    for (size_t I = 0; I < Rank; ++I)
      C += Index[I] * CStride[I];
    std::memcpy(Dst + C * Elem, Src + F * Elem, Elem);
    // Fortran order: the first index varies fastest.
    for (size_t I = 0; I < Rank; ++I) {
      if (++Index[I] < Shape[I])
        break;
      Index[I] = 0;
    }
  }
}


/// Checks the magic and the version, parses the header dict and sets
/// DataStart to the offset of the first element.
NpyHeader parseHeader(std::string_view Bytes, std::string_view Source,
                      size_t &DataStart) {
  const auto *P = reinterpret_cast<const uint8_t *>(Bytes.data());
  if (Bytes.size() < 10 || Bytes.substr(0, kMagic.size()) != kMagic)
    fail(Source, "not a .npy file (missing the \\x93NUMPY magic)");
  int Major = P[6], Minor = P[7];
  if (Major < 1 || Major > 3 || Minor != 0)
    fail(Source, "unsupported .npy format version " + std::to_string(Major) +
                     "." + std::to_string(Minor) +
                     " (netjit reads 1.0, 2.0 and 3.0)");
  size_t LenBytes = Major == 1 ? 2 : 4;
  if (Bytes.size() < 8 + LenBytes)
    fail(Source, "truncated .npy preamble");
  uint64_t HeaderLen = readLittleEndian(P + 8, LenBytes);
  if (8 + LenBytes + HeaderLen > Bytes.size())
    fail(Source, "truncated header: it declares " + std::to_string(HeaderLen) +
                     " bytes but the file has " +
                     std::to_string(Bytes.size() - 8 - LenBytes) + " left");
  DataStart = 8 + LenBytes + HeaderLen;
  std::string_view Text = Bytes.substr(8 + LenBytes, HeaderLen);
  for (char C : Text)
    if (static_cast<unsigned char>(C) >= 0x80 || C == '\0')
      fail(Source, "malformed .npy header: non-ASCII byte");
  return HeaderParser(Text, Source).parse();
}


} // namespace

Tensor parseNpy(std::string_view Bytes, std::string_view Source) {
  size_t DataStart;
  NpyHeader H = parseHeader(Bytes, Source, DataStart);
  std::optional<uint64_t> Need = dataBytes(H.Shape, H.Type);
  if (!Need)
    fail(Source, "shape " + shapeText(H.Shape) + " is too large");
  uint64_t Have = Bytes.size() - DataStart;
  if (Have != *Need)
    fail(Source,
         std::string(Have < *Need ? "truncated data" : "trailing data") +
             ": shape " + shapeText(H.Shape) + " of " +
             std::string(dtypeName(H.Type)) + " needs " +
             std::to_string(*Need) + " bytes, the file has " +
             std::to_string(Have));

  Tensor T(H.Type, H.Shape);
  const auto *Data =
      reinterpret_cast<const uint8_t *>(Bytes.data()) + DataStart;
  if (H.FortranOrder)
    transposeFromFortran(Data, T);
  else if (*Need)
    std::memcpy(T.raw(), Data, *Need);
  if (H.Type == DType::Bool) {
    // Any non-zero byte is True in numpy; keep netjit's 0/1 invariant.
    auto *B = static_cast<uint8_t *>(T.raw());
    for (int64_t I = 0, N = T.numel(); I < N; ++I)
      B[I] = B[I] != 0;
  }
  return T;
}

Tensor readNpy(const std::string &Path) {
  return parseNpy(readFileBytes(Path), Path);
}

std::string serializeNpy(const Tensor &T) {
  std::string Descr;
  switch (T.dtype()) {
  case DType::F32:
    Descr = "<f4";
    break;
  case DType::F64:
    Descr = "<f8";
    break;
  case DType::I32:
    Descr = "<i4";
    break;
  case DType::I64:
    Descr = "<i8";
    break;
  case DType::Bool:
    Descr = "|b1";
    break;
  }
  std::string Dict =
      "{'descr': '" + Descr +
      "', 'fortran_order': False, 'shape': " + shapeText(T.shape()) + ", }";
  // Pad so that the data starts on a 64-byte boundary, as numpy does.
  bool V2 = Dict.size() + 1 + 10 > 65535;
  size_t Preamble = V2 ? 12 : 10;
  size_t Total = (Preamble + Dict.size() + 1 + 63) / 64 * 64;
  size_t HeaderLen = Total - Preamble;
  Dict.append(HeaderLen - Dict.size() - 1, ' ');
  Dict += '\n';

  std::string Out(kMagic);
  Out += static_cast<char>(V2 ? 2 : 1);
  Out += '\0';
  for (size_t I = 0; I < Preamble - 8; ++I)
    Out += static_cast<char>((HeaderLen >> (8 * I)) & 0xff);
  Out += Dict;
  Out.append(static_cast<const char *>(T.raw()), T.nbytes());
  return Out;
}

void writeNpy(const std::string &Path, const Tensor &T) {
  writeFileAtomic(Path, serializeNpy(T));
}

} // namespace netjit
