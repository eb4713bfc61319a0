import AmberIO
import MDCore

/// The closest approach of two solute atoms that share no bond, angle or torsion (pairs outside the
/// prmtop's exclusion lists). Classical MD keeps such atoms at least ~1.5 Å apart (a polar H···O
/// hydrogen bond); a learned force field without short-range repulsion can let them meet while every
/// bond keeps its length, a failure the bond-based collapse test does not see.
public struct NonbondedContacts: Sendable {
    /// Each solute position's excluded partners at higher positions (indices into the solute list).
    private let excludedAbove: [[Int32]]

    public init(prmtop: Prmtop, solute: [Int]) {
        var local = [Int: Int32]()
        for (k, atom) in solute.enumerated() { local[atom] = Int32(k) }
        var excluded = [[Int32]](repeating: [], count: solute.count)
        for (k, atom) in solute.enumerated() {
            for partner in prmtop.exclusions[atom] {
                guard let other = local[partner] else { continue }
                let (low, high) = k < Int(other) ? (k, other) : (Int(other), Int32(k))
                excluded[low].append(high)
            }
        }
        excludedAbove = excluded.map { Array(Set($0)).sorted() }
    }

    /// The closest non-excluded pair of `solute` (whole-molecule positions, indexed like the solute
    /// list) under the minimum image: local indices and distance, nil with no such pair.
    public func closest(_ solute: UnsafeBufferPointer<SIMD3<Double>>, image: MinimumImage) -> (i: Int, j: Int, distance: Double)? {
        var best: (i: Int, j: Int, squared: Double)?
        for i in 0..<solute.count {
            let excluded = excludedAbove[i]
            var next = 0
            for j in (i + 1)..<solute.count {
                while next < excluded.count && Int(excluded[next]) < j { next += 1 }
                if next < excluded.count && Int(excluded[next]) == j { continue }
                let d = image.reduce(solute[j] - solute[i])
                let r2 = (d * d).sum()
                if best == nil || r2 < best!.squared { best = (i, j, r2) }
            }
        }
        return best.map { ($0.i, $0.j, $0.squared.squareRoot()) }
    }
}
