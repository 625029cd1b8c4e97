//===- dot.cpp - Graphviz export
//-------------------------------------------===//
//
// Builds a Boost adjacency_list view of the live nodes (Boost.Graph is only an
// adaptor: the netjit Graph still owns the nodes) and writes it with
// boost::write_graphviz. Arguments are ellipses, nodes are boxes labelled
// with their %N, op, short attributes and type, outputs are extra "house"
// vertices and updates dashed edges back into their param. Scan bodies are
// written as cluster subgraphs (nested for nested scans) whose outputs point
// at their scan node with dotted edges.
//
//===----------------------------------------------------------------------===//
#include "ir/dot.h"

#include "ir/format.h"

// GCC 12 at -O2 reports a false "may be used uninitialized" inside Boost's
// edge iterator (an empty boost::optional); it is not ours to fix.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>

#include <functional>
#include <sstream>

namespace netjit {
namespace {

/// A label-safe string: quotes and backslashes escaped, newlines as \n.
std::string escapeLabel(std::string_view S) {
  std::string Out;
  for (char C : S) {
    if (C == '"' || C == '\\')
      Out += '\\';
    if (C == '\n') {
      Out += "\\n";
      continue;
    }
    Out += C;
  }
  return Out;
}

/// At most 40 characters of a value, so a big constant stays readable.
std::string shorten(std::string S) {
  constexpr size_t Max = 40;
  if (S.size() > Max)
    S = S.substr(0, Max - 3) + "...";
  return S;
}

std::string shortAttrs(const Node &N) {
  std::string Out;
  for (const auto &[Key, Value] : N.Attributes.entries()) {
    if (N.Op == OpCode::Input || N.Op == OpCode::Param)
      continue; // the name is in the label already
    Out += (Out.empty() ? "" : ", ") + formatName(Key) + "=" +
           shorten(formatAttrValue(Value, N.Type));
  }
  return Out.empty() ? "" : "{" + Out + "}";
}

std::string typeLabel(const Node &N) {
  if (!N.isMultiResult())
    return N.Type.str();
  std::string Out = "(";
  for (size_t I = 0; I < N.Results.size(); ++I)
    Out += (I ? ", " : "") + N.Results[I].str();
  return Out + ")";
}

/// Label and look of every node of one graph, keyed by arena index, with the
/// same %N numbering as the printer.
struct NodeLook {
  std::string Label;
  std::string Attrs; ///< shape and style, without the label
};

std::vector<NodeLook> lookOfNodes(const Graph &G,
                                  const std::vector<NodeId> &Live) {
  std::vector<NodeLook> Out(G.size());
  unsigned Next = 0;
  for (NodeId Id : Live) {
    const Node &N = G.node(Id);
    NodeLook &L = Out[Id.Index];
    if (N.Op == OpCode::Input || N.Op == OpCode::Param) {
      std::string Kind = N.Op == OpCode::Param ? "param " : "";
      L.Label = Kind + "%" + formatName(N.Attributes.getString("name")) + "\n" +
                N.Type.str();
      L.Attrs = N.Op == OpCode::Param
                    ? "shape=ellipse, style=filled, fillcolor=lightyellow"
                    : "shape=ellipse, style=filled, fillcolor=lightblue";
      continue;
    }
    std::string Attrs = shortAttrs(N);
    L.Label = "%" + std::to_string(Next++) + " = " + std::string(opName(N.Op)) +
              "\n" + (Attrs.empty() ? "" : Attrs + "\n") + typeLabel(N);
    L.Attrs = N.Body ? "shape=box3d" : "shape=box";
  }
  return Out;
}

/// Writes scan bodies as (nested) clusters; edges that leave a cluster go to
/// CrossEdges, written at the top level so no node lands in the wrong one.
class ClusterWriter {
public:
  using VertexNamer = std::function<std::string(NodeId)>;

