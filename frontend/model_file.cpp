//===- model_file.cpp - The model file: container, writer and text parser -===//
//
// The container (docs/model-file.md): an 8-byte magic, the format version
// (the lowest that holds the model: 2 only for what format 1 cannot say),
// zero flags, the total file size and the architecture text's size (all
// little-endian), the architecture text, every parameter's raw bytes in the
// order the text lists them, and a CRC-32 (zlib's) of everything before it.
// The reader checks, in order: the magic, the size against the header's
// (truncation), the CRC (corruption anywhere), the version, then parses the
// text strictly (every record and field, duplicates, the final "end"), and
// compares the parameter sizes with the bytes present before it allocates.
// Building the Network from the parsed description is model_file_build.cpp.
//
//===----------------------------------------------------------------------===//
#include "frontend/model_file_impl.h"

#include "ir/error.h"
#include "runtime/bytes.h"
#include "runtime/data_io.h"

#include <bit>
#include <charconv>
#include <cstdio>

namespace netjit {

static_assert(std::endian::native == std::endian::little,
              "model files store parameters little-endian, as the host does");

namespace detail {
namespace {

constexpr char kMagic[8] = {'\x89', 'N', 'J', 'M', '\r', '\n', '\x1a', '\n'};
constexpr size_t kHeaderSize = 32, kCrcSize = 4;

[[noreturn]] void fail(std::string_view Source, const std::string &Problem) {
  throw RuntimeError(std::string(Source) + ": " + Problem);
}

std::string hex32(uint32_t V) {
  char Buf[16];
  std::snprintf(Buf, sizeof Buf, "0x%08x", V);
  return Buf;
}

std::string hexByte(unsigned char C) {
  char Buf[8];
  std::snprintf(Buf, sizeof Buf, "0x%02x", C);
  return Buf;
}

//===----------------------------------------------------------------------===//
// Writing the architecture text
//===----------------------------------------------------------------------===//

/// A double-quoted string; '"', '\' and every byte outside printable ASCII
/// are escaped, so a record is always one line.
std::string quoted(std::string_view S) {
  static const char *Hex = "0123456789abcdef";
  std::string Out = "\"";
  for (unsigned char C : S) {
    if (C == '"' || C == '\\') {
      Out += '\\';
      Out += static_cast<char>(C);
    } else if (C >= 0x20 && C < 0x7f) {
      Out += static_cast<char>(C);
    } else {
      Out += "\\x";
      Out += Hex[C >> 4];
      Out += Hex[C & 15];
    }
  }
  return Out + "\"";
}

/// The shortest text that parses back to exactly V.
std::string number(double V) {
  char Buf[64];
  auto [End, Ec] = std::to_chars(Buf, Buf + sizeof Buf, V);
  return std::string(Buf, End);
}

/// The lowest format version that holds N and R: 1, unless the model is
/// recurrent or a recurrent regularizer field differs from its default.
uint32_t versionFor(const Network &N, const Regularizers &R) {
  bool Needs2 = N.recurrent();
  for (const RegNumber &F : kRegNumbers)
    Needs2 |= F.Since > 1 && R.*F.Field != 0;
  for (const RegText &F : kRegTexts)
    Needs2 |= F.Since > 1 && !(R.*F.Field).empty();
  return Needs2 ? kRecurrentFormatVersion : 1;
}

std::string describe(const Network &N, const Regularizers &R,
                     const ModelMetadata &Meta, uint32_t Version) {
  std::string T = "# netjit model (docs/model-file.md)\n";
  T += "kind " +
       std::string(N.recurrent() ? kRecurrentPrefix : std::string_view()) +
       kKindNames[ModelFileAccess::kind(N)] + "\n";
  T += "float_type " + std::string(dtypeName(N.floatType())) + "\n";
  T += std::string("weighted ") + (N.weighted() ? "true" : "false") + "\n";
  T += "seed " + std::to_string(ModelFileAccess::options(N).Seed) + "\n";
  T += "step " + std::to_string(ModelFileAccess::step(N)) + "\n";
  for (const auto &L : N.layers()) {
    const LayerSpec &S = L->spec();
    T += "layer " + quoted(L->name()) + " " + quoted(S.Form) + " " +
         (S.Size ? std::to_string(*S.Size) : "-") + " " +
         quoted(S.Activation) + "\n";
    for (const std::string &In : L->inputs())
      T += "input " + quoted(In) + "\n";
    for (const auto &[Key, V] : S.Options) {
      T += "layer_option " + quoted(Key);
      if (const double *D = std::get_if<double>(&V))
        T += " number " + number(*D);
      else if (const std::string *Str = std::get_if<std::string>(&V))
        T += " text " + quoted(*Str);
      else {
        T += " ints";
        for (int64_t I : std::get<std::vector<int64_t>>(V))
          T += " " + std::to_string(I);
      }
      T += "\n";
    }
  }
  for (const auto &L : N.losses()) {
    T += "loss " + quoted(L->name()) + " " + number(L->weight()) + " " +
         quoted(L->outputName()) + " " + quoted(L->targetName()) + "\n";
    for (const auto &[Key, V] : L->options()) {
      const double *D = std::get_if<double>(&V);
      T += "loss_option " + quoted(Key) +
           (D ? " number " + number(*D)
              : " text " + quoted(std::get<std::string>(V))) +
           "\n";
    }
  }
  for (const RegNumber &F : kRegNumbers)
    if (F.Since <= Version)
      T += "regularizer " + std::string(F.Name) + " " + number(R.*F.Field) +
           "\n";
  for (const RegText &F : kRegTexts)
    if (F.Since <= Version)
      T += "regularizer " + std::string(F.Name) + " " + quoted(R.*F.Field) +
           "\n";
  for (const auto &[Glob, P] : R.Dropout)
    T += "dropout " + quoted(Glob) + " " + number(P) + "\n";
  for (const auto &[Glob, S] : R.Noise)
    T += "noise " + quoted(Glob) + " " + number(S) + "\n";
  for (const auto &[Key, Value] : Meta)
    T += "meta " + quoted(Key) + " " + quoted(Value) + "\n";
  for (const std::string &P : N.params()) {
    const Tensor &V = N.paramValues().at(P);
    T += "param " + quoted(P) + " " + std::string(dtypeName(V.dtype()));
    for (int64_t D : V.shape())
      T += " " + std::to_string(D);
    T += "\n";
  }
  return T + "end\n";
}

//===----------------------------------------------------------------------===//
// Parsing the architecture text
//===----------------------------------------------------------------------===//

struct Token {
  bool Quoted;
  std::string Text;
  size_t Column;
};

class TextParser {
public:
  TextParser(std::string_view Text, std::string_view Source, uint32_t Version)
      : Text(Text), Source(Source) {
    D.Version = Version;
  }

