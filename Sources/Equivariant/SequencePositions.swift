/// Where each atom sits along its chain, for radial functions that also see how far apart in
/// sequence an edge's two atoms are (hyper-parameter `sequence_separation`; md's option, the
/// paper's TFN sees distances only). Refinement needs it: a local deviation from the solution is
/// largest where an atom's neighbourhood is a tertiary contact of sequence-distant residues, which
/// geometry and elements alone do not tell apart from a stretch of one strand.
public struct SequencePositions: Equatable, Sendable {
    /// Per atom: its chain (any label, compared for equality) and residue number.
    public let chains: [Int32]
    public let residues: [Int32]

    /// The one-hot bins of an edge's separation: same residue, adjacent residues, 2–4 apart, and
    /// farther apart or in different chains.
    public static let binCount = 4

    public init(chains: [Int32], residues: [Int32]) {
        precondition(chains.count == residues.count, "SequencePositions: \(chains.count) chains for \(residues.count) residues")
        self.chains = chains; self.residues = residues
    }

    /// From chain labels (such as PDB chain identifiers) and residue numbers.
    public init(chainLabels: [String], residueNumbers: [Int]) {
        var index: [String: Int32] = [:]
        self.init(chains: chainLabels.map { label in
                      if let i = index[label] { return i }
                      index[label] = Int32(index.count)
                      return Int32(index.count - 1)
                  },
                  residues: residueNumbers.map { Int32(clamping: $0) })
    }

    public var count: Int { chains.count }

    /// The separation bin of atoms i and j.
    @inline(__always) public func bin(_ i: Int, _ j: Int) -> Int {
        guard chains[i] == chains[j] else { return 3 }
        let d = abs(Int(residues[i]) - Int(residues[j]))
        return d == 0 ? 0 : d == 1 ? 1 : d <= 4 ? 2 : 3
    }
}
