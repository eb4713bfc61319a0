/// The atoms a stack of `depth` convolutions needs to compute its output on `targets`, in the
/// order the network works in: targets first, then atoms one hop out, two hops, … `depth` hops.
///
/// Layer k (1…depth) computes features for the first `rows[k]` atoms from the features of the first
/// `rows[k − 1]`: its centres' neighbours all lie within one more hop, hence among the earlier rows.
/// Training on a few loss atoms or running MD with learned forces on a solute in water thus costs
/// only the atoms within reach, not the box. With every atom a target the order is the identity.
public struct ReceptiveField: Sendable {
    public let depth: Int
    /// atoms[row] = the atom's index in the system.
    public let atoms: [Int32]
    /// rows[k] = how many leading rows layer k computes (rows[depth] = targets, rows[0] = all needed).
    public let rows: [Int]
    /// Edges of the centres 0..<rows[1], grouped by centre (starts has rows[1] + 1 entries), with
    /// neighbours as rows and `sourceEdges` the edge's index in the graph.
    public let starts: [Int32]
    public let neighbors: [Int32]
    public let sourceEdges: [Int32]

    public init(graph: NeighborGraph, targets: [Int], depth: Int) {
        precondition(depth >= 1, "ReceptiveField: depth must be at least 1")
        let n = graph.atomCount
        var row = [Int32](repeating: -1, count: n)
        var atoms: [Int32] = []
        atoms.reserveCapacity(n)
        for t in targets where row[t] < 0 {
            precondition(t >= 0 && t < n, "ReceptiveField: target \(t) outside 0..<\(n)")
            row[t] = Int32(atoms.count); atoms.append(Int32(t))
        }
        var rows = [atoms.count]
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
        self.atoms = atoms
        self.rows = Array(rows.reversed())

        var starts: [Int32] = [0], neighbors: [Int32] = [], sources: [Int32] = []
        for r in 0..<self.rows[1] {
            let i = Int(atoms[r])
            for e in Int(graph.starts[i])..<Int(graph.starts[i + 1]) {
                neighbors.append(row[Int(graph.neighbors[e])]); sources.append(Int32(e))
            }
            starts.append(Int32(neighbors.count))
        }
        self.starts = starts
        self.neighbors = neighbors
        self.sourceEdges = sources
    }

    /// Edges of layer k's centres (a prefix of the edge list).
    public func edgeCount(layer k: Int) -> Int { Int(starts[rows[k]]) }
}
