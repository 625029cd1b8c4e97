//===- vecmath.cpp - Vectorizable exp, log, tanh, ... as LLVM IR text -----===//
//
// Writes the IR of netjit's math functions with a tiny SSA text writer. The
// algorithms are the classic fdlibm/Cephes ones made branch-free: every case
// is computed and selects pick the result.
// - exp: n = round(x/ln2) by the 1.5*2^p "magic number" addition, r = x - n*ln2
//   in two steps (Cody-Waite) keeping r's rounding error, e^r = 1 + r +
//   r^2*P(r) (minimax; f32 exp has its own lower-degree P, as only 1 + that
//   must be accurate), times 2^n as two factors 2^(n/2) * 2^(n-n/2) so that
//   overflow and subnormal results round once. The input is clamped first,
//   so infinities take the same path.
// - expm1: the same reduction (none for |x| < 1/2); 2^n*(1+q) - 1 is
//   (2^n - 1) + 2^n*q, exact but for the last rounding while 2^n - 1 is.
// - log/log1p: fdlibm's log1p kernel on the mantissa normalized into
//   [sqrt(1/2), sqrt(2)); log1p adds the rounding error of 1 + x back as c/u.
// - tanh = e/(e+2) with e = expm1(2|x|), sign restored; sigmoid = num/(1+e)
//   with e = exp(-|x|); softplus = max(x,0) + log1p(exp(-|x|)).
// Polynomial coefficients come from scripts/vecmath_coeffs.py (Remez).
//
//===----------------------------------------------------------------------===//
#include "codegen/vecmath.h"

#include "ir/error.h"

#include <bit>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <vector>

