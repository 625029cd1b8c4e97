//===- pass_manager.cpp - Pipelines, instrumentation and the registry -----===//
//
// The registry is passes/passes.def. A pipeline is parsed into a list of
// passes where a `fix(...)` group is a FixedPointPass holding its members.
// Running is done by a Runner that wraps every pass (group members included)
// with the instruments: the changed-report check, the verifier, printing and
// timing. A group run through Pass::run directly (not through a manager) gets
// the default instruments.
//
//===----------------------------------------------------------------------===//
#include "passes/pass_manager.h"

#include "ir/error.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/cse.h"
#include "passes/dce.h"
#include "passes/fuse.h"
#include "passes/lower.h"
#include "passes/simplify.h"
#if __has_include("passes/stabilize.h")
#include "passes/stabilize.h"
#endif
#if __has_include("passes/autodiff.h")
#include "passes/autodiff.h"
#endif

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>

namespace netjit {
namespace {

struct RegistryEntry {
  std::string_view Name;
  std::unique_ptr<Pass> (*Create)();
};

const RegistryEntry kRegistry[] = {
#define PASS(Name, Class)                                                      \
  {Name, []() -> std::unique_ptr<Pass> { return std::make_unique<Class>(); }},
#include "passes/passes.def"
};

std::string registeredList() {
  std::string Out;
  for (const RegistryEntry &E : kRegistry)
    Out += (Out.empty() ? "" : ", ") + std::string(E.Name);
  return Out;
}

/// fix(a,b,...): reruns its members until none reports a change.
class FixedPointPass final : public Pass {
public:
  FixedPointPass(std::vector<std::unique_ptr<Pass>> Members, int Limit)
      : Members(std::move(Members)), Limit(Limit) {
    Name = "fix(";
    for (size_t I = 0; I < this->Members.size(); ++I) {
      if (I)
        Name += ',';
      Name += this->Members[I]->name();
    }
    Name += ')';
  }
  std::string_view name() const override { return Name; }
  bool run(Graph &G, PassContext &Ctx) override;

  std::vector<std::unique_ptr<Pass>> Members;
  int Limit;

private:
  std::string Name;
};

using Clock = std::chrono::steady_clock;

/// Runs passes with the instruments of one Instrumentation.
class Runner {
public:
  Runner(Graph &G, PassContext &Ctx, const Instrumentation &I)
      : G(G), Ctx(Ctx), I(I), Out(I.Out ? *I.Out : std::cerr) {}

  bool run(Pass &P) {
    if (auto *F = dynamic_cast<FixedPointPass *>(&P))
      return runGroup(*F);
    return runOne(P);
  }
  void reportTimes() const;

private:
  bool runOne(Pass &P);
  bool runGroup(FixedPointPass &F);
  void checkChangedReport(const Pass &P, bool Changed, uint64_t Before,
                          size_t SizeBefore) const;
  bool printsAfter(std::string_view Name, bool IsGroup) const;
  void print(std::string_view Name, bool Changed) const;

