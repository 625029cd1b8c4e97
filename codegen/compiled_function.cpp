//===- compiled_function.cpp - Compiling a graph, bindings, contexts
//-------===//
//
// buildFunction() runs the pipeline, then plan + emit + LLVM. The default
// part of the pipeline runs first on its own, so that a graph the codegen
// passes or the planner cannot handle still runs (on the interpreter, from
// the last graph that was fine) and only graphs the user got wrong throw.
// The fused graph is printed and parsed back before planning, so a function
// rebuilt from a disk cache entry (loadFunction) plans and emits exactly what
// was compiled. The JIT is one LLJIT per optimization level for the whole
// process; each compiled function is one object file linked into a library
// of its own. compile() goes through the compile cache (compile_cache.cpp).
//
//===----------------------------------------------------------------------===//
#include "codegen/compiled_impl.h"

#include "codegen/compile_cache.h"
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/rewrite.h"

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

/// Runs the codegen passes on every scan body (innermost first): the passes
/// treat a scan as opaque, so its body is lowered and fused here, to be
/// planned and emitted as a function of its own. A body whose interface the
/// passes would change throws, like a failing pass (the interpreter runs).
void fuseScanBodies(Graph &G, PassContext &Ctx) {
  rebuild(G,
          [&](Builder &B, const Node &Old,
              std::span<const NodeId> Ins) -> std::optional<NodeId> {
            if (Old.Op != OpCode::Scan)
              return std::nullopt;
            auto Body = std::make_shared<Graph>(Old.Body->compact());
            fuseScanBodies(*Body, Ctx);
            PassManager::parse(kCodegenPasses).run(*Body, Ctx);
            if (Body->arguments().size() != Old.Body->arguments().size() ||
                Body->outputs().size() != Old.Body->outputs().size())
              throw Error(
                  "the codegen passes changed the interface of a scan body");
            return B.graph().make(OpCode::Scan, Ins, Old.Attributes,
                                  std::nullopt, std::move(Body));
          });
}

/// Runs the pipeline on G into I.Fused (falling back to the interpreter
/// when the codegen passes fail).
void runPipeline(detail::CompiledImpl &I, const Graph &G) {
  Graph Work = G.compact();
  PassContext Ctx;
  Ctx.Options.FastMath = I.Options.FastMath;
  if (!I.Options.Pipeline.empty()) {
    PassManager::parse(I.Options.Pipeline).run(Work, Ctx);
  } else {
    PassManager::parse(defaultPipeline()).run(Work, Ctx);
    Graph Safe = Work.compact();
    try {
      PassManager::parse(kCodegenPasses).run(Work, Ctx);
      fuseScanBodies(Work, Ctx);
    } catch (const Error &E) {
      Work = std::move(Safe);
      useInterpreter(I, std::string("the codegen passes failed: ") + E.what());
    }
  }
  I.Fused = std::move(Work);
}

/// Plans the fused graph (or falls back to the interpreter) and describes
/// the function's ports.
void planFunction(detail::CompiledImpl &I) {
  std::string Why;
  if (!I.Interpreted) {
    if (I.Options.ForceInterpreter)
      useInterpreter(I, "CompileOptions::ForceInterpreter is set");
    else if (!(I.P = makePlan(I.Fused, &Why)))
      useInterpreter(I, Why);
  }
  if (I.P)
    I.Symbols = I.P->Symbols;
  else
    I.Symbols.collect(I.Fused);
  describePorts(I);
}

void emit(detail::CompiledImpl &I, const std::string &EntryName) {
  EmitOptions EO;
  EO.StrictFloat = I.Options.StrictFloat;
  EO.EntryName = EntryName;
  I.Module = emitModule(I.Fused, *I.P, EO);
}

void link(detail::CompiledImpl &I, const std::string &Object) {
  I.Code = I.J->addObject(Object, "graph_" + I.Fused.name());
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

std::shared_ptr<CompiledImpl> buildFunction(const Graph &G,
                                            const CompileOptions &Options,
                                            const std::string &EntryName,
                                            StoredFunction *Stored) {
  auto I = std::make_shared<CompiledImpl>();
  I->Options = Options;
  I->J = &sharedJit(Options.OptLevel);
  runPipeline(*I, G);
  // The function runs the fused graph's text parsed back, whether or not it
  // is stored, so a disk hit runs what a miss runs. Parsing may reorder a
  // kernel body's arena (its arguments come first in the text), so the
  // check is that the text is a fixed point; should it ever fail, the
  // function still compiles from the pipeline's graph but is not stored.
  std::string Text = printGraph(I->Fused);
  bool Storable = false;
  try {
    Graph Parsed = parseGraph(Text);
    if (printGraph(Parsed) == Text) {
      I->Fused = std::move(Parsed);
      Storable = true;
    }
  } catch (const Error &) {
  }
  planFunction(*I);
  std::string Object;
  if (!I->Interpreted) {
    emit(*I, EntryName);
    Object = I->J->compileObject(I->Module.IR, "graph_" + I->Fused.name());
    link(*I, Object);
  }
  if (Stored) {
    *Stored = StoredFunction{};
    if (Storable) {
      Stored->Interpreted = I->Interpreted;
      Stored->Reason = I->Reason;
      Stored->FusedText = std::move(Text);
      Stored->IRHash = checksum(I->Module.IR);
      Stored->Object = std::move(Object);
    }
  }
  return I;
}

std::shared_ptr<CompiledImpl> loadFunction(const StoredFunction &S,
                                           const CompileOptions &Options,
                                           const std::string &EntryName) {
  auto I = std::make_shared<CompiledImpl>();
  I->Options = Options;
  I->J = &sharedJit(Options.OptLevel);
  I->Fused = parseGraph(S.FusedText);
  if (S.Interpreted) {
    useInterpreter(*I, S.Reason);
    planFunction(*I);
    return I;
  }
  planFunction(*I);
  if (I->Interpreted)
    throw Error("the stored graph does not plan: " + I->Reason);
  emit(*I, EntryName);
  if (checksum(I->Module.IR) != S.IRHash)
    throw Error("the stored graph emits different LLVM IR");
  link(*I, S.Object);
  return I;
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
  return CompiledFunction(detail::cachedCompile(G, Options));
}

bool CompiledFunction::usesInterpreter() const { return Impl->Interpreted; }
const std::string &CompiledFunction::interpreterReason() const {
  return Impl->Reason;
}
const Graph &CompiledFunction::fusedGraph() const { return Impl->Fused; }
const std::string &CompiledFunction::llvmIR() const { return Impl->Module.IR; }

const Jit &CompiledFunction::jit() const { return *Impl->J; }

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
