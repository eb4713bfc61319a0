/// The atoms a stack of `depth` convolutions needs to compute its output on `targets`, in the
/// order the network works in: targets first, then atoms one hop out, two hops, … `depth` hops.
///
/// Layer k (1…depth) computes features for the first `rows[k]` atoms from the features of the first
/// `rows[k − 1]`: its centres' neighbours all lie within one more hop, hence among the earlier rows.
/// Training on a few loss atoms or running MD with learned forces on a solute in water thus costs
/// only the atoms within reach, not the box. With every atom a target the order is the identity.
///
/// MD rebuilds the field every step: `rebuild` refills the same storage, which keeps its capacity,
/// so a field no larger than one seen before allocates nothing.
public struct ReceptiveField: Sendable {
    public private(set) var depth = 0
    /// atoms[row] = the atom's index in the system.
    public private(set) var atoms: [Int32] = []
    /// rows[k] = how many leading rows layer k computes (rows[depth] = targets, rows[0] = all needed).
    public private(set) var rows: [Int] = [0]
    /// Edges of the centres 0..<rows[1], grouped by centre (starts has rows[1] + 1 entries), with
    /// neighbours as rows and `sourceEdges` the edge's index in the graph.
    public private(set) var starts: [Int32] = [0]
    public private(set) var neighbors: [Int32] = []
    public private(set) var sourceEdges: [Int32] = []
    /// Each system atom's row, −1 outside the field. All −1 between rebuilds (a rebuild clears the
    /// rows it set), so it is allocated only when the atom count changes.
    private var row: [Int32] = []

    /// An empty field, for `rebuild` to fill.
    public init() {}

    public init(graph: NeighborGraph, targets: [Int], depth: Int) {
        rebuild(graph: graph, targets: targets, depth: depth)
    }

    /// The field of `targets` on `graph`, in place of this one.
    public mutating func rebuild(graph: NeighborGraph, targets: [Int], depth: Int) {
        precondition(depth >= 1, "ReceptiveField: depth must be at least 1")
        let n = graph.atomCount
        if row.count != n { row = [Int32](repeating: -1, count: n) }
        atoms.removeAll(keepingCapacity: true)
        atoms.reserveCapacity(n)
        for t in targets {
            precondition(t >= 0 && t < n, "ReceptiveField: target \(t) outside 0..<\(n)")
            if row[t] < 0 { row[t] = Int32(atoms.count); atoms.append(Int32(t)) }
        }
        rows.removeAll(keepingCapacity: true)
        rows.append(atoms.count)
        var frontier = 0..<atoms.count
        for _ in 0..<depth {
            for r in frontier {
                let i = Int(atoms[r])
                for e in Int(graph.starts[i])..<Int(graph.starts[i + 1]) {
                    let j = Int(graph.neighbors[e])
                    if row[j] < 0 { row[j] = Int32(atoms.count); atoms.append(Int32(j)) }
                }
            }
            frontier = frontier.upperBound..<atoms.count
            rows.append(atoms.count)
        }
        self.depth = depth
        rows.reverse()

        starts.removeAll(keepingCapacity: true)
        neighbors.removeAll(keepingCapacity: true)
        sourceEdges.removeAll(keepingCapacity: true)
        starts.append(0)
        for r in 0..<rows[1] {
            let i = Int(atoms[r])
            for e in Int(graph.starts[i])..<Int(graph.starts[i + 1]) {
                neighbors.append(row[Int(graph.neighbors[e])]); sourceEdges.append(Int32(e))
            }
            starts.append(Int32(neighbors.count))
        }
        for a in atoms { row[Int(a)] = -1 }
    }

    /// Edges of layer k's centres (a prefix of the edge list).
    public func edgeCount(layer k: Int) -> Int { Int(starts[rows[k]]) }
}