namespace netjit {
namespace {

/// Everything that differs between the f32 and f64 functions.
struct TypeInfo {
  const char *F, *I, *Suffix;
  int MantBits;
  int64_t Bias, MantMask, SignMask, AbsMask;
  double Magic; // 1.5 * 2^MantBits: adding it rounds to an integer
  int64_t MagicBits;
  // exp: log2(e), ln2 = Hi + Lo with Hi short enough that n*Hi is exact.
  double Log2e, ExpLn2Hi, ExpLn2Lo, ExpHi, ExpLo;
  double Expm1Lo;   // expm1(x) rounds to -1 below this
  int Expm1ExactN;  // 2^n - 1 is exact up to this n
  double TanhClamp; // tanh(x) rounds to 1 above this
  // log: fdlibm's split of ln2 and the normalization constants.
  double LogLn2Hi, LogLn2Lo, MinNormal, SubnormalScale;
  int SubnormalShift;
  int64_t OneBits, SqrtHalfBits;
  int Log1pMaxK; // the correction c/u is below ulp(log u) from this k on
  std::vector<double> ExpPoly; // P(r) of e^r = 1 + r + r^2 P(r), |r| <= 1/2
  std::vector<double> LogPoly; // Q(z) of R(z) = z Q(z)
  // exp's own P(r), for |r| <= ln2/2 and the accuracy of 1 + r + r^2 P(r)
  // only (expm1 needs ExpPoly: a wider r and the accuracy of r + r^2 P(r));
  // empty: exp uses ExpPoly (f64).
  std::vector<double> ExpOnlyPoly;
};

const TypeInfo &typeInfo(DType T) {
  static const TypeInfo F32{.F = "float",
                            .I = "i32",
                            .Suffix = "f32",
                            .MantBits = 23,
                            .Bias = 127,
                            .MantMask = 0x7fffff,
                            .SignMask = INT32_MIN,
                            .AbsMask = INT32_MAX,
                            .Magic = 0x1.8p23,
                            .MagicBits = 0x4b400000,
                            .Log2e = 0x1.715476p0,
                            .ExpLn2Hi = 0x1.63p-1,
                            .ExpLn2Lo = -0x1.bd0106p-13,
                            .ExpHi = 89,
                            .ExpLo = -104,
                            .Expm1Lo = -20,
                            .Expm1ExactN = 24,
                            .TanhClamp = 10,
                            .LogLn2Hi = 0x1.62e3p-1,
                            .LogLn2Lo = 0x1.2fefa2p-17,
                            .MinNormal = 0x1p-126,
                            .SubnormalScale = 0x1p25,
                            .SubnormalShift = 25,
                            .OneBits = 0x3f800000,
                            .SqrtHalfBits = 0x3f3504f3,
                            .Log1pMaxK = 25,
                            .ExpPoly = {0x1p-1f, 0x1.555556p-3f, 0x1.55555ap-5f,
                                        0x1.110f2cp-7f, 0x1.6c0e3ap-10f,
                                        0x1.a31bb8p-13f, 0x1.a77b76p-16f},
                            .LogPoly = {0x1.555556p-1f, 0x1.9999ecp-2f,
                                        0x1.245b9cp-2f, 0x1.ddf072p-3f},
                            .ExpOnlyPoly = {0x1.fffffcp-2f, 0x1.55549p-3f,
                                            0x1.5558f8p-5f, 0x1.123b02p-7f,
                                            0x1.6a2256p-10f}};
  static const TypeInfo F64{
      .F = "double",
      .I = "i64",
      .Suffix = "f64",
      .MantBits = 52,
      .Bias = 1023,
      .MantMask = 0xfffffffffffffLL,
      .SignMask = INT64_MIN,
      .AbsMask = INT64_MAX,
      .Magic = 0x1.8p52,
      .MagicBits = 0x4338000000000000LL,
      .Log2e = 0x1.71547652b82fep0,
      .ExpLn2Hi = 0x1.62e42feep-1,
      .ExpLn2Lo = 0x1.a39ef35793c76p-33,
      .ExpHi = 710,
      .ExpLo = -746,
      .Expm1Lo = -40,
      .Expm1ExactN = 53,
      .TanhClamp = 20,
      .LogLn2Hi = 0x1.62e42feep-1,
      .LogLn2Lo = 0x1.a39ef35793c76p-33,
      .MinNormal = 0x1p-1022,
      .SubnormalScale = 0x1p54,
      .SubnormalShift = 54,
      .OneBits = 0x3ff0000000000000LL,
      .SqrtHalfBits = 0x3fe6a09e667f3bcdLL,
      .Log1pMaxK = 54,
      .ExpPoly = {0x1p-1, 0x1.5555555555565p-3, 0x1.555555555559fp-5,
                  0x1.111111110d86bp-7, 0x1.6c16c16bfec32p-10,
                  0x1.a01a01b059a0cp-13, 0x1.a01a0200a4b69p-16,
                  0x1.71de19dacf881p-19, 0x1.27e44847d7f46p-22,
                  0x1.ae9f0e388396dp-26, 0x1.20234ff11ep-29,
                  0x1.3a31a3cada851p-33},
      .LogPoly = {0x1.5555555555558p-1, 0x1.999999999506bp-2,
                  0x1.2492492e34717p-2, 0x1.c71c629298cb6p-3,
                  0x1.7462cba1c20f8p-3, 0x1.39fb7679a5873p-3,
                  0x1.2b7b995ef0e39p-3},
      .ExpOnlyPoly = {}};
  NJ_CHECK(isFloat(T), "vecmath for " << dtypeName(T));
  return T == DType::F32 ? F32 : F64;
}

/// An SSA value ("%v3") or a literal constant. Instructions are appended in
/// the order the builder functions run, so no call below takes two arguments
/// that both emit code (C++ leaves their order unspecified): the text is the
/// same with every compiler.
using V = std::string;

/// Appends instructions to one function body, naming results %v0, %v1, ...
class Writer {
public:
  explicit Writer(const TypeInfo &Ty) : Ty(Ty) {}