  /// Writes the bodies of G's scans; VertexOf gives the id of G's nodes.
  void writeBodies(std::ostream &OS, const Graph &G,
                   const VertexNamer &VertexOf, const std::string &Indent) {
    std::vector<NodeId> Live = G.liveNodes();
    std::vector<NodeLook> Looks = lookOfNodes(G, Live);
    for (NodeId Id : Live) {
      const Graph *Body = G.node(Id).Body.get();
      if (!Body)
        continue;
      const std::string &Label = Looks[Id.Index].Label;
      writeCluster(OS, *Body, VertexOf(Id), Label.substr(0, Label.find(" =")),
                   Indent);
    }
  }
  std::string CrossEdges;

private:
  void writeCluster(std::ostream &OS, const Graph &Body,
                    const std::string &ScanVertex, const std::string &ScanName,
                    const std::string &Indent) {
    std::string P = "b" + std::to_string(NextCluster++);
    VertexNamer VertexOf = [&P](NodeId Id) {
      return P + "_" + std::to_string(Id.Index);
    };
    std::vector<NodeId> Live = Body.liveNodes();
    std::vector<NodeLook> Looks = lookOfNodes(Body, Live);
    OS << Indent << "subgraph cluster_" << P << " {\n"
       << Indent << "  label=\"body of " << escapeLabel(ScanName)
       << "\"; style=dashed;\n";
    for (NodeId Id : Live)
      OS << Indent << "  " << VertexOf(Id) << " [label=\""
         << escapeLabel(Looks[Id.Index].Label) << "\", "
         << Looks[Id.Index].Attrs << "];\n";
    for (NodeId Id : Live)
      for (NodeId In : Body.node(Id).Inputs)
        OS << Indent << "  " << VertexOf(In) << " -> " << VertexOf(Id) << ";\n";
    for (size_t I = 0; I < Body.outputs().size(); ++I) {
      std::string Out = P + "_out" + std::to_string(I);
      OS << Indent << "  " << Out << " [label=\"return #" << I
         << "\", shape=plaintext];\n"
         << Indent << "  " << VertexOf(Body.outputs()[I].Value) << " -> " << Out
         << ";\n";
      CrossEdges += "  " + Out + " -> " + ScanVertex +
                    " [style=dotted, arrowhead=empty];\n";
    }
    writeBodies(OS, Body, VertexOf, Indent + "  ");
    OS << Indent << "}\n";
  }
  unsigned NextCluster = 0;
};

struct VertexProps {
  std::string Label;
  std::string Attrs;
};
struct EdgeProps {
  std::string Attrs;
};
using DotGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS,
                          VertexProps, EdgeProps>;

} // namespace

std::string toDot(const Graph &G) {
  std::vector<NodeId> Live = G.liveNodes();
  std::vector<NodeLook> Looks = lookOfNodes(G, Live);
  // Vertex I is the I-th live node; outputs are extra vertices after them.
  std::vector<size_t> VertexOf(G.size());
  DotGraph D;
  for (NodeId Id : Live) {
    VertexOf[Id.Index] = boost::add_vertex(
        VertexProps{Looks[Id.Index].Label, Looks[Id.Index].Attrs}, D);
    for (NodeId In : G.node(Id).Inputs)
      boost::add_edge(VertexOf[In.Index], VertexOf[Id.Index], D);
  }
  for (const Output &O : G.outputs()) {
    auto V = boost::add_vertex(
        VertexProps{O.Name.empty() ? "output" : "output " + formatName(O.Name),
                    "shape=house, style=filled, fillcolor=palegreen"},
        D);
    boost::add_edge(VertexOf[O.Value.Index], V, D);
  }
  for (const Update &U : G.updates())
    boost::add_edge(
        VertexOf[U.Value.Index], VertexOf[U.Target.Index],
        EdgeProps{
            "style=dashed, color=blue, constraint=false, label=\"update\""},
        D);

  auto WriteVertex = [&D](std::ostream &OS, size_t V) {
    OS << " [label=\"" << escapeLabel(D[V].Label) << "\", " << D[V].Attrs
       << "]";
  };
  auto WriteEdge = [&D](std::ostream &OS, DotGraph::edge_descriptor E) {
    if (!D[E].Attrs.empty())
      OS << "[" << D[E].Attrs << "]";
  };
  auto WriteGraph = [&](std::ostream &OS) {
    OS << "  label=\"@" << escapeLabel(formatName(G.name())) << "\";\n"
       << "  node [fontname=\"monospace\"];\n";
    ClusterWriter Clusters;
    Clusters.writeBodies(
        OS, G, [&](NodeId Id) { return std::to_string(VertexOf[Id.Index]); },
        "  ");
    OS << Clusters.CrossEdges;
  };
  std::ostringstream OS;
  boost::write_graphviz(OS, D, WriteVertex, WriteEdge, WriteGraph);
  return OS.str();
}

} // namespace netjit
