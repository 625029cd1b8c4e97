//===- compiled_function.cpp - Compiling a graph, bindings, contexts
//-------===//
//
// compile() runs the pipeline, then plan + emit + JIT. The default part of
// the pipeline runs first on its own, so that a graph the codegen passes or
// the planner cannot handle still runs (on the interpreter, from the last
// graph that was fine) and only graphs the user got wrong throw. The JIT is
// one LLJIT per optimization level for the whole process; each compiled
// function is one module in it, under a unique entry symbol.
//
//===----------------------------------------------------------------------===//
#include "codegen/compiled_impl.h"

#include "ir/error.h"
#include "passes/pass_manager.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace netjit {
namespace {

constexpr std::string_view kCodegenPasses = "lower,fix(simplify,cse),fuse,dce";

/// Whether a dim is exactly one symbol (B, not 2*B or B*T); its name.
const std::string *singleSymbol(const Dim &D, std::vector<Dim::Term> &Terms) {
  if (D.isConstant())
    return nullptr;
  Terms = D.terms();
  if (Terms.size() != 1 || Terms[0].Coeff != 1 || Terms[0].Syms.size() != 1)
    return nullptr;
  return &Terms[0].Syms[0];
}

void describePorts(detail::CompiledImpl &I) {
  const Graph &G = I.Fused;
  std::vector<char> Updated(G.size(), 0);
  for (const Update &U : G.updates())
    Updated[U.Target.Index] = 1;
  auto port = [&](std::string Name, NodeId V) {
    detail::PortInfo P{std::move(Name), G.type(V), {}, false};
    for (const Dim &D : P.Type.Dims)
      P.Dims.emplace_back(D, I.Symbols);
    return P;
  };
  for (NodeId A : G.arguments()) {
    I.Args.push_back(port(G.node(A).Attributes.getString("name"), A));
    I.Args.back().Updated = Updated[A.Index] != 0;
  }
  for (const Output &O : G.outputs())
    I.Outs.push_back(port(O.Name, O.Value));
  I.SymbolSource.assign(I.Symbols.size(), {-1, -1});
  std::vector<Dim::Term> Terms;
  for (size_t A = 0; A < I.Args.size(); ++A)
    for (size_t D = 0; D < I.Args[A].Type.Dims.size(); ++D)
      if (const std::string *Sym =
              singleSymbol(I.Args[A].Type.Dims[D], Terms)) {
        int S = I.Symbols.indexOf(*Sym);
        if (S >= 0 && I.SymbolSource[S].first < 0)
          I.SymbolSource[S] = {static_cast<int>(A), static_cast<int>(D)};
      }
}

void useInterpreter(detail::CompiledImpl &I, std::string Reason) {
  I.Interpreted = true;
  I.Reason = std::move(Reason);
}

void jitCompile(detail::CompiledImpl &I) {
  static std::atomic<uint64_t> Counter{0};
  EmitOptions EO;
  EO.StrictFloat = I.Options.StrictFloat;
  EO.EntryName = "netjit_entry_" + std::to_string(Counter++);
  I.Module = emitModule(I.Fused, *I.P, EO);
  I.J = &detail::sharedJit(I.Options.OptLevel);
  I.Code = I.J->addModule(I.Module.IR, "graph_" + I.Fused.name());
  I.Entry = I.Code.lookupAs<detail::CompiledImpl::EntryFn>(I.Module.EntryName);
}

} // namespace

std::string codegenPipeline() {
  return std::string(defaultPipeline()) + "," + std::string(kCodegenPasses);
}

namespace detail {

Jit &sharedJit(int OptLevel) {
  if (OptLevel < 0 || OptLevel > 3)
    throw Error("CompileOptions::OptLevel must be 0 to 3, got " +
                std::to_string(OptLevel));
  static std::mutex Mutex;
  static Jit *Jits[4] = {nullptr, nullptr, nullptr, nullptr};
  std::lock_guard<std::mutex> Lock(Mutex);
  if (!Jits[OptLevel]) // never freed: compiled functions may outlive statics
    Jits[OptLevel] = Jit::create(JitOptions{OptLevel}).release();
  return *Jits[OptLevel];
}

ContextImpl::~ContextImpl() {
  std::free(Workspace);
  for (OutputBuffer &O : Outs)
    std::free(O.Owned);
}

} // namespace detail

