//===- graph.h - The interned node arena -----------------------------------===//
//
// A Graph owns its nodes in an arena and creates them only through make(),
// which infers the result type, checks it (ir/type_rules.cpp) and hash-conses:
// structurally equal nodes are one node, so CSE is free at build time. Nodes
// are immutable; a pass builds new nodes and re-points the graph's outputs.
// Operands always precede their users in the arena, so the arena order is a
// topological order and a graph cannot hold a cycle.
//
// The interface of a graph: its arguments (inputs fed per call and
// persistent params, in declaration order), its named outputs, and its
// updates (param <- value pairs written back at the end of a call; every
// output reads the pre-update values, as Theano's `updates`).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/attrs.h"
#include "ir/dim.h"
#include "ir/dtype.h"
#include "ir/ops.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace netjit {

/// The index of a node in its graph's arena.
struct NodeId {
  uint32_t Index = UINT32_MAX;
  bool valid() const { return Index != UINT32_MAX; }
  bool operator==(const NodeId &) const = default;
  bool operator<(const NodeId &O) const { return Index < O.Index; }
};

struct TensorType {
  DType Dtype = DType::F32;
  Shape Dims;
  bool operator==(const TensorType &) const = default;
  size_t rank() const { return Dims.size(); }
  /// "f32[B,784]"
  std::string str() const;
};

class Graph;

struct Node {
  OpCode Op;
  /// The result type; for a multi-result node (scan) the type of result 0.
  TensorType Type;
  /// Every result's type for a multi-result node; empty otherwise.
  std::vector<TensorType> Results;
  std::vector<NodeId> Inputs;
  Attrs Attributes;
  /// The loop body of a scan; null for every other op.
  std::shared_ptr<const Graph> Body;
  size_t Hash = 0;

  bool isMultiResult() const { return !Results.empty(); }
};

/// A named output of a graph (a scan body's outputs have empty names).
struct Output {
  std::string Name;
  NodeId Value;
};

/// A write-back into a param at the end of a call.
struct Update {
  NodeId Target; // a param node
  NodeId Value;  // same type as the target
};

class Graph {
public:
  explicit Graph(std::string Name = "main");
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;
  Graph(Graph &&) = default;
  Graph &operator=(Graph &&) = default;

  const std::string &name() const { return Name; }
  void setName(std::string N) { Name = std::move(N); }

  /// Creates (or finds) a node. Leaves, random ops and dim_value need the
  /// declared result type; for other ops a declared type is checked against
  /// the inferred one. Throws TypeError naming the op, operand and shapes.
  NodeId make(OpCode Op, std::span<const NodeId> Inputs, Attrs A = {},
              std::optional<TensorType> Declared = std::nullopt,
              std::shared_ptr<const Graph> Body = nullptr);

  /// Declares an input (fed per call) or a param (persistent). Declaring
  /// the same name again with the same kind and type returns the same node;
  /// with another kind or type it is a TypeError.
  NodeId input(std::string_view Name, TensorType T);
  NodeId param(std::string_view Name, TensorType T);
  /// A constant from raw element bytes (dtype and shape from T).
  NodeId constant(TensorType T, Bytes Value);
  /// A scalar constant of the given dtype.
  NodeId scalar(double Value, DType T = DType::F32);

  const Node &node(NodeId Id) const { return Nodes[Id.Index]; }
  const TensorType &type(NodeId Id) const { return Nodes[Id.Index].Type; }
  size_t size() const { return Nodes.size(); }

  /// Inputs and params in declaration order.
  const std::vector<NodeId> &arguments() const { return Arguments; }
  /// The argument with this name, or an invalid id.
  NodeId findArgument(std::string_view Name) const;

  /// Appends a named output (names must be unique, except empty names).
  void addOutput(std::string_view Name, NodeId Value);
  const std::vector<Output> &outputs() const { return Outputs; }
  /// Replaces the value of the I-th output.
  void setOutputValue(size_t I, NodeId Value);
  void clearOutputs() {
    Outputs.clear();
    OutputsByName.clear();
  }

  /// Declares that Target (a param) is set to Value at the end of a call.
  void addUpdate(NodeId Target, NodeId Value);
  const std::vector<Update> &updates() const { return Updates; }
  void setUpdateValue(size_t I, NodeId Value);
  void clearUpdates() {
    Updates.clear();
    UpdatedTargets.clear();
  }

  /// Nodes reachable from the outputs and updates (plus every argument), in
  /// topological (arena) order.
  std::vector<NodeId> liveNodes() const;

  /// A copy holding only the live nodes, in the same order, with the same
  /// arguments, outputs and updates.
  Graph compact() const;

  /// A hash of the graph's printed structure; equal graphs hash equal
  /// whatever their arena layout.
  uint64_t structuralHash() const;

  /// The IR text form (ir/printer.cpp).
  std::string str() const;

private:
  NodeId declareArgument(OpCode Op, std::string_view Name, TensorType T);

  std::string Name;
  std::deque<Node> Nodes;
  std::unordered_multimap<size_t, uint32_t> Interned; // node hash -> index
  std::vector<NodeId> Arguments;
  std::unordered_map<std::string, NodeId> ArgumentsByName;
  std::vector<Output> Outputs;
  std::unordered_map<std::string, size_t> OutputsByName; // non-empty names
  std::vector<Update> Updates;
  std::unordered_set<uint32_t> UpdatedTargets;
};

/// Infers the result type(s) of a node from its operands' types and its
/// attributes; throws TypeError naming the op, the operand and the shapes.
/// For multi-result ops, fills Results and returns the first.
TensorType inferType(OpCode Op, std::span<const TensorType> Operands,
                     const Attrs &A, const Graph *Body,
                     const std::optional<TensorType> &Declared,
                     std::vector<TensorType> *Results);

/// Whether two graphs have the same live nodes in the same order with the
/// same interface (whatever their dead nodes). Scan bodies are interned by it.
bool structurallyEqual(const Graph &A, const Graph &B);

/// The type of `result(Tuple) {index=I}`; throws TypeError when Tuple is not
/// a multi-result node or the index is out of range.
TensorType resultType(const Node *Tuple, size_t NumOperands, const Attrs &A,
                      const std::optional<TensorType> &Declared);

} // namespace netjit
