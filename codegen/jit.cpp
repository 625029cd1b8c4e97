//===- jit.cpp - netjit's ORC JIT wrapper ---------------------------------===//
//
// The only translation unit that includes the ORC, pass-builder and IRBuilder
// headers (they cost ~7 s each to parse). Host detection, the O3 pipeline,
// one resource tracker (or JITDylib) per module, object and assembly
// emission and the built-in kernels live here; every llvm::Error is turned
// into a netjit::Error before it leaves this file, and no exception is
// thrown through an LLVM frame.
//
//===----------------------------------------------------------------------===//
#include "codegen/jit.h"

#include "ir/error.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <atomic>
#include <mutex>

namespace netjit {
namespace detail {

/// Everything a Jit owns; shared with its modules so that a live JitModule
/// keeps the session (and its code memory) alive.
struct JitState {
  explicit JitState(llvm::orc::JITTargetMachineBuilder B)
      : Jtmb(std::move(B)) {}
  JitOptions Options;
  llvm::orc::JITTargetMachineBuilder Jtmb;
  std::string CpuName, Features, Triple;
  /// Used for the optimization pipeline and assembly; guarded by Mutex.
  std::unique_ptr<llvm::TargetMachine> TM;
  std::mutex Mutex;
  std::unique_ptr<llvm::orc::LLJIT> Lljit;
};

struct JitModuleState {
  std::shared_ptr<JitState> Owner;
  /// addModule: the module's tracker in the main library.
  llvm::orc::ResourceTrackerSP Tracker;
  /// addObject: the library holding only this module.
  llvm::orc::JITDylib *Dylib = nullptr;
  std::string Name;
  ~JitModuleState() {
    if (Dylib)
      llvm::consumeError(
          Owner->Lljit->getExecutionSession().removeJITDylib(*Dylib));
    else if (Tracker)
      llvm::consumeError(Tracker->remove());
  }
};

} // namespace detail

namespace {

using detail::JitState;

[[noreturn]] void fail(llvm::Error E, std::string_view What) {
  throw Error("JIT: " + std::string(What) + ": " +
              llvm::toString(std::move(E)));
}

template <class T> T unwrap(llvm::Expected<T> V, std::string_view What) {
  if (!V)
    fail(V.takeError(), What);
  return std::move(*V);
}

void initializeLlvmOnce() {
  static std::once_flag Flag;
  std::call_once(Flag, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

llvm::CodeGenOptLevel codeGenLevel(int Level) {
  switch (Level) {
  case 0:
    return llvm::CodeGenOptLevel::None;
  case 1:
    return llvm::CodeGenOptLevel::Less;
  case 2:
    return llvm::CodeGenOptLevel::Default;
  default:
    return llvm::CodeGenOptLevel::Aggressive;
  }
}

llvm::OptimizationLevel passLevel(int Level) {
  switch (Level) {
  case 1:
    return llvm::OptimizationLevel::O1;
  case 2:
    return llvm::OptimizationLevel::O2;
  default:
    return llvm::OptimizationLevel::O3;
  }
}

/// A module and the context it lives in, parsed from IR text.
struct ParsedModule {
  std::unique_ptr<llvm::LLVMContext> Ctx;
  std::unique_ptr<llvm::Module> M;
};

ParsedModule parseModule(std::string_view Text, std::string_view Name) {
  ParsedModule P;
  P.Ctx = std::make_unique<llvm::LLVMContext>();
  llvm::SMDiagnostic Diag;
  P.M = llvm::parseAssemblyString(llvm::StringRef(Text.data(), Text.size()),
                                  Diag, *P.Ctx);
  if (!P.M)
    throw Error("JIT: module '" + std::string(Name) +
                "':" + std::to_string(Diag.getLineNo()) + ":" +
                std::to_string(Diag.getColumnNo() + 1) + ": " +
                Diag.getMessage().str());
  P.M->setModuleIdentifier(llvm::StringRef(Name.data(), Name.size()));
  return P;
}

/// Sets the host layout, verifies and runs the new-PM pipeline. Caller holds
/// S.Mutex.
void optimizeModule(JitState &S, llvm::Module &M) {
  M.setDataLayout(S.TM->createDataLayout());
  M.setTargetTriple(S.TM->getTargetTriple().str());
  std::string Problems;
  llvm::raw_string_ostream OS(Problems);
  if (llvm::verifyModule(M, &OS))
    throw Error("JIT: module '" + M.getModuleIdentifier() +
                "' is invalid LLVM IR: " + OS.str());

  llvm::PipelineTuningOptions Pto;
  Pto.LoopVectorization = S.Options.OptLevel >= 2;
  Pto.SLPVectorization = S.Options.OptLevel >= 2;
  llvm::LoopAnalysisManager Lam;
  llvm::FunctionAnalysisManager Fam;
  llvm::CGSCCAnalysisManager Cgam;
  llvm::ModuleAnalysisManager Mam;
  llvm::PassBuilder PB(S.TM.get(), Pto);
  PB.registerModuleAnalyses(Mam);
  PB.registerCGSCCAnalyses(Cgam);
  PB.registerFunctionAnalyses(Fam);
  PB.registerLoopAnalyses(Lam);
  PB.crossRegisterProxies(Lam, Fam, Cgam, Mam);
  llvm::ModulePassManager Mpm =
      S.Options.OptLevel <= 0
          ? PB.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
          : PB.buildPerModuleDefaultPipeline(passLevel(S.Options.OptLevel));
  Mpm.run(M, Mam);
}

//===----------------------------------------------------------------------===//
// Built-in kernels
//===----------------------------------------------------------------------===//

/// Declares `Elem Name(ptr X0, ..., ptr X{NumInputs-1}, i64 N)` with
/// noalias readonly pointers, so the vectorizer needs no runtime alias checks.
llvm::Function *declareKernel(llvm::Module &M, llvm::StringRef Name,
                              llvm::Type *Elem, unsigned NumInputs) {
  llvm::LLVMContext &C = M.getContext();
  llvm::SmallVector<llvm::Type *, 3> Params(NumInputs,
                                            llvm::PointerType::getUnqual(C));
  Params.push_back(llvm::Type::getInt64Ty(C));
  auto *FnTy = llvm::FunctionType::get(Elem, Params, false);
  auto *F =
      llvm::Function::Create(FnTy, llvm::Function::ExternalLinkage, Name, M);
  for (unsigned I = 0; I < NumInputs; ++I) {
    F->addParamAttr(I, llvm::Attribute::NoAlias);
    F->addParamAttr(I, llvm::Attribute::ReadOnly);
  }
  return F;
}

/// Builds `Elem Name(ptr X0, ..., i64 N)` returning sum_i prod_k Xk[i] (the
/// square of X0[i] with one input). The float ops carry reassoc, contract and
/// nsz, which is what lets O3 vectorize the reduction.
void buildProductSum(llvm::Module &M, llvm::StringRef Name, llvm::Type *Elem,
                     unsigned NumInputs) {
  llvm::LLVMContext &C = M.getContext();
  llvm::Function *F = declareKernel(M, Name, Elem, NumInputs);
  llvm::Value *N = F->getArg(NumInputs);
  auto *Entry = llvm::BasicBlock::Create(C, "entry", F);
  auto *Loop = llvm::BasicBlock::Create(C, "loop", F);
  auto *Exit = llvm::BasicBlock::Create(C, "exit", F);
  llvm::IRBuilder<> B(Entry);
  llvm::FastMathFlags Fmf;
  Fmf.setAllowReassoc();
  Fmf.setAllowContract();
  Fmf.setNoSignedZeros();
  B.setFastMathFlags(Fmf);
  llvm::Value *Zero = llvm::ConstantFP::get(Elem, 0.0);
  B.CreateCondBr(B.CreateICmpSGT(N, B.getInt64(0)), Loop, Exit);

  // loop: acc += X0[i] * ... ; i += 1 until i == N.
  B.SetInsertPoint(Loop);
  llvm::PHINode *I = B.CreatePHI(B.getInt64Ty(), 2, "i");
  llvm::PHINode *Acc = B.CreatePHI(Elem, 2, "acc");
  llvm::Value *Term = nullptr;
  for (unsigned K = 0; K < NumInputs; ++K) {
    llvm::Value *V =
        B.CreateLoad(Elem, B.CreateInBoundsGEP(Elem, F->getArg(K), I));
    Term = Term ? B.CreateFMul(Term, V) : V;
  }
  if (NumInputs == 1)
    Term = B.CreateFMul(Term, Term);
  llvm::Value *AccNext = B.CreateFAdd(Acc, Term, "acc.next");
  llvm::Value *INext = B.CreateAdd(I, B.getInt64(1), "i.next", true, true);
  B.CreateCondBr(B.CreateICmpEQ(INext, N), Exit, Loop);
  I->addIncoming(B.getInt64(0), Entry);
  I->addIncoming(INext, Loop);
  Acc->addIncoming(Zero, Entry);
  Acc->addIncoming(AccNext, Loop);

  B.SetInsertPoint(Exit);
  llvm::PHINode *Result = B.CreatePHI(Elem, 2, "result");
  Result->addIncoming(Zero, Entry);
  Result->addIncoming(AccNext, Loop);
  B.CreateRet(Result);
}

} // namespace

std::string_view llvmVersionString() { return LLVM_VERSION_STRING; }

std::string_view builtinKernelSymbol(BuiltinKernel K) {
  switch (K) {
  case BuiltinKernel::DotF64:
    return "netjit_dot";
  case BuiltinKernel::SumSquaresF32:
    return "netjit_sum_squares";
  }
  NJ_CHECK(false, "unknown built-in kernel " << static_cast<int>(K));
  return {};
}

std::string builtinKernelIR(BuiltinKernel K) {
  llvm::LLVMContext C;
  std::string_view Sym = builtinKernelSymbol(K);
  llvm::Module M(llvm::StringRef(Sym.data(), Sym.size()), C);
  llvm::StringRef Name(Sym.data(), Sym.size());
  switch (K) {
  case BuiltinKernel::DotF64:
    buildProductSum(M, Name, llvm::Type::getDoubleTy(C), 2);
    break;
  case BuiltinKernel::SumSquaresF32:
    buildProductSum(M, Name, llvm::Type::getFloatTy(C), 1);
    break;
  }
  std::string Problems;
  llvm::raw_string_ostream VOS(Problems);
  NJ_CHECK(!llvm::verifyModule(M, &VOS),
           "built-in kernel " << Sym << ": " << VOS.str());
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  M.print(OS, nullptr);
  return OS.str();
}

//===----------------------------------------------------------------------===//
// JitModule
//===----------------------------------------------------------------------===//

JitModule::JitModule() = default;
JitModule::~JitModule() = default;
JitModule::JitModule(JitModule &&) noexcept = default;
JitModule &JitModule::operator=(JitModule &&) noexcept = default;
JitModule::JitModule(std::unique_ptr<detail::JitModuleState> S)
    : State(std::move(S)) {}

void JitModule::reset() { State.reset(); }

void *JitModule::lookup(std::string_view Symbol) const {
  if (!State)
    throw Error("JIT: lookup of '" + std::string(Symbol) +
                "' in an empty module");
  llvm::orc::LLJIT &J = *State->Owner->Lljit;
  llvm::orc::JITDylib &Lib =
      State->Dylib ? *State->Dylib : State->Tracker->getJITDylib();
  llvm::Expected<llvm::orc::ExecutorAddr> Addr =
      J.lookup(Lib, llvm::StringRef(Symbol.data(), Symbol.size()));
  if (!Addr)
    fail(Addr.takeError(), "module '" + State->Name + "': lookup of '" +
                               std::string(Symbol) + "'");
  return Addr->toPtr<void *>();
}

//===----------------------------------------------------------------------===//
// Jit
//===----------------------------------------------------------------------===//

Jit::Jit(std::shared_ptr<detail::JitState> S) : State(std::move(S)) {}
Jit::~Jit() = default;

std::unique_ptr<Jit> Jit::create(const JitOptions &Options) {
  if (Options.OptLevel < 0 || Options.OptLevel > 3)
    throw Error("JIT: optimization level must be 0 to 3, got " +
                std::to_string(Options.OptLevel));
  initializeLlvmOnce();
  auto Jtmb = unwrap(llvm::orc::JITTargetMachineBuilder::detectHost(),
                     "detecting the host");
  Jtmb.setCodeGenOptLevel(codeGenLevel(Options.OptLevel));
  // What LLJIT picks for JITLink on its own; set here so that objects made by
  // compileObject (and the assembly) are the code the JIT links.
  Jtmb.setRelocationModel(llvm::Reloc::PIC_);
  Jtmb.setCodeModel(llvm::CodeModel::Small);
  auto S = std::make_shared<JitState>(Jtmb);
  S->Options = Options;
  S->CpuName = Jtmb.getCPU();
  std::vector<std::string> Features = Jtmb.getFeatures().getFeatures();
  std::sort(Features.begin(), Features.end());
  for (const std::string &F : Features)
    if (!F.empty() && F[0] == '+')
      S->Features += (S->Features.empty() ? "" : ",") + F;
  S->Triple = Jtmb.getTargetTriple().str();
  S->TM = unwrap(Jtmb.createTargetMachine(), "creating the target machine");
  S->Lljit = unwrap(
      llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(Jtmb).create(),
      "creating the LLJIT");
  return std::unique_ptr<Jit>(new Jit(std::move(S)));
}

const std::string &Jit::hostCpuName() const { return State->CpuName; }
const std::string &Jit::hostFeatures() const { return State->Features; }
const std::string &Jit::targetTriple() const { return State->Triple; }

bool Jit::hasFeature(std::string_view Feature) const {
  std::string Want(1, '+');
  Want.append(Feature);
  std::string_view All = State->Features;
  size_t Pos = 0;
  while (Pos <= All.size()) {
    size_t End = std::min(All.find(',', Pos), All.size());
    if (All.substr(Pos, End - Pos) == Want)
      return true;
    Pos = End + 1;
  }
  return false;
}

JitModule Jit::addModule(std::string_view IRText, std::string_view Name) {
  ParsedModule P = parseModule(IRText, Name);
  {
    std::lock_guard<std::mutex> Lock(State->Mutex);
    optimizeModule(*State, *P.M);
  }
  auto MS = std::make_unique<detail::JitModuleState>();
  MS->Owner = State;
  MS->Name = std::string(Name);
  llvm::orc::LLJIT &J = *State->Lljit;
  MS->Tracker = J.getMainJITDylib().createResourceTracker();
  llvm::orc::ThreadSafeModule Tsm(std::move(P.M), std::move(P.Ctx));
  if (llvm::Error E = J.addIRModule(MS->Tracker, std::move(Tsm))) {
    MS->Tracker = nullptr; // nothing was added
    fail(std::move(E), "adding module '" + MS->Name + "'");
  }
  return JitModule(std::move(MS));
}

std::string Jit::compileObject(std::string_view IRText, std::string_view Name) {
  ParsedModule P = parseModule(IRText, Name);
  std::lock_guard<std::mutex> Lock(State->Mutex);
  optimizeModule(*State, *P.M);
  llvm::SmallVector<char, 0> Object;
  llvm::raw_svector_ostream OS(Object);
  llvm::legacy::PassManager PM;
  if (State->TM->addPassesToEmitFile(PM, OS, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
    throw Error("JIT: the target cannot emit object files");
  PM.run(*P.M);
  return std::string(Object.data(), Object.size());
}

JitModule Jit::addObject(std::string_view Object, std::string_view Name) {
  static std::atomic<uint64_t> Counter{0};
  auto MS = std::make_unique<detail::JitModuleState>();
  MS->Owner = State;
  MS->Name = std::string(Name);
  llvm::orc::LLJIT &J = *State->Lljit;
  llvm::Expected<llvm::orc::JITDylib &> Lib =
      J.createJITDylib("netjit.object." + std::to_string(Counter++));
  if (!Lib)
    fail(Lib.takeError(), "creating a library for '" + MS->Name + "'");
  MS->Dylib = &*Lib;
  auto Buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(Object.data(), Object.size()),
      llvm::StringRef(Name.data(), Name.size()));
  if (llvm::Error E = J.addObjectFile(*MS->Dylib, std::move(Buffer)))
    fail(std::move(E), "adding object '" + MS->Name + "'");
  return JitModule(std::move(MS));
}

JitModule Jit::addBuiltin(BuiltinKernel K) {
  return addModule(builtinKernelIR(K), builtinKernelSymbol(K));
}

std::string Jit::optimizeIR(std::string_view IRText, std::string_view Name) {
  ParsedModule P = parseModule(IRText, Name);
  std::lock_guard<std::mutex> Lock(State->Mutex);
  optimizeModule(*State, *P.M);
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  P.M->print(OS, nullptr);
  return OS.str();
}

std::string Jit::emitAssembly(std::string_view IRText, std::string_view Name) {
  ParsedModule P = parseModule(IRText, Name);
  std::lock_guard<std::mutex> Lock(State->Mutex);
  optimizeModule(*State, *P.M);
  llvm::SmallString<0> Asm;
  llvm::raw_svector_ostream OS(Asm);
  llvm::legacy::PassManager PM;
  if (State->TM->addPassesToEmitFile(PM, OS, nullptr,
                                     llvm::CodeGenFileType::AssemblyFile))
    throw Error("JIT: the target cannot emit assembly");
  PM.run(*P.M);
  return std::string(Asm.str());
}

} // namespace netjit