  Graph &G;
  PassContext &Ctx;
  const Instrumentation &I;
  std::ostream &Out;
  struct Timing {
    int64_t Runs = 0;
    double Ms = 0;
  };
  std::vector<std::pair<std::string, Timing>> Times; // in first-run order
  std::vector<std::pair<std::string, int>> Groups;   // name, iterations
};

bool Runner::runOne(Pass &P) {
  uint64_t HashBefore = I.CheckChangedReport ? G.structuralHash() : 0;
  size_t SizeBefore = G.size();
  auto Start = Clock::now();
  bool Changed = P.run(G, Ctx);
  double Ms =
      std::chrono::duration<double, std::milli>(Clock::now() - Start).count();
  std::string Name(P.name());
  auto It = std::find_if(Times.begin(), Times.end(),
                         [&](const auto &T) { return T.first == Name; });
  if (It == Times.end())
    It = Times.insert(Times.end(), {Name, Timing{}});
  ++It->second.Runs;
  It->second.Ms += Ms;
  if (I.CheckChangedReport)
    checkChangedReport(P, Changed, HashBefore, SizeBefore);
  if (Changed && I.VerifyEach) {
    try {
      verify(G);
    } catch (const Error &E) {
      throw Error("verifier failed after pass '" + Name + "': " + E.what());
    }
  }
  if (printsAfter(Name, false))
    print(Name, Changed);
  return Changed;
}

/// A pass changed the graph iff its structure changed or it dropped dead
/// nodes from the arena (dce); anything else is a wrong report.
void Runner::checkChangedReport(const Pass &P, bool Changed, uint64_t Before,
                                size_t SizeBefore) const {
  uint64_t After = G.structuralHash();
  bool Structural = After != Before;
  if (Changed == Structural || (Changed && G.size() < SizeBefore))
    return;
  throw Error("pass '" + std::string(P.name()) + "' reported that it " +
              (Changed ? "changed" : "did not change") +
              " the graph, but its structural hash " +
              (Structural ? "changed" : "did not change"));
}

bool Runner::runGroup(FixedPointPass &F) {
  std::vector<uint64_t> Seen{G.structuralHash()};
  bool AnyChange = false, Warned = false;
  for (int It = 1;; ++It) {
    bool Changed = false;
    for (auto &M : F.Members)
      Changed |= run(*M);
    if (!Changed) {
      Groups.push_back({std::string(F.name()), It});
      break;
    }
    AnyChange = true;
    if (It >= F.Limit)
      throw Error("fixed point '" + std::string(F.name()) +
                  "' did not converge after " + std::to_string(F.Limit) +
                  " iterations");
    uint64_t H = G.structuralHash();
    auto Prev = std::find(Seen.begin(), Seen.end(), H);
    if (Prev != Seen.end() && !Warned) {
      Out << "warning: fixed point '" << F.name() << "' is cycling: iteration "
          << It << " gives the graph of iteration " << (Prev - Seen.begin())
          << "\n";
      Warned = true;
    }
    Seen.push_back(H);
  }
  if (printsAfter(F.name(), true))
    print(F.name(), AnyChange);
  return AnyChange;
}

/// "all" selects every pass but not the groups (their members print); a
/// group prints when named exactly ("fix(simplify,cse)"). PrintChanged
/// alone selects every pass.
bool Runner::printsAfter(std::string_view Name, bool IsGroup) const {
  if (I.PrintAfter.empty())
    return I.PrintChanged && !IsGroup;
  for (const std::string &S : I.PrintAfter)
    if (S == Name || (S == "all" && !IsGroup))
      return true;
  return false;
}

void Runner::print(std::string_view Name, bool Changed) const {
  if (I.PrintChanged && !Changed) {
    Out << "// ----- IR after " << Name << " ----- (unchanged)\n";
    return;
  }
  Out << "// ----- IR after " << Name << " -----\n" << printGraph(G);
}

void Runner::reportTimes() const {
  double Total = 0;
  int64_t Runs = 0;
  for (const auto &[Name, T] : Times) {
    Total += T.Ms;
    Runs += T.Runs;
  }
  char Line[160];
  auto Row = [&](const std::string &Name, int64_t R, double Ms) {
    double Pct = Total > 0 ? 100.0 * Ms / Total : 0.0;
    std::snprintf(Line, sizeof(Line), "%-24s %6lld %10.3f %6.1f%%\n",
                  Name.c_str(), static_cast<long long>(R), Ms, Pct);
    Out << Line;
  };
  Out << "===----- pass timing -----===\n";
  std::snprintf(Line, sizeof(Line), "%-24s %6s %10s %7s\n", "pass", "runs",
                "wall ms", "%");
  Out << Line;
  for (const auto &[Name, T] : Times)
    Row(Name, T.Runs, T.Ms);
  Row("total", Runs, Total);
  for (const auto &[Name, Its] : Groups)
    Out << Name << ": converged after " << Its << " iteration"
        << (Its == 1 ? "" : "s") << "\n";
  Out << "===----- rule hits -----===\n";
  for (const auto &[Key, N] : Ctx.Stats) {
    std::snprintf(Line, sizeof(Line), "%-40s %8lld\n", Key.c_str(),
                  static_cast<long long>(N));
    Out << Line;
  }
}

bool FixedPointPass::run(Graph &G, PassContext &Ctx) {
  Instrumentation Defaults;
  Runner R(G, Ctx, Defaults);
  return R.run(*this);
}

/// Pipeline syntax: list := item (',' item)*; item := NAME | 'fix' '(' list
/// ')'. Whitespace may separate tokens; the empty pipeline has no passes.
class PipelineParser {
public:
  PipelineParser(std::string_view Text, int Limit) : Text(Text), Limit(Limit) {}

  std::vector<std::unique_ptr<Pass>> parse() {
    std::vector<std::unique_ptr<Pass>> Passes;
    skipSpace();
    if (Pos == Text.size())
      return Passes;
    Passes = parseList();
    if (Pos != Text.size())
      fail(Text[Pos] == ')' ? "unbalanced ')'" : "expected ',' between passes");
    return Passes;
  }

private:
  [[noreturn]] void fail(const std::string &Problem,
                         size_t At = SIZE_MAX) const {
    size_t Col = (At == SIZE_MAX ? Pos : At) + 1;
    throw Error("pipeline '" + std::string(Text) + "': " + Problem +
                " at column " + std::to_string(Col));
  }
  void skipSpace() {
    while (Pos < Text.size() &&
           std::isspace(static_cast<unsigned char>(Text[Pos])))
      ++Pos;
  }
  bool take(char C) {
    skipSpace();
    if (Pos < Text.size() && Text[Pos] == C) {
      ++Pos;
      return true;
    }
    return false;
  }
  static bool isNameChar(char C) {
    return std::isalnum(static_cast<unsigned char>(C)) || C == '_' || C == '-';
  }

