//===- data_io.cpp - Files, gzip, CSV, IDX and Fashion-MNIST ---------------===//
//
// IDX (yann.lecun.com/exdb/mnist): bytes 0-1 are zero, byte 2 the element
// type (08 u8, 09 i8, 0B i16, 0C i32, 0D f32, 0E f64), byte 3 the rank; then
// one big-endian u32 per dim and the elements, big-endian, C order. The size
// the dims ask for is computed without overflow and compared with the bytes
// present before a tensor is allocated, so a corrupt header cannot make the
// reader allocate more than the file holds. A gzipped file is inflated
// first; deflate expands at most ~1032:1, which bounds that buffer too.
//
// The .npz reader (a zip parser) is in npz.cpp.
//
//===----------------------------------------------------------------------===//
#include "runtime/data_io.h"

#include "ir/error.h"

#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include <zlib.h>

namespace netjit {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the IDX reader assumes a little-endian host");

[[noreturn]] void fail(std::string_view Source, const std::string &Problem) {
  throw RuntimeError(std::string(Source) + ": " + Problem);
}

std::atomic<size_t> FailAfter{SIZE_MAX};

/// Writes all of Bytes to Fd; returns 0 or the errno of the failure.
int writeAll(int Fd, std::string_view Bytes) {
  size_t Done = 0;
  while (Done < Bytes.size()) {
    ssize_t N = ::write(Fd, Bytes.data() + Done, Bytes.size() - Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return N < 0 ? errno : EIO;
    Done += static_cast<size_t>(N);
  }
  return 0;
}

/// The folder of Path, for the fsync that makes a rename durable.
std::string folderOf(const std::string &Path) {
  size_t Slash = Path.rfind('/');
  if (Slash == std::string::npos)
    return ".";
  return Slash == 0 ? "/" : Path.substr(0, Slash);
}

} // namespace

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

std::string readFileBytes(const std::string &Path) {
  struct stat St;
  if (::stat(Path.c_str(), &St) == 0 && S_ISDIR(St.st_mode))
    fail(Path, "is a folder, not a file");
  std::ifstream In(Path, std::ios::binary);
  if (!In)
    fail(Path, std::string("cannot open for reading: ") + std::strerror(errno));
  std::ostringstream Buffer;
  Buffer << In.rdbuf();
  if (In.bad())
    fail(Path, "read error");
  return std::move(Buffer).str();
}

void detail::failNextWriteAfter(size_t Bytes) { FailAfter = Bytes; }

void writeFileAtomic(const std::string &Path, std::string_view Bytes) {
  static std::atomic<unsigned> Counter{0};
  std::string Temp = Path + ".tmp." + std::to_string(::getpid()) + "." +
                     std::to_string(Counter++);
  int Fd = ::open(Temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (Fd < 0)
    fail(Path, "cannot create '" + Temp + "': " + std::strerror(errno));
  size_t Limit = FailAfter.exchange(SIZE_MAX);
  if (Limit < Bytes.size()) {
    int Err = writeAll(Fd, Bytes.substr(0, Limit));
    ::close(Fd);
    fail(Path, "simulated crash after writing " + std::to_string(Limit) +
                   " bytes of '" + Temp + "'" +
                   (Err ? std::string(" (") + std::strerror(Err) + ")" : ""));
  }
  int Err = writeAll(Fd, Bytes);
  if (!Err && ::fsync(Fd) != 0)
    Err = errno;
  if (::close(Fd) != 0 && !Err)
    Err = errno;
  if (!Err && ::rename(Temp.c_str(), Path.c_str()) != 0)
    Err = errno;
  if (Err) {
    ::unlink(Temp.c_str());
    fail(Path, std::string("cannot write: ") + std::strerror(Err));
  }
  // The rename is only durable once the folder's entry is on disk. A folder
  // that cannot be opened or synced (some file systems refuse) leaves the
  // file written but the rename possibly volatile; that is not an error.
  int Dir = ::open(folderOf(Path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (Dir >= 0) {
    (void)::fsync(Dir);
    ::close(Dir);
  }
}

//===----------------------------------------------------------------------===//
// gzip
//===----------------------------------------------------------------------===//

bool isGzip(std::string_view Bytes) {
  return Bytes.size() >= 2 && static_cast<uint8_t>(Bytes[0]) == 0x1f &&
         static_cast<uint8_t>(Bytes[1]) == 0x8b;
}

std::string gunzip(std::string_view Bytes, std::string_view Source) {
  if (!isGzip(Bytes))
    fail(Source, "not gzip data (no 1f 8b magic)");
  z_stream S{};
  if (inflateInit2(&S, 15 + 16) != Z_OK)
    fail(Source, "cannot initialise zlib");
  struct End {
    z_stream &S;
    ~End() { inflateEnd(&S); }
  } Guard{S};

  // The last member's trailer holds its size mod 2^32: a good first guess
  // for one member, capped by what deflate can produce from the input.
  std::string Out;
  if (Bytes.size() >= 18) {
    const auto *T = reinterpret_cast<const uint8_t *>(Bytes.data()) +
                    Bytes.size() - 4;
    size_t Guess = uint32_t(T[0]) | uint32_t(T[1]) << 8 |
                   uint32_t(T[2]) << 16 | uint32_t(T[3]) << 24;
    Out.resize(std::min(Guess, Bytes.size() * 1032));
  }
  size_t Produced = 0, Consumed = 0;
  while (true) {
    if (S.avail_in == 0) {
      size_t Chunk = std::min<size_t>(Bytes.size() - Consumed, 1u << 30);
      S.next_in = reinterpret_cast<Bytef *>(
          const_cast<char *>(Bytes.data() + Consumed));
      S.avail_in = static_cast<uInt>(Chunk);
      Consumed += Chunk;
    }
    if (Produced == Out.size())
      Out.resize(std::max<size_t>(Out.size() * 2, 1 << 16));
    size_t Room = std::min<size_t>(Out.size() - Produced, 1u << 30);
    S.next_out = reinterpret_cast<Bytef *>(Out.data() + Produced);
    S.avail_out = static_cast<uInt>(Room);
    int R = inflate(&S, Z_NO_FLUSH);
    Produced += Room - S.avail_out;
    if (R == Z_STREAM_END) {
      size_t Left = S.avail_in + (Bytes.size() - Consumed);
      if (Left == 0)
        break;
      // gzip allows several members back to back.
      std::string_view Rest = Bytes.substr(Bytes.size() - Left);
      if (!isGzip(Rest))
        fail(Source, std::to_string(Left) +
                         " trailing bytes after the gzip data");
      if (inflateReset(&S) != Z_OK)
        fail(Source, "cannot reset zlib");
      continue;
    }
    if (R == Z_OK)
      continue;
    if (R == Z_BUF_ERROR && S.avail_in == 0 && Consumed == Bytes.size())
      fail(Source, "truncated gzip data (the stream ends early)");
    if (R == Z_BUF_ERROR)
      continue;
    fail(Source, std::string("corrupt gzip data: ") +
                     (S.msg ? S.msg : "zlib error " + std::to_string(R)));
  }
  Out.resize(Produced);
  return Out;
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

namespace {

struct CsvReader {
  std::string_view Source;
  const CsvOptions &Options;
  std::vector<float> Values;
  size_t Columns = 0, Rows = 0, FirstRowLine = 0;

  [[noreturn]] void error(size_t Line, size_t Column,
                          const std::string &Problem) const {
    throw RuntimeError(std::string(Source) + ":" + std::to_string(Line) + ":" +
                       std::to_string(Column) + ": " + Problem);
  }

  /// Whether a number from_chars found out of range for f32 is tiny
  /// rather than huge.
  static bool underflows(std::string_view Digits) {
    double Wide = 0;
    auto [Ptr, Ec] =
        std::from_chars(Digits.data(), Digits.data() + Digits.size(), Wide);
    if (Ec == std::errc())
      return std::fabs(Wide) < 1;
    // Out of range for f64 too: tiny when the exponent is negative, or
    // when there is none and the integer part is all zeros.
    size_t E = Digits.find_first_of("eE");
    if (E != std::string_view::npos)
      return E + 1 < Digits.size() && Digits[E + 1] == '-';
    std::string_view Int = Digits.substr(0, Digits.find('.'));
    return Int.find_first_not_of("-0") == std::string_view::npos;
  }

  bool isPad(char C) const {
    return (C == ' ' || C == '\t') && C != Options.Delimiter;
  }

  void parseField(std::string_view Line, size_t Begin, size_t End,
                  size_t LineNo, size_t Field) {
    while (Begin < End && isPad(Line[Begin]))
      ++Begin;
    while (End > Begin && isPad(Line[End - 1]))
      --End;
    std::string_view Text = Line.substr(Begin, End - Begin);
    if (Text.empty())
      error(LineNo, Begin + 1, "empty field (field " + std::to_string(Field) +
                                   ")");
    // from_chars takes no '+' sign.
    std::string_view Digits = Text;
    if (Digits.size() > 1 && Digits[0] == '+' && Digits[1] != '-')
      Digits.remove_prefix(1);
    float V = 0;
    auto [Ptr, Ec] =
        std::from_chars(Digits.data(), Digits.data() + Digits.size(), V);
    if (Ptr != Digits.data() + Digits.size() ||
        (Ec != std::errc() && Ec != std::errc::result_out_of_range))
      error(LineNo, Begin + 1, "'" + std::string(Text) +
                                   "' is not a number (field " +
                                   std::to_string(Field) + ")");
    if (Ec == std::errc::result_out_of_range) {
      // Below the smallest subnormal rounds to zero, as numpy's float32
      // does; only overflow is an error.
      if (!underflows(Digits))
        error(LineNo, Begin + 1, "'" + std::string(Text) +
                                     "' is out of range for f32 (field " +
                                     std::to_string(Field) + ")");
      V = Digits[0] == '-' ? -0.0f : 0.0f;
    }
    Values.push_back(V);
  }

  void parseLine(std::string_view Line, size_t LineNo) {
    bool Blank = true;
    for (char C : Line)
      if (C != ' ' && C != '\t')
        Blank = false;
    if (Blank)
      return;
    size_t Fields = 0, Begin = 0;
    while (true) {
      size_t End = Line.find(Options.Delimiter, Begin);
      if (End == std::string_view::npos)
        End = Line.size();
      ++Fields;
      if (Rows > 0 && Fields > Columns)
        error(LineNo, Begin + 1,
              "this row has more than " + std::to_string(Columns) +
                  " fields, the first row (line " +
                  std::to_string(FirstRowLine) + ") has " +
                  std::to_string(Columns));
      parseField(Line, Begin, End, LineNo, Fields);
      if (End == Line.size())
        break;
      Begin = End + 1;
    }
    if (Rows == 0) {
      Columns = Fields;
      FirstRowLine = LineNo;
    } else if (Fields != Columns) {
      error(LineNo, Line.size() + 1,
            "this row has " + std::to_string(Fields) +
                " fields, the first row (line " +
                std::to_string(FirstRowLine) + ") has " +
                std::to_string(Columns));
    }
    ++Rows;
  }
};

} // namespace

Tensor parseCsv(std::string_view Text, std::string_view Source,
                const CsvOptions &Options) {
  if (Options.Delimiter == '\n' || Options.Delimiter == '\r' ||
      Options.Delimiter == '\0')
    fail(Source, "the CSV delimiter cannot be a line break or NUL");
  if (Text.substr(0, 3) == "\xEF\xBB\xBF")
    Text.remove_prefix(3);
  CsvReader R{Source, Options, {}};
  size_t Pos = 0, LineNo = 0;
  while (Pos < Text.size()) {
    size_t End = Text.find('\n', Pos);
    if (End == std::string_view::npos)
      End = Text.size();
    std::string_view Line = Text.substr(Pos, End - Pos);
    if (!Line.empty() && Line.back() == '\r')
      Line.remove_suffix(1);
    ++LineNo;
    if (!(Options.SkipHeader && LineNo == 1))
      R.parseLine(Line, LineNo);
    Pos = End + 1;
  }
  if (R.Rows == 0)
    fail(Source, Options.SkipHeader ? "no data rows after the header line"
                                    : "no data rows");
  Tensor T(DType::F32, {static_cast<int64_t>(R.Rows),
                        static_cast<int64_t>(R.Columns)});
  std::memcpy(T.raw(), R.Values.data(), R.Values.size() * sizeof(float));
  return T;
}

Tensor readCsv(const std::string &Path, const CsvOptions &Options) {
  return parseCsv(readFileBytes(Path), Path, Options);
}

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

namespace {

struct IdxType {
  uint8_t Code;
  const char *Name;
  size_t Size;
};
constexpr IdxType kIdxTypes[] = {{0x08, "u8", 1},  {0x09, "i8", 1},
                                 {0x0B, "i16", 2}, {0x0C, "i32", 4},
                                 {0x0D, "f32", 4}, {0x0E, "f64", 8}};

/// A checked IDX image: its element type, dims and the element bytes.
struct IdxView {
  const IdxType *Type;
  std::vector<int64_t> Dims;
  const uint8_t *Data;
};

std::string dimsText(const std::vector<int64_t> &Dims) {
  std::string S = "(";
  for (size_t I = 0; I < Dims.size(); ++I)
    S += (I ? ", " : "") + std::to_string(Dims[I]);
  return S + ")";
}

std::string hexByte(uint8_t B) {
  const char *Digits = "0123456789abcdef";
  return std::string("0x") + Digits[B >> 4] + Digits[B & 15];
}

IdxView viewIdx(std::string_view Bytes, std::string_view Source) {
  const auto *P = reinterpret_cast<const uint8_t *>(Bytes.data());
  if (Bytes.size() < 4)
    fail(Source, "truncated IDX header: " + std::to_string(Bytes.size()) +
                     " bytes, the magic alone needs 4");
  if (P[0] != 0 || P[1] != 0)
    fail(Source, "not an IDX file: it starts with " + hexByte(P[0]) + " " +
                     hexByte(P[1]) + ", IDX files start with two zero bytes");
  IdxView V{nullptr, {}, nullptr};
  for (const IdxType &T : kIdxTypes)
    if (T.Code == P[2])
      V.Type = &T;
  if (!V.Type)
    fail(Source, "unknown IDX element type " + hexByte(P[2]) +
                     " (known: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, "
                     "0x0d f32, 0x0e f64)");
  size_t Rank = P[3];
  if (Rank == 0)
    fail(Source, "IDX rank 0: the file must have at least one dim");
  size_t Header = 4 + 4 * Rank;
  if (Bytes.size() < Header)
    fail(Source, "truncated IDX header: rank " + std::to_string(Rank) +
                     " needs " + std::to_string(Header) +
                     " header bytes, the file has " +
                     std::to_string(Bytes.size()));
  for (size_t I = 0; I < Rank; ++I) {
    const uint8_t *D = P + 4 + 4 * I;
    V.Dims.push_back(static_cast<int64_t>(
        (uint32_t(D[0]) << 24) | (uint32_t(D[1]) << 16) |
        (uint32_t(D[2]) << 8) | uint32_t(D[3])));
  }
  // Each dim is < 2^32; stop multiplying once the product passes what any
  // file could hold, so it never overflows.
  uint64_t Need = V.Type->Size;
  bool TooLarge = false;
  for (int64_t D : V.Dims) {
    if (D == 0) {
      Need = 0;
      TooLarge = false;
      break;
    }
    if (!TooLarge && Need > (uint64_t(1) << 62) / uint64_t(D))
      TooLarge = true;
    else if (!TooLarge)
      Need *= uint64_t(D);
  }
  uint64_t Have = Bytes.size() - Header;
  if (TooLarge)
    fail(Source, "IDX dims " + dimsText(V.Dims) + " of " + V.Type->Name +
                     " are too large (the file has " + std::to_string(Have) +
                     " data bytes)");
  if (Have != Need)
    fail(Source, std::string(Have < Need ? "truncated IDX data"
                                         : "trailing IDX data") +
                     ": dims " + dimsText(V.Dims) + " of " + V.Type->Name +
                     " need " + std::to_string(Need) +
                     " bytes, the file has " + std::to_string(Have));
  V.Data = P + Header;
  return V;
}

template <class T> T bigEndian(const uint8_t *P) {
  using U = std::conditional_t<sizeof(T) == 1, uint8_t,
            std::conditional_t<sizeof(T) == 2, uint16_t,
            std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
  U Bits = 0;
  for (size_t I = 0; I < sizeof(T); ++I)
    Bits = static_cast<U>((Bits << 8) | P[I]);
  return std::bit_cast<T>(Bits);
}

template <class From, class To>
void convertIdx(const uint8_t *Src, To *Dst, int64_t N) {
  for (int64_t I = 0; I < N; ++I)
    Dst[I] = static_cast<To>(bigEndian<From>(Src + I * sizeof(From)));
}

std::string inflatedIfGzip(std::string Bytes, const std::string &Path) {
  return isGzip(Bytes) ? gunzip(Bytes, Path) : std::move(Bytes);
}

} // namespace

Tensor parseIdx(std::string_view Bytes, std::string_view Source) {
  IdxView V = viewIdx(Bytes, Source);
  bool Float = V.Type->Code >= 0x0D;
  Tensor T(!Float                  ? DType::I32
           : V.Type->Code == 0x0D ? DType::F32
                                  : DType::F64,
           V.Dims);
  int64_t N = T.numel();
  switch (V.Type->Code) {
  case 0x08:
    convertIdx<uint8_t>(V.Data, T.data<int32_t>(), N);
    break;
  case 0x09:
    convertIdx<int8_t>(V.Data, T.data<int32_t>(), N);
    break;
  case 0x0B:
    convertIdx<int16_t>(V.Data, T.data<int32_t>(), N);
    break;
  case 0x0C:
    convertIdx<int32_t>(V.Data, T.data<int32_t>(), N);
    break;
  case 0x0D:
    convertIdx<float>(V.Data, T.data<float>(), N);
    break;
  default:
    convertIdx<double>(V.Data, T.data<double>(), N);
    break;
  }
  return T;
}

Tensor readIdx(const std::string &Path) {
  return parseIdx(inflatedIfGzip(readFileBytes(Path), Path), Path);
}

//===----------------------------------------------------------------------===//
// Fashion-MNIST
//===----------------------------------------------------------------------===//

namespace {

constexpr const char *kFashionDefault = "/usr/share/datasets/fashion-mnist";

/// Dir/Name.gz, or Dir/Name when only the plain file exists.
std::string fashionFile(const std::string &Dir, const std::string &Name,
                        bool Explicit) {
  std::string Gz = Dir + "/" + Name + ".gz", Plain = Dir + "/" + Name;
  if (::access(Gz.c_str(), F_OK) == 0)
    return Gz;
  if (::access(Plain.c_str(), F_OK) == 0)
    return Plain;
  if (Explicit)
    throw RuntimeError("Fashion-MNIST: neither " + Gz + " nor " + Plain +
                       " exists");
  throw RuntimeError("Fashion-MNIST is not installed (" + Gz +
                     " does not exist): install it with `apt-get install "
                     "dataset-fashion-mnist`, or set NETJIT_FASHION_MNIST_DIR "
                     "to a folder holding the four IDX files");
}

/// One split: images u8 [N, 28, 28] -> f32 [N, 784] / 255, labels u8 [N]
/// -> i32 [N] with every class below 10.
void loadSplit(const std::string &Dir, const std::string &Prefix,
               bool Explicit, Tensor &Images, Tensor &Labels) {
  std::string ImagePath = fashionFile(Dir, Prefix + "-images-idx3-ubyte",
                                      Explicit);
  std::string LabelPath = fashionFile(Dir, Prefix + "-labels-idx1-ubyte",
                                      Explicit);
  std::string ImageBytes = inflatedIfGzip(readFileBytes(ImagePath), ImagePath);
  IdxView I = viewIdx(ImageBytes, ImagePath);
  if (I.Type->Code != 0x08 || I.Dims.size() != 3 || I.Dims[1] != 28 ||
      I.Dims[2] != 28)
    fail(ImagePath, std::string("expected u8 images (N, 28, 28), got ") +
                        I.Type->Name + " " + dimsText(I.Dims));
  std::string LabelBytes = inflatedIfGzip(readFileBytes(LabelPath), LabelPath);
  IdxView L = viewIdx(LabelBytes, LabelPath);
  if (L.Type->Code != 0x08 || L.Dims.size() != 1 || L.Dims[0] != I.Dims[0])
    fail(LabelPath, std::string("expected u8 labels (") +
                        std::to_string(I.Dims[0]) + ",) to match " +
                        ImagePath + ", got " + L.Type->Name + " " +
                        dimsText(L.Dims));
  int64_t N = I.Dims[0];
  Images = Tensor(DType::F32, {N, 784});
  float *Px = Images.data<float>();
  for (int64_t K = 0; K < N * 784; ++K)
    Px[K] = static_cast<float>(I.Data[K]) / 255.0f;
  Labels = Tensor(DType::I32, {N});
  int32_t *Lx = Labels.data<int32_t>();
  for (int64_t K = 0; K < N; ++K) {
    if (L.Data[K] > 9)
      fail(LabelPath, "label " + std::to_string(L.Data[K]) + " at index " +
                          std::to_string(K) + " is not a class 0-9");
    Lx[K] = L.Data[K];
  }
}

} // namespace

FashionMnist loadFashionMnist(const std::string &Dir) {
  std::string Folder = Dir;
  bool Explicit = !Folder.empty();
  if (Folder.empty()) {
    const char *Env = std::getenv("NETJIT_FASHION_MNIST_DIR");
    Explicit = Env && *Env;
    Folder = Explicit ? Env : kFashionDefault;
  }
  FashionMnist F;
  loadSplit(Folder, "train", Explicit, F.TrainImages, F.TrainLabels);
  loadSplit(Folder, "t10k", Explicit, F.TestImages, F.TestLabels);
  return F;
}

} // namespace netjit
