//===- ir_text.cpp - Writing LLVM IR as text
//--------------------------------===//
//
// Literal spelling, fresh names, the loop shape, and small helpers for
// addressing and loads/stores. Integer helpers fold literal operands so the
// emitted text stays readable (`mul 1, %k` is just `%k`).
//
//===----------------------------------------------------------------------===//
#include "codegen/ir_text.h"

#include "ir/error.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace netjit::codegen {

std::string_view regType(DType T) {
  switch (T) {
  case DType::F32:
    return "float";
  case DType::F64:
    return "double";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::Bool:
    return "i1";
  }
  return "?";
}

std::string_view memType(DType T) {
  return T == DType::Bool ? "i8" : regType(T);
}

std::string_view floatSuffix(DType T) {
  return T == DType::F64 ? "f64" : "f32";
}

namespace {

std::string hex64(uint64_t Bits) {
  char Buf[32];
  std::snprintf(Buf, sizeof Buf, "0x%016" PRIX64, Bits);
  return Buf;
}

/// The bits of the double with the same value as the float with bits F
/// (NaN payloads and signs kept; floats are exact in double).
uint64_t floatBitsAsDouble(uint32_t F) {
  uint64_t Sign = static_cast<uint64_t>(F >> 31) << 63;
  uint32_t Exp = (F >> 23) & 0xFF, Mant = F & 0x7FFFFF;
  if (Exp == 0xFF)
    return Sign | (uint64_t{0x7FF} << 52) | (static_cast<uint64_t>(Mant) << 29);
  if (Exp == 0 && Mant == 0)
    return Sign;
  float V;
  std::memcpy(&V, &F, 4);
  double D = V; // finite: exact
  uint64_t Bits;
  std::memcpy(&Bits, &D, 8);
  return Bits;
}

} // namespace

std::string literalFromBytes(DType T, const uint8_t *Bytes) {
  switch (T) {
  case DType::F32: {
    uint32_t F;
    std::memcpy(&F, Bytes, 4);
    return hex64(floatBitsAsDouble(F));
  }
  case DType::F64: {
    uint64_t Bits;
    std::memcpy(&Bits, Bytes, 8);
    return hex64(Bits);
  }
  case DType::I32: {
    int32_t V;
    std::memcpy(&V, Bytes, 4);
    return std::to_string(V);
  }
  case DType::I64: {
    int64_t V;
    std::memcpy(&V, Bytes, 8);
    return std::to_string(V);
  }
  case DType::Bool:
    return Bytes[0] ? "true" : "false";
  }
  return "?";
}

std::string floatLiteral(DType T, double V) {
  if (T == DType::F32) {
    float F = static_cast<float>(V);
    uint8_t Bytes[4];
    std::memcpy(Bytes, &F, 4);
    return literalFromBytes(T, Bytes);
  }
  uint8_t Bytes[8];
  std::memcpy(Bytes, &V, 8);
  return literalFromBytes(DType::F64, Bytes);
}

std::string numberLiteral(DType T, double V) {
  switch (T) {
  case DType::F32:
  case DType::F64:
    return floatLiteral(T, V);
  case DType::I32:
  case DType::I64:
    return std::to_string(static_cast<int64_t>(V));
  case DType::Bool:
    return V != 0 ? "true" : "false";
  }
  return "?";
}

std::string FunctionWriter::tmp(std::string_view Hint) {
  return "%" + std::string(Hint) + std::to_string(Counter++);
}

std::string FunctionWriter::label(std::string_view Hint) {
  return std::string(Hint) + std::to_string(Counter++);
}

void FunctionWriter::emit(std::string_view Line) {
  Text += "  ";
  Text += Line;
  Text += '\n';
}

void FunctionWriter::startBlock(const std::string &Label) {
  Text += Label + ":\n";
  Current = Label;
}