  ModelDescription parse() {
    size_t Pos = 0;
    bool Ended = false;
    while (Pos < Text.size()) {
      size_t End = Text.find('\n', Pos);
      if (End == std::string_view::npos)
        End = Text.size();
      std::string_view Line = Text.substr(Pos, End - Pos);
      Pos = End + 1;
      ++LineNo;
      if (Line.empty() || Line[0] == '#')
        continue;
      if (Ended)
        error(1, "text after the 'end' line");
      Toks = tokenize(Line);
      if (Toks.empty())
        continue;
      Ended = record();
    }
    if (!Ended)
      error(1, "no 'end' line: the architecture text is cut short");
    for (const char *Key : {"kind", "float_type", "weighted", "seed", "step"})
      if (!Seen.count(Key))
        fail(Source, std::string("the architecture has no '") + Key +
                         "' line");
    if (D.Layers.size() < 2)
      fail(Source, "the architecture has " + std::to_string(D.Layers.size()) +
                       " layer(s); a model has at least 2");
    if (D.Losses.empty())
      fail(Source, "the architecture has no loss");
    return std::move(D);
  }

private:
  [[noreturn]] void error(size_t Column, const std::string &Problem) const {
    fail(Source, "architecture line " + std::to_string(LineNo) + ":" +
                     std::to_string(Column) + ": " + Problem);
  }