CompiledFunction::CompiledFunction(
    std::shared_ptr<const detail::CompiledImpl> I)
    : Impl(std::move(I)) {}

CompiledFunction CompiledFunction::compile(const Graph &G,
                                           const CompileOptions &Options) {
  auto I = std::make_shared<detail::CompiledImpl>();
  I->Options = Options;
  Graph Work = G.compact();
  PassContext Ctx;
  Ctx.Options.FastMath = Options.FastMath;
  if (!Options.Pipeline.empty()) {
    PassManager::parse(Options.Pipeline).run(Work, Ctx);
  } else {
    PassManager::parse(defaultPipeline()).run(Work, Ctx);
    Graph Safe = Work.compact();
    try {
      PassManager::parse(kCodegenPasses).run(Work, Ctx);
    } catch (const Error &E) {
      Work = std::move(Safe);
      useInterpreter(*I, std::string("the codegen passes failed: ") + E.what());
    }
  }
  I->Fused = std::move(Work);
  std::string Why;
  if (!I->Interpreted) {
    if (Options.ForceInterpreter)
      useInterpreter(*I, "CompileOptions::ForceInterpreter is set");
    else if (!(I->P = makePlan(I->Fused, &Why)))
      useInterpreter(*I, Why);
  }
  if (I->P)
    I->Symbols = I->P->Symbols;
  else
    I->Symbols.collect(I->Fused);
  describePorts(*I);
  if (!I->Interpreted)
    jitCompile(*I);
  return CompiledFunction(std::move(I));
}

bool CompiledFunction::usesInterpreter() const { return Impl->Interpreted; }
const std::string &CompiledFunction::interpreterReason() const {
  return Impl->Reason;
}
const Graph &CompiledFunction::fusedGraph() const { return Impl->Fused; }
const std::string &CompiledFunction::llvmIR() const { return Impl->Module.IR; }

const Jit &CompiledFunction::jit() const {
  return Impl->J ? *Impl->J : detail::sharedJit(Impl->Options.OptLevel);
}

std::string CompiledFunction::optimizedIR() const {
  return Impl->Interpreted ? "" : Impl->J->optimizeIR(Impl->Module.IR, "graph");
}

std::string CompiledFunction::assembly() const {
  return Impl->Interpreted ? ""
                           : Impl->J->emitAssembly(Impl->Module.IR, "graph");
}

CallContext CompiledFunction::newContext() const {
  auto C = std::make_unique<detail::ContextImpl>();
  C->Fn = Impl;
  C->State.Functions = &runtimeFunctions();
  size_t NumSyms = Impl->Symbols.size();
  C->Sym.assign(NumSyms, 0);
  C->LastSym.assign(NumSyms, 0);
  C->Outs.resize(Impl->Outs.size());
  for (size_t O = 0; O < Impl->Outs.size(); ++O)
    C->Outs[O].Shape.reserve(Impl->Outs[O].Type.rank());
  if (Impl->P) {
    C->Table.assign(Impl->P->Slots.size(), nullptr);
    size_t N = Impl->P->Buffers.size();
    C->Layout.Offsets.reserve(N);
    C->Layout.Sizes.reserve(N);
    C->Layout.Order.reserve(N);
    C->Layout.Placed.reserve(N);
  }
  return CallContext(std::move(C));
}