  /// A float literal: LLVM spells float and double constants as the hex bits
  /// of a double, which for float must be exactly representable.
  V fc(double C) const {
    if (Ty.MantBits == 23)
      C = static_cast<float>(C);
    char Buf[24];
    std::snprintf(Buf, sizeof Buf, "0x%016" PRIX64, std::bit_cast<uint64_t>(C));
    return Buf;
  }
  V ic(int64_t C) const { return std::to_string(C); }

  V fadd(V A, V B) { return inst("fadd", Ty.F, A, B); }
  V fsub(V A, V B) { return inst("fsub", Ty.F, A, B); }
  V fmul(V A, V B) { return inst("fmul", Ty.F, A, B); }
  V fdiv(V A, V B) { return inst("fdiv", Ty.F, A, B); }
  V fneg(V A) { return def("fneg " + typed(Ty.F, A)); }
  /// A * B + C, fused into an FMA where the target has one.
  V fma(V A, V B, V C) {
    return inst("fadd contract", Ty.F, inst("fmul contract", Ty.F, A, B), C);
  }
  V iadd(V A, V B) { return inst("add", Ty.I, A, B); }
  V isub(V A, V B) { return inst("sub", Ty.I, A, B); }
  V iand(V A, V B) { return inst("and", Ty.I, A, B); }
  V ior(V A, V B) { return inst("or", Ty.I, A, B); }
  V shl(V A, V B) { return inst("shl", Ty.I, A, B); }
  V ashr(V A, V B) { return inst("ashr", Ty.I, A, B); }
  V fcmp(const char *Pred, V A, V B) {
    return inst(std::string("fcmp ") + Pred, Ty.F, A, B);
  }
  V icmp(const char *Pred, V A, V B) {
    return inst(std::string("icmp ") + Pred, Ty.I, A, B);
  }
  V selF(V C, V A, V B) { return select(C, Ty.F, A, B); }
  V selI(V C, V A, V B) { return select(C, Ty.I, A, B); }
  V bits(V A) { return def("bitcast " + typed(Ty.F, A) + " to " + Ty.I); }
  V real(V A) { return def("bitcast " + typed(Ty.I, A) + " to " + Ty.F); }
  V andB(V A, V B) { return def(std::string("and i1 ") + A + ", " + B); }

  /// C[0] + X*(C[1] + X*(...)), Horner's rule with FMAs.
  V horner(V X, const std::vector<double> &C) {
    V Acc = fc(C.back());
    for (size_t I = C.size() - 1; I-- > 0;)
      Acc = fma(Acc, X, fc(C[I]));
    return Acc;
  }