  std::vector<Token> tokenize(std::string_view Line) const {
    std::vector<Token> Out;
    size_t I = 0;
    while (I < Line.size()) {
      char C = Line[I];
      if (C == ' ') {
        ++I;
        continue;
      }
      size_t Start = I;
      if (C != '"') {
        while (I < Line.size() && Line[I] != ' ' && Line[I] != '"') {
          if (static_cast<unsigned char>(Line[I]) < 0x21 ||
              static_cast<unsigned char>(Line[I]) > 0x7e)
            error(I + 1, "unexpected byte " + hexByte(Line[I]));
          ++I;
        }
        if (I < Line.size() && Line[I] == '"')
          error(I + 1, "expected a space before a string");
        Out.push_back({false, std::string(Line.substr(Start, I - Start)),
                       Start + 1});
        continue;
      }
      std::string S;
      for (++I;; ++I) {
        if (I >= Line.size())
          error(Start + 1, "unterminated string");
        unsigned char Ch = static_cast<unsigned char>(Line[I]);
        if (Ch == '"')
          break;
        if (Ch < 0x20 || Ch > 0x7e)
          error(I + 1, "unexpected byte " + hexByte(Ch) + " in a string");
        if (Ch != '\\') {
          S += static_cast<char>(Ch);
          continue;
        }
        char E = I + 1 < Line.size() ? Line[++I] : '\0';
        if (E == '"' || E == '\\') {
          S += E;
        } else if (E == 'x' && I + 2 < Line.size() &&
                   std::isxdigit(static_cast<unsigned char>(Line[I + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(Line[I + 2]))) {
          S += static_cast<char>(
              std::stoi(std::string(Line.substr(I + 1, 2)), nullptr, 16));
          I += 2;
        } else {
          error(I + 1, "bad escape in a string");
        }
      }
      Out.push_back({true, std::move(S), Start + 1});
      ++I;
      if (I < Line.size() && Line[I] != ' ')
        error(I + 1, "expected a space after a string");
    }
    return Out;
  }

  // Field readers over Toks; At is the next field.
  const Token &field(const char *What) {
    if (At >= Toks.size())
      error(Toks.back().Column + Toks.back().Text.size(),
            std::string("missing ") + What);
    return Toks[At++];
  }
  std::string str(const char *What) {
    const Token &T = field(What);
    if (!T.Quoted)
      error(T.Column, std::string(What) + " must be a quoted string");
    return T.Text;
  }
  std::string word(const char *What) {
    const Token &T = field(What);
    if (T.Quoted)
      error(T.Column, std::string(What) + " must not be quoted");
    return T.Text;
  }
  template <class T> T integer(const char *What) {
    const Token &Tok = field(What);
    T V{};
    auto [End, Ec] =
        std::from_chars(Tok.Text.data(), Tok.Text.data() + Tok.Text.size(), V);
    if (Tok.Quoted || Ec != std::errc() ||
        End != Tok.Text.data() + Tok.Text.size())
      error(Tok.Column, std::string(What) + " must be an integer, got '" +
                            Tok.Text + "'");
    return V;
  }
  double real(const char *What) {
    const Token &Tok = field(What);
    double V = 0;
    auto [End, Ec] =
        std::from_chars(Tok.Text.data(), Tok.Text.data() + Tok.Text.size(), V);
    if (Tok.Quoted || Ec != std::errc() ||
        End != Tok.Text.data() + Tok.Text.size())
      error(Tok.Column, std::string(What) + " must be a number, got '" +
                            Tok.Text + "'");
    return V;
  }
  void done() {
    if (At < Toks.size())
      error(Toks[At].Column, "unexpected '" + Toks[At].Text + "' after the "
                                 "record's fields");
  }
  void once(const std::string &Key) {
    if (!Seen.insert(Key).second)
      error(1, "a second '" + Key + "' line");
  }
  /// Fails unless the file's version has What (a later version added it).
  void since(uint32_t Version, size_t Column, const std::string &What) {
    if (D.Version < Version)
      error(Column, What + " needs model format version " +
                        std::to_string(Version) + ", but the file is version " +
                        std::to_string(D.Version));
  }
  template <class Map, class V>
  void addOption(Map &Options, std::string Key, V Value) {
    if (!Options.emplace(Key, std::move(Value)).second)
      error(1, "option '" + Key + "' is given twice");
  }

  /// Parses one record; true for "end".
  bool record() {
    At = 0;
    std::string Kw = word("a record keyword");
    if (Kw == "end") {
      done();
      return true;
    }
    if (Kw == "kind") {
      once(Kw);
      std::string K = word("the model kind");
      std::string_view Base = K;
      D.Recurrent = Base.starts_with(kRecurrentPrefix);
      if (D.Recurrent)
        Base.remove_prefix(kRecurrentPrefix.size());
      auto It = std::find(std::begin(kKindNames), std::end(kKindNames), Base);
      if (It == std::end(kKindNames) || (D.Recurrent && Base == "network"))
        error(Toks[1].Column, "unknown model kind '" + K +
                                  "' (known: network, regressor, "
                                  "classifier, autoencoder, "
                                  "recurrent_regressor, "
                                  "recurrent_classifier, "
                                  "recurrent_autoencoder)");
      if (D.Recurrent)
        since(kRecurrentFormatVersion, Toks[1].Column,
              "model kind '" + K + "'");
      D.Kind = static_cast<int>(It - std::begin(kKindNames));
    } else if (Kw == "float_type") {
      once(Kw);
      std::string T = word("the float type");
      if (T != "f32" && T != "f64")
        error(Toks[1].Column, "float type '" + T + "' is not f32 or f64");
      D.FloatType = T == "f32" ? DType::F32 : DType::F64;
    } else if (Kw == "weighted") {
      once(Kw);
      std::string W = word("true or false");
      if (W != "true" && W != "false")
        error(Toks[1].Column, "weighted must be true or false, got '" + W +
                                  "'");
      D.Weighted = W == "true";
    } else if (Kw == "seed") {
      once(Kw);
      D.Seed = integer<uint64_t>("the seed");
    } else if (Kw == "step") {
      once(Kw);
      D.Step = integer<int64_t>("the step counter");
    } else if (Kw == "layer") {
      LayerRecord L;
      L.Name = str("the layer name");
      L.Form = str("the layer form");
      if (At < Toks.size() && !Toks[At].Quoted && Toks[At].Text == "-")
        ++At;
      else
        L.Size = integer<int64_t>("the layer size (or -)");
      L.Activation = str("the activation");
      D.Layers.push_back(std::move(L));
    } else if (Kw == "input") {
      if (D.Layers.empty())
        error(1, "'input' before any 'layer'");
      D.Layers.back().Inputs.push_back(str("the input name"));
    } else if (Kw == "layer_option") {
      if (D.Layers.empty())
        error(1, "'layer_option' before any 'layer'");
      std::string Key = str("the option name");
      std::string Type = word("the option type");
      auto &Options = D.Layers.back().Options;
      if (Type == "number") {
        addOption(Options, Key, LayerSpec::Value(real("the option value")));
      } else if (Type == "text") {
        addOption(Options, Key, LayerSpec::Value(str("the option value")));
      } else if (Type == "ints") {
        std::vector<int64_t> Ints;
        while (At < Toks.size())
          Ints.push_back(integer<int64_t>("an integer"));
        addOption(Options, Key, LayerSpec::Value(std::move(Ints)));
      } else {
        error(Toks[2].Column, "option type '" + Type +
                                  "' is not number, text or ints");
      }
    } else if (Kw == "loss") {
      LossRecord L;
      L.Form = str("the loss name");
      L.Weight = real("the loss weight");
      L.Output = str("the loss output");
      L.Target = str("the loss target");
      D.Losses.push_back(std::move(L));
    } else if (Kw == "loss_option") {
      if (D.Losses.empty())
        error(1, "'loss_option' before any 'loss'");
      std::string Key = str("the option name");
      std::string Type = word("the option type");
      auto &Options = D.Losses.back().Options;
      if (Type == "number")
        addOption(Options, Key, LossSpec::Value(real("the option value")));
      else if (Type == "text")
        addOption(Options, Key, LossSpec::Value(str("the option value")));
      else
        error(Toks[2].Column, "loss option type '" + Type +
                                  "' is not number or text");
    } else if (Kw == "regularizer") {
      std::string Name = word("the regularizer name");
      once("regularizer " + Name);
      bool Known = false;
      for (const RegNumber &F : kRegNumbers)
        if (Name == F.Name) {
          since(F.Since, Toks[1].Column, "regularizer '" + Name + "'");
          D.Regs.*F.Field = real("the regularizer value");
          Known = true;
        }
      for (const RegText &F : kRegTexts)
        if (Name == F.Name) {
          since(F.Since, Toks[1].Column, "regularizer '" + Name + "'");
          D.Regs.*F.Field = str("the regularizer pattern");
          Known = true;
        }
      if (!Known)
        error(Toks[1].Column, "unknown regularizer '" + Name + "'");
    } else if (Kw == "dropout" || Kw == "noise") {
      std::string Glob = str("the output pattern");
      auto &Map = Kw == "dropout" ? D.Regs.Dropout : D.Regs.Noise;
      if (!Map.emplace(Glob, real("the value")).second)
        error(1, Kw + " pattern '" + Glob + "' is given twice");
    } else if (Kw == "meta") {
      std::string Key = str("the metadata key");
      if (!D.Meta.emplace(Key, str("the metadata value")).second)
        error(1, "metadata key '" + Key + "' is given twice");
    } else if (Kw == "param") {
      ParamRecord P;
      P.Name = str("the parameter name");
      std::string T = word("the parameter dtype");
      std::optional<DType> Type = parseDType(T);
      if (!Type)
        error(Toks[2].Column, "unknown dtype '" + T + "'");
      P.Type = *Type;
      while (At < Toks.size()) {
        int64_t Dim = integer<int64_t>("a dim");
        if (Dim < 0)
          error(Toks[At - 1].Column, "negative dim " + std::to_string(Dim));
        P.Shape.push_back(Dim);
      }
      D.Params.push_back(std::move(P));
    } else {
      error(Toks[0].Column, "unknown record '" + Kw + "'");
    }
    done();
    return false;
  }

  std::string_view Text, Source;
  size_t LineNo = 0, At = 0;
  std::vector<Token> Toks;
  std::set<std::string> Seen;
  ModelDescription D;
};

} // namespace
} // namespace detail

using namespace detail;

std::string serializeModel(const Network &Net, const Regularizers &R,
                           const ModelMetadata &Metadata) {
  uint32_t Version = versionFor(Net, R);
  std::string Text = describe(Net, R, Metadata, Version);
  uint64_t Total = kHeaderSize + Text.size() + kCrcSize;
  for (const std::string &P : Net.params())
    Total += Net.paramValues().at(P).nbytes();
  std::string Out(kMagic, sizeof kMagic);
  Out.reserve(Total);
  appendLittleEndian(Out, Version, 4);
  appendLittleEndian(Out, 0, 4); // flags
  appendLittleEndian(Out, Total, 8);
  appendLittleEndian(Out, Text.size(), 8);
  Out += Text;
  for (const std::string &P : Net.params()) {
    const Tensor &V = Net.paramValues().at(P);
    Out.append(static_cast<const char *>(V.raw()), V.nbytes());
  }
  appendLittleEndian(Out, crc32Of(Out), 4);
  return Out;
}

void saveModel(const Network &Net, const std::string &Path,
               const Regularizers &R, const ModelMetadata &Metadata) {
  writeFileAtomic(Path, serializeModel(Net, R, Metadata));
}

ModelFile parseModelFile(std::string_view Bytes, std::string_view Source) {
  std::string_view Magic(kMagic, sizeof kMagic);
  if (Bytes.size() < Magic.size() && Magic.substr(0, Bytes.size()) == Bytes)
    fail(Source, "truncated model file (" + std::to_string(Bytes.size()) +
                     " bytes)");
  if (Bytes.substr(0, Magic.size()) != Magic)
    fail(Source, "not a netjit model file (bad magic)");
  if (Bytes.size() < kHeaderSize + kCrcSize)
    fail(Source, "truncated model file: " + std::to_string(Bytes.size()) +
                     " bytes, the header alone needs " +
                     std::to_string(kHeaderSize + kCrcSize));
  uint64_t Declared = readLittleEndian(Bytes.data() + 16, 8);
  if (Declared != Bytes.size())
    fail(Source, std::string(Bytes.size() < Declared
                                 ? "truncated model file"
                                 : "model file has trailing bytes") +
                     ": the header says " + std::to_string(Declared) +
                     " bytes, the file has " + std::to_string(Bytes.size()) +
                     " (or the header is corrupt)");
  size_t Body = Bytes.size() - kCrcSize;
  uint32_t Stored =
      static_cast<uint32_t>(readLittleEndian(Bytes.data() + Body, 4));
  uint32_t Actual = crc32Of(Bytes.substr(0, Body));
  if (Stored != Actual)
    fail(Source, "checksum mismatch (stored " + hex32(Stored) +
                     ", computed " + hex32(Actual) + "): the file is corrupt");
  uint64_t Version = readLittleEndian(Bytes.data() + 8, 4);
  if (Version == 0 || Version > kModelFormatVersion)
    fail(Source, "model format version " + std::to_string(Version) +
                     (Version ? " is newer than this netjit reads (up to " +
                                    std::to_string(kModelFormatVersion) +
                                    "); load it with a newer netjit"
                              : " is invalid"));
  if (uint64_t Flags = readLittleEndian(Bytes.data() + 12, 4))
    fail(Source, "unknown flags " + hex32(static_cast<uint32_t>(Flags)) +
                     " in the header");
  uint64_t TextSize = readLittleEndian(Bytes.data() + 24, 8);
  if (TextSize > Body - kHeaderSize)
    fail(Source, "the architecture text (" + std::to_string(TextSize) +
                     " bytes) runs past the end of the file");
  ModelDescription D =
      TextParser(Bytes.substr(kHeaderSize, TextSize), Source,
                 static_cast<uint32_t>(Version))
          .parse();

  // Every parameter's size, saturating instead of overflowing, against the
  // bytes present.
  std::string_view Data =
      Bytes.substr(kHeaderSize + TextSize, Body - kHeaderSize - TextSize);
  uint64_t Need = 0;
  for (const ParamRecord &P : D.Params) {
    uint64_t N = dtypeSize(P.Type);
    for (int64_t Dim : P.Shape)
      N = Dim && N > UINT64_MAX / static_cast<uint64_t>(Dim)
              ? UINT64_MAX
              : N * static_cast<uint64_t>(Dim);
    Need = Need > UINT64_MAX - N ? UINT64_MAX : Need + N;
  }
  if (Need != Data.size())
    fail(Source, "the parameters need " +
                     (Need == UINT64_MAX ? std::string("more than 2^64")
                                         : std::to_string(Need)) +
                     " bytes but the file has " + std::to_string(Data.size()) +
                     " after the architecture");
  return buildModel(std::move(D), Data, Source);
}

ModelFile readModelFile(const std::string &Path) {
  return parseModelFile(readFileBytes(Path), Path);
}

std::unique_ptr<Network> loadModel(const std::string &Path) {
  return readModelFile(Path).Net;
}

} // namespace netjit