  std::vector<std::unique_ptr<Pass>> parseList() {
    std::vector<std::unique_ptr<Pass>> Passes;
    do
      Passes.push_back(parseItem());
    while (take(','));
    skipSpace();
    return Passes;
  }

  std::unique_ptr<Pass> parseItem() {
    skipSpace();
    size_t Start = Pos;
    while (Pos < Text.size() && isNameChar(Text[Pos]))
      ++Pos;
    std::string_view Name = Text.substr(Start, Pos - Start);
    if (Name.empty())
      fail(Pos == Text.size() ? "expected a pass name, got the end"
                              : "expected a pass name, got '" +
                                    std::string(1, Text[Pos]) + "'");
    if (Name == "fix" && take('(')) {
      size_t Open = Pos - 1;
      if (take(')'))
        fail("empty fixed-point group", Open);
      std::vector<std::unique_ptr<Pass>> Members = parseList();
      if (!take(')'))
        fail("expected ')' to close 'fix(' (opened at column " +
             std::to_string(Open + 1) + ")");
      return createFixedPoint(std::move(Members), Limit);
    }
    for (const RegistryEntry &E : kRegistry)
      if (E.Name == Name)
        return E.Create();
    fail("unknown pass '" + std::string(Name) +
             "' (registered: " + registeredList() + ")",
         Start);
  }

  std::string_view Text;
  int Limit;
  size_t Pos = 0;
};

} // namespace

std::vector<std::string_view> registeredPasses() {
  std::vector<std::string_view> Names;
  for (const RegistryEntry &E : kRegistry)
    Names.push_back(E.Name);
  return Names;
}

std::unique_ptr<Pass> createPass(std::string_view Name) {
  for (const RegistryEntry &E : kRegistry)
    if (E.Name == Name)
      return E.Create();
  throw Error("unknown pass '" + std::string(Name) +
              "' (registered: " + registeredList() + ")");
}

std::string_view defaultPipeline() {
  return "stabilize,autodiff,fix(simplify,cse),dce";
}

std::unique_ptr<Pass>
createFixedPoint(std::vector<std::unique_ptr<Pass>> Passes, int Limit) {
  if (Passes.empty())
    throw Error("a fixed-point group needs at least one pass");
  if (Limit < 1)
    throw Error("the iteration limit of a fixed point must be >= 1, got " +
                std::to_string(Limit));
  return std::make_unique<FixedPointPass>(std::move(Passes), Limit);
}

PassManager PassManager::parse(std::string_view Pipeline, int FixedPointLimit) {
  PassManager PM;
  for (auto &P : PipelineParser(Pipeline, FixedPointLimit).parse())
    PM.add(std::move(P));
  return PM;
}

void PassManager::add(std::unique_ptr<Pass> P) {
  Passes.push_back(std::move(P));
}

namespace {

/// Every name a PrintAfter entry may select: the passes, groups and members.
void collectNames(const Pass &P, std::vector<std::string> &Out) {
  Out.emplace_back(P.name());
  if (auto *F = dynamic_cast<const FixedPointPass *>(&P))
    for (const auto &M : F->Members)
      collectNames(*M, Out);
}

} // namespace

bool PassManager::run(Graph &G, PassContext &Ctx,
                      const Instrumentation &Instr) {
  std::vector<std::string> Names;
  for (const auto &P : Passes)
    collectNames(*P, Names);
  for (const std::string &S : Instr.PrintAfter)
    if (S != "all" && std::find(Names.begin(), Names.end(), S) == Names.end()) {
      std::string List;
      for (const std::string &N : Names)
        List += (List.empty() ? "" : ", ") + N;
      throw Error("print-after: '" + S + "' is not a pass of this pipeline (" +
                  List + ")");
    }
  if (Instr.VerifyEach) {
    try {
      verify(G);
    } catch (const Error &E) {
      throw Error(std::string("verifier failed on the input graph: ") +
                  E.what());
    }
  }
  Runner R(G, Ctx, Instr);
  bool Changed = false;
  for (auto &P : Passes)
    Changed |= R.run(*P);
  if (Instr.TimePasses)
    R.reportTimes();
  return Changed;
}

} // namespace netjit