Bindings CompiledFunction::newBindings() const {
  Bindings B;
  for (const detail::PortInfo &A : Impl->Args) {
    B.Arguments.push_back({A.Name, nullptr, {}, A.Type.Dtype, false, false});
    B.Arguments.back().Shape.reserve(A.Type.rank());
  }
  for (const detail::PortInfo &O : Impl->Outs) {
    B.Outputs.push_back({O.Name, nullptr, {}, O.Type.Dtype, false, false});
    B.Outputs.back().Shape.reserve(O.Type.rank());
  }
  return B;
}

//===----------------------------------------------------------------------===//
// Bindings, CallContext, TensorView
//===----------------------------------------------------------------------===//

Bindings::Entry &Bindings::find(std::vector<Entry> &List, std::string_view Name,
                                const char *Kind) {
  for (Entry &E : List)
    if (E.Name == Name)
      return E;
  throw Error("the function has no " + std::string(Kind) + " named '" +
              std::string(Name) + "'");
}

void Bindings::set(Entry &E, const void *Data, std::span<const int64_t> Shape,
                   DType T, bool Writable) {
  E.Data = const_cast<void *>(Data);
  E.Shape.assign(Shape.begin(), Shape.end());
  E.Type = T;
  E.Bound = true;
  E.Writable = Writable;
}

void Bindings::bind(std::string_view Name, const void *Data,
                    std::span<const int64_t> Shape, DType T) {
  set(find(Arguments, Name, "argument"), Data, Shape, T, false);
}

void Bindings::bind(std::string_view Name, const Tensor &T) {
  bind(Name, T.raw(), std::span<const int64_t>(T.shape()), T.dtype());
}

void Bindings::bindParam(std::string_view Name, void *Data,
                         std::span<const int64_t> Shape, DType T) {
  set(find(Arguments, Name, "argument"), Data, Shape, T, true);
}

void Bindings::bindParam(std::string_view Name, Tensor &T) {
  bindParam(Name, T.raw(), std::span<const int64_t>(T.shape()), T.dtype());
}

void Bindings::bindOutput(std::string_view Name, void *Data,
                          std::span<const int64_t> Shape, DType T) {
  set(find(Outputs, Name, "output"), Data, Shape, T, true);
}

void Bindings::bindOutput(std::string_view Name, Tensor &T) {
  bindOutput(Name, T.raw(), std::span<const int64_t>(T.shape()), T.dtype());
}

void Bindings::setDim(std::string_view Symbol, int64_t Value) {
  for (auto &[Name, V] : Dims)
    if (Name == Symbol) {
      V = Value;
      return;
    }
  Dims.emplace_back(std::string(Symbol), Value);
}

void Bindings::clear() {
  for (Entry &E : Arguments)
    E.Bound = false;
  for (Entry &E : Outputs)
    E.Bound = false;
  Dims.clear();
}

CallContext::CallContext(std::unique_ptr<detail::ContextImpl> I)
    : Impl(std::move(I)) {}
CallContext::CallContext(CallContext &&) noexcept = default;
CallContext &CallContext::operator=(CallContext &&) noexcept = default;
CallContext::~CallContext() = default;

size_t CallContext::workspaceBytes() const { return Impl->WorkspaceCap; }

TensorView CallContext::output(std::string_view Name) const {
  const auto &Outs = Impl->Fn->Outs;
  for (size_t O = 0; O < Outs.size(); ++O)
    if (Outs[O].Name == Name) {
      const detail::ContextImpl::OutputBuffer &B = Impl->Outs[O];
      return TensorView{B.Data, std::span<const int64_t>(B.Shape),
                        Outs[O].Type.Dtype};
    }
  throw Error("the function has no output named '" + std::string(Name) + "'");
}

double TensorView::at(int64_t I) const {
  switch (Type) {
  case DType::F32:
    return data<float>()[I];
  case DType::F64:
    return data<double>()[I];
  case DType::I32:
    return data<int32_t>()[I];
  case DType::I64:
    return static_cast<double>(data<int64_t>()[I]);
  case DType::Bool:
    return data<uint8_t>()[I] ? 1.0 : 0.0;
  }
  return 0;
}

} // namespace netjit