FunctionWriter::Loop FunctionWriter::beginLoop(const std::string &Trip,
                                               std::vector<Carried> Vars,
                                               std::string_view Hint) {
  Loop L;
  L.Trip = Trip;
  L.Pre = Current;
  L.Body = label(std::string(Hint) + ".body");
  L.Latch = label(std::string(Hint) + ".latch");
  L.Exit = label(std::string(Hint) + ".exit");
  L.Iv = tmp(std::string(Hint) + ".i");
  L.Vars = std::move(Vars);
  std::string Guard = tmp("guard");
  emit(Guard + " = icmp sgt i64 " + Trip + ", 0");
  emit("br i1 " + Guard + ", label %" + L.Body + ", label %" + L.Exit);
  startBlock(L.Body);
  emit(L.Iv + " = phi i64 [ 0, %" + L.Pre + " ], [ " + L.Iv + ".next, %" +
       L.Latch + " ]");
  for (const Carried &C : L.Vars)
    emit(C.Phi + " = phi " + C.Type + " [ " + C.Init + ", %" + L.Pre +
         " ], [ " + C.Next + ", %" + L.Latch + " ]");
  return L;
}

void FunctionWriter::endLoop(Loop &L) {
  emit("br label %" + L.Latch);
  startBlock(L.Latch);
  emit(L.Iv + ".next = add nuw nsw i64 " + L.Iv + ", 1");
  std::string Done = tmp("done");
  emit(Done + " = icmp eq i64 " + L.Iv + ".next, " + L.Trip);
  emit("br i1 " + Done + ", label %" + L.Exit + ", label %" + L.Body +
       (L.Metadata.empty() ? "" : ", !llvm.loop " + L.Metadata));
  startBlock(L.Exit);
  L.Out.clear();
  for (const Carried &C : L.Vars) {
    std::string Out = C.Out.empty() ? tmp("out") : C.Out;
    emit(Out + " = phi " + C.Type + " [ " + C.Init + ", %" + L.Pre + " ], [ " +
         C.Next + ", %" + L.Latch + " ]");
    L.Out.push_back(Out);
  }
}

std::string FunctionWriter::loopMetadata(const std::string &Property) {
  std::string Node = "!" + std::to_string(Decls.NextMetadata++),
              Prop = "!" + std::to_string(Decls.NextMetadata++);
  Decls.add(Node + " = distinct !{" + Node + ", " + Prop + "}");
  Decls.add(Prop + " = " + Property);
  return Node;
}

std::string FunctionWriter::gep(std::string_view Elem, const std::string &Base,
                                const std::string &Offset) {
  if (Offset == "0")
    return Base;
  std::string P = tmp("p");
  emit(P + " = getelementptr inbounds " + std::string(Elem) + ", ptr " + Base +
       ", i64 " + Offset);
  return P;
}

std::string FunctionWriter::bytePtr(const std::string &Base, size_t Offset) {
  return gep("i8", Base, std::to_string(Offset));
}

std::string FunctionWriter::load(DType T, const std::string &Base,
                                 const std::string &Offset) {
  std::string P = gep(memType(T), Base, Offset);
  std::string V = tmp("v");
  emit(V + " = load " + std::string(memType(T)) + ", ptr " + P);
  if (T != DType::Bool)
    return V;
  std::string B = tmp("b");
  emit(B + " = icmp ne i8 " + V + ", 0");
  return B;
}

void FunctionWriter::store(DType T, const std::string &Value,
                           const std::string &Base, const std::string &Offset) {
  std::string P = gep(memType(T), Base, Offset);
  std::string V = Value;
  if (T == DType::Bool) {
    V = tmp("z");
    emit(V + " = zext i1 " + Value + " to i8");
  }
  emit("store " + std::string(memType(T)) + " " + V + ", ptr " + P);
}

namespace {
bool isLiteral(const std::string &S) { return !S.empty() && S[0] != '%'; }
} // namespace

std::string FunctionWriter::mul(const std::string &A, const std::string &B) {
  if (A == "1")
    return B;
  if (B == "1")
    return A;
  if (A == "0" || B == "0")
    return "0";
  if (isLiteral(A) && isLiteral(B))
    return std::to_string(std::stoll(A) * std::stoll(B));
  std::string R = tmp("m");
  emit(R + " = mul i64 " + A + ", " + B);
  return R;
}

std::string FunctionWriter::add(const std::string &A, const std::string &B) {
  if (A == "0")
    return B;
  if (B == "0")
    return A;
  if (isLiteral(A) && isLiteral(B))
    return std::to_string(std::stoll(A) + std::stoll(B));
  std::string R = tmp("a");
  emit(R + " = add i64 " + A + ", " + B);
  return R;
}

} // namespace netjit::codegen