  const std::string &body() const { return Body; }
  const TypeInfo &Ty;

private:
  V def(const std::string &Rhs) {
    V Name = "%v" + std::to_string(Next++);
    Body += "  " + Name + " = " + Rhs + "\n";
    return Name;
  }
  static std::string typed(const char *T, const V &A) {
    return std::string(T) + " " + A;
  }
  V inst(const std::string &Op, const char *T, const V &A, const V &B) {
    return def(Op + " " + typed(T, A) + ", " + B);
  }
  V select(const V &C, const char *T, const V &A, const V &B) {
    return def("select i1 " + C + ", " + typed(T, A) + ", " + typed(T, B));
  }
  std::string Body;
  unsigned Next = 0;
};

//===----------------------------------------------------------------------===//
// Shared pieces
//===----------------------------------------------------------------------===//

/// x = n*ln2 + r with |r| <= ln2/2 (x already clamped to a finite range);
/// r = R + RLo, RLo being what rounding R lost.
struct Reduced {
  V Bits; // the bits of Magic + n
  V N;    // n as an integer
  V NF;   // n as a float
  V R, RLo;
};

Reduced reduce(Writer &W, V X) {
  const TypeInfo &T = W.Ty;
  V Shifted = W.fma(X, W.fc(T.Log2e), W.fc(T.Magic));
  Reduced Out;
  Out.NF = W.fsub(Shifted, W.fc(T.Magic));
  Out.Bits = W.bits(Shifted);
  Out.N = W.isub(Out.Bits, W.ic(T.MagicBits));
  V R1 = W.fma(Out.NF, W.fc(-T.ExpLn2Hi), X); // exact: n*Hi has few bits
  Out.R = W.fma(Out.NF, W.fc(-T.ExpLn2Lo), R1);
  Out.RLo = W.fma(Out.NF, W.fc(-T.ExpLn2Lo), W.fsub(R1, Out.R));
  return Out;
}

/// e^r - 1 for |r| <= 1/2, r = R + RLo: R + (RLo + R^2 P(R)), P = Poly
/// (ExpPoly; exp's ExpOnlyPoly is only good for |r| <= ln2/2 and 1 + that).
V expm1Kernel(Writer &W, V R, V RLo, const std::vector<double> &Poly) {
  V R2 = W.fmul(R, R);
  V Tail = W.fma(R2, W.horner(R, Poly), RLo);
  return W.fadd(R, Tail);
}

/// 2^N as a float, for N within the normal exponent range.
V pow2(Writer &W, V N) {
  const TypeInfo &T = W.Ty;
  return W.real(W.shl(W.iadd(N, W.ic(T.Bias)), W.ic(T.MantBits)));
}

/// P * 2^N with one rounding, for |N| up to twice the exponent range.
V scale(Writer &W, V P, V N) {
  V Half = W.ashr(N, W.ic(1));
  V Rest = W.isub(N, Half);
  V Scaled = W.fmul(P, pow2(W, Half));
  return W.fmul(Scaled, pow2(W, Rest));
}

/// min(X, Hi); NaN passes through.
V clampHi(Writer &W, V X, double Hi) {
  return W.selF(W.fcmp("ogt", X, W.fc(Hi)), W.fc(Hi), X);
}

/// Keeps X within [Lo, Hi]; NaN passes through.
V clamp(Writer &W, V X, double Lo, double Hi) {
  V Up = clampHi(W, X, Hi);
  return W.selF(W.fcmp("olt", Up, W.fc(Lo)), W.fc(Lo), Up);
}

V absF(Writer &W, V X) { return W.real(W.iand(W.bits(X), W.ic(W.Ty.AbsMask))); }

/// An integer K (|K| < 2^MantBits / 2) as a float, without sitofp (which has
/// no vector form for i64 before AVX-512DQ).
V intToFloat(Writer &W, V K) {
  const TypeInfo &T = W.Ty;
  return W.fsub(W.real(W.iadd(K, W.ic(T.MagicBits))), W.fc(T.Magic));
}

/// scale(P, n) from the bits of Magic + n: they are n's bits plus
/// MagicBits, whose lowest set bit is MantBits - 1, so shifting them left by
/// MantBits - 1 or more leaves n's alone. The same factors (bit for bit) in
/// one integer operation fewer.
V scaleFromBits(Writer &W, V P, V Bits) {
  const TypeInfo &T = W.Ty;
  // (n >> 1) << MantBits: the bit of n's parity masked off.
  V HalfExp = W.iand(W.shl(Bits, W.ic(T.MantBits - 1)), W.ic(~T.MantMask));
  V NExp = W.shl(Bits, W.ic(T.MantBits)); // n << MantBits
  V Half = W.real(W.iadd(HalfExp, W.ic(T.OneBits)));
  V Rest = W.real(W.isub(W.iadd(NExp, W.ic(T.OneBits)), HalfExp));
  return W.fmul(W.fmul(P, Half), Rest);
}

/// e^r for the reduced argument, the 1 + r + r^2 P(r) of exp.
V expKernel(Writer &W, const Reduced &Red) {
  const TypeInfo &T = W.Ty;
  const std::vector<double> &Poly =
      T.ExpOnlyPoly.empty() ? T.ExpPoly : T.ExpOnlyPoly;
  return W.fadd(W.fc(1.0), expm1Kernel(W, Red.R, Red.RLo, Poly));
}

V expCore(Writer &W, V X) {
  const TypeInfo &T = W.Ty;
  Reduced Red = reduce(W, clamp(W, X, T.ExpLo, T.ExpHi));
  return scaleFromBits(W, expKernel(W, Red), Red.Bits);
}

/// exp(X) for X <= 0 or NaN, bit for bit expCore's: no upper clamp, and
/// n <= 0 allows one exact factor 2^(n+64) (normal for every n >= ExpLo's)
/// and one rounding multiplication by 2^-64 instead of scaleFromBits's two
/// factors. (X > 0 gives garbage.)
V expNonPositiveCore(Writer &W, V X) {
  const TypeInfo &T = W.Ty;
  Reduced Red =
      reduce(W, W.selF(W.fcmp("olt", X, W.fc(T.ExpLo)), W.fc(T.ExpLo), X));
  V Pow = W.real(W.iadd(W.shl(Red.Bits, W.ic(T.MantBits)),
                        W.ic((T.Bias + 64) << T.MantBits)));
  return W.fmul(W.fmul(expKernel(W, Red), Pow), W.fc(0x1p-64));
}

/// expm1(X). With Moderate the caller promises X <= 60 (or NaN) and accepts
/// the rounding of 2^n - 1 for n > ExactN, which drops the large-n path.
V expm1Core(Writer &W, V X, bool Moderate) {
  const TypeInfo &T = W.Ty;
  V XC = clamp(W, X, T.Expm1Lo, T.ExpHi);
  Reduced Red = reduce(W, XC);
  // Below 1/2 the kernel takes x itself: 2^n - 1 + 2^n q would cancel.
  V Near = W.fcmp("olt", absF(W, XC), W.fc(0.5));
  Red.N = W.selI(Near, W.ic(0), Red.N);
  V R = W.selF(Near, XC, Red.R);
  V Q = expm1Kernel(W, R, W.selF(Near, W.fc(0.0), Red.RLo), T.ExpPoly);
  V Two = pow2(W, Red.N); // garbage for large n, then not selected
  V TwoM1 = W.fsub(Two, W.fc(1.0));
  V Small = W.fadd(TwoM1, W.fmul(Two, Q));
  if (Moderate)
    return Small;
  V Big = W.fsub(scale(W, W.fadd(W.fc(1.0), Q), Red.N), W.fc(1.0));
  return W.selF(W.icmp("sgt", Red.N, W.ic(T.Expm1ExactN)), Big, Small);
}

/// Splits the bits of a positive normal U into U = 2^K * M, M in
/// [sqrt(1/2), sqrt(2)); returns K (integer) and sets M.
V normalize(Writer &W, V UBits, V &M) {
  const TypeInfo &T = W.Ty;
  V Shifted = W.iadd(UBits, W.ic(T.OneBits - T.SqrtHalfBits));
  V K = W.isub(W.ashr(Shifted, W.ic(T.MantBits)), W.ic(T.Bias));
  M = W.real(W.iadd(W.iand(Shifted, W.ic(T.MantMask)), W.ic(T.SqrtHalfBits)));
  return K;
}

/// fdlibm's tail: log(2^k (1+f)) + c, f in [sqrt(1/2)-1, sqrt(2)-1).
V logTail(Writer &W, V F, V DK, V C) {
  const TypeInfo &T = W.Ty;
  V S = W.fdiv(F, W.fadd(W.fc(2.0), F));
  V Z = W.fmul(S, S);
  V R = W.fmul(Z, W.horner(Z, T.LogPoly));
  V Hfsq = W.fmul(W.fmul(W.fc(0.5), F), F);
  V Lo = W.fmul(DK, W.fc(T.LogLn2Lo));
  if (!C.empty())
    Lo = W.fadd(Lo, C);
  V Acc = W.fadd(W.fmul(S, W.fadd(Hfsq, R)), Lo);
  Acc = W.fadd(W.fsub(Acc, Hfsq), F);
  return W.fadd(Acc, W.fmul(DK, W.fc(T.LogLn2Hi)));
}

/// Selects Special where Cond holds, else Y.
V override(Writer &W, V Y, V Cond, V Special) {
  return W.selF(Cond, Special, Y);
}

constexpr double Inf = std::numeric_limits<double>::infinity();
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

V logCore(Writer &W, V X) {
  const TypeInfo &T = W.Ty;
  V Sub = W.fcmp("olt", X, W.fc(T.MinNormal));
  V XS = W.selF(Sub, W.fmul(X, W.fc(T.SubnormalScale)), X);
  V M;
  V K = normalize(W, W.bits(XS), M);
  K = W.isub(K, W.selI(Sub, W.ic(T.SubnormalShift), W.ic(0)));
  V F = W.fsub(M, W.fc(1.0));
  V Y = logTail(W, F, intToFloat(W, K), "");
  Y = override(W, Y, W.fcmp("oeq", X, W.fc(Inf)), W.fc(Inf));
  Y = override(W, Y, W.fcmp("olt", X, W.fc(0.0)), W.fc(NaN));
  Y = override(W, Y, W.fcmp("oeq", X, W.fc(0.0)), W.fc(-Inf));
  return override(W, Y, W.fcmp("uno", X, X), X);
}

V log1pCore(Writer &W, V X) {
  const TypeInfo &T = W.Ty;
  V U = W.fadd(W.fc(1.0), X);
  V M;
  V K = normalize(W, W.bits(U), M);
  // c = (1 + x - u) / u, the part of 1 + x that u lost to rounding.
  V CBig = W.fsub(W.fc(1.0), W.fsub(U, X));
  V CSmall = W.fsub(X, W.fsub(U, W.fc(1.0)));
  V C = W.fdiv(W.selF(W.icmp("sge", K, W.ic(2)), CBig, CSmall), U);
  C = W.selF(W.icmp("slt", K, W.ic(T.Log1pMaxK)), C, W.fc(0.0));
  // For u in [sqrt(1/2), sqrt(2)) use x itself: exact, no correction.
  V K0 = W.icmp("eq", K, W.ic(0));
  V F = W.selF(K0, X, W.fsub(M, W.fc(1.0)));
  C = W.selF(K0, W.fc(0.0), C);
  V Y = logTail(W, F, intToFloat(W, K), C);
  Y = override(W, Y, W.fcmp("oeq", X, W.fc(0.0)), X); // keeps -0
  Y = override(W, Y, W.fcmp("oeq", X, W.fc(Inf)), W.fc(Inf));
  Y = override(W, Y, W.fcmp("oeq", X, W.fc(-1.0)), W.fc(-Inf));
  Y = override(W, Y, W.fcmp("olt", X, W.fc(-1.0)), W.fc(NaN));
  return override(W, Y, W.fcmp("uno", X, X), X);
}

//===----------------------------------------------------------------------===//
// The public functions
//===----------------------------------------------------------------------===//

V expFn(Writer &W, V X) { return expCore(W, X); }
V logFn(Writer &W, V X) { return logCore(W, X); }
V log1pFn(Writer &W, V X) { return log1pCore(W, X); }

V expm1Fn(Writer &W, V X) {
  V Y = expm1Core(W, X, /*Moderate=*/false);
  return override(W, Y, W.fcmp("oeq", X, W.fc(0.0)), X); // keeps -0
}

/// tanh|x| = e / (e + 2) with e = expm1(2|x|) (which damps e's relative
/// error by 2/(e+2)), then x's sign.
V tanhFn(Writer &W, V X) {
  const TypeInfo &T = W.Ty;
  V A = clampHi(W, absF(W, X), T.TanhClamp);
  V E = expm1Core(W, W.fmul(A, W.fc(2.0)), /*Moderate=*/true);
  V Y = W.fdiv(E, W.fadd(E, W.fc(2.0)));
  V Sign = W.iand(W.bits(X), W.ic(T.SignMask));
  return W.real(W.ior(W.bits(Y), Sign));
}

V expNonPositiveFn(Writer &W, V X) { return expNonPositiveCore(W, X); }

/// 1/(1+e) for x >= 0 and e/(1+e) for x < 0, e = exp(-|x|) <= 1.
V sigmoidFn(Writer &W, V X) {
  V E = expNonPositiveCore(W, W.fneg(absF(W, X)));
  V Num = W.selF(W.fcmp("olt", X, W.fc(0.0)), E, W.fc(1.0));
  return W.fdiv(Num, W.fadd(W.fc(1.0), E));
}

V softplusFn(Writer &W, V X) {
  V E = expNonPositiveCore(W, W.fneg(absF(W, X)));
  V Pos = W.selF(W.fcmp("ogt", X, W.fc(0.0)), X, W.fc(0.0));
  return W.fadd(Pos, log1pCore(W, E));
}

struct FnEntry {
  OpCode Op;
  const char *Name;
  V (*Build)(Writer &, V);
  double MaxUlps[2]; // f32, f64
};

const FnEntry Functions[] = {
    {OpCode::Exp, "exp", expFn, {1.0, 1.0}},
    {OpCode::Log, "log", logFn, {1.0, 1.0}},
    {OpCode::Log1p, "log1p", log1pFn, {1.0, 1.0}},
    {OpCode::Expm1, "expm1", expm1Fn, {1.5, 1.5}},
    {OpCode::Tanh, "tanh", tanhFn, {3.0, 3.0}},
    {OpCode::Sigmoid, "sigmoid", sigmoidFn, {3.0, 3.0}},
    {OpCode::Softplus, "softplus", softplusFn, {2.0, 2.0}},
};

const FnEntry *findEntry(OpCode Op) {
  for (const FnEntry &E : Functions)
    if (E.Op == Op)
      return &E;
  return nullptr;
}

} // namespace

std::string vecmathIR(DType T) {
  NJ_CHECK(isFloat(T), "vecmathIR for " << dtypeName(T));
  const TypeInfo &Ty = typeInfo(T);
  std::string Out = "; netjit vector math (" + std::string(Ty.Suffix) + ")\n";
  auto define = [&](const std::string &Name, V (*Build)(Writer &, V)) {
    Writer W(Ty);
    V Y = Build(W, "%x");
    Out += "define internal " + std::string(Ty.F) + " @" + Name + "(" + Ty.F +
           " %x) alwaysinline nounwind willreturn memory(none) {\nentry:\n" +
           W.body() + "  ret " + Ty.F + " " + Y + "\n}\n\n";
  };
  for (const FnEntry &E : Functions)
    define(vecmathFunction(E.Op, T), E.Build);
  define(vecmathExpNonPositive(T), expNonPositiveFn);
  return Out;
}

std::string vecmathExpNonPositive(DType T) {
  NJ_CHECK(isFloat(T), "vecmathExpNonPositive for " << dtypeName(T));
  return std::string("netjit.expneg.") + typeInfo(T).Suffix;
}

std::string vecmathFunction(OpCode Op, DType T) {
  const FnEntry *E = findEntry(Op);
  if (!E || !isFloat(T))
    return "";
  return std::string("netjit.") + E->Name + "." + typeInfo(T).Suffix;
}

double vecmathMaxUlps(OpCode Op, DType T) {
  const FnEntry *E = findEntry(Op);
  if (!E || !isFloat(T))
    return 0.0;
  return E->MaxUlps[T == DType::F32 ? 0 : 1];
}

} // namespace netjit
