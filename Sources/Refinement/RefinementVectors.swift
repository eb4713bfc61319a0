import Analysis
import Equivariant
import MDCore

/// The structure-refinement vector field of Townshend et al. (2020), Algorithm 1:
///
///     for a ∈ A:
///         P^c_a ← {p^c_i : i ∈ N(a, P^c)}        nearest atoms in the candidate structure
///         P^t_a ← {p^t_i : i ∈ N(a, P^c)}        the same atoms in the native (solution) structure
///         T_a   ← L(P^t_a, P^c_a)                align the native atoms onto the candidate atoms
///         v_a   ← p^c_a − T_a(p^t_a)
///
/// **Neighbourhood.** N(a, P^c) is atom a itself and its k − 1 nearest other atoms in the candidate
/// (k = 50 atoms in all by default, the paper's neighbourhood size), ties broken by atom index; with
/// n ≤ k atoms it is all of them. Algorithm 1 does not say whether a belongs to N(a, P); we include it,
/// as a k-nearest-neighbour query over the atoms themselves returns the query atom first, so the
/// atom being scored is part of its own local frame. (Excluding it would change v_a by O(|v_a|/k); see
/// the tests for the exact consequence with one displaced atom.) Only matched atoms take part: an
/// atom without a partner in the solution cannot be aligned.
///
/// **Alignment.** L is the optimal rigid superposition (Kabsch's problem, solved as a proper rotation
/// by `Analysis.Superposition`, unweighted) of the solution's neighbourhood onto the candidate's.
///
/// **Sign.** v_a = p^c_a − T_a(p^t_a) points from the locally aligned solution position to the
/// candidate position, exactly as Algorithm 1 writes it, and v_a is the network's prediction target
/// (Figure 4: "this yields a refinement vector ..., which is our prediction target"). The paper's
/// prose calls it the direction to move a candidate atom to reduce its deviation; by the formula that
/// direction is −v_a: the candidate atom moves onto the aligned solution position by p^c_a − v_a.
/// md keeps the formula: targets are v_a, and refinement with a model subtracts the prediction.
/// Units are those of the coordinates (Å).
public enum RefinementVectors {
    /// The paper's neighbourhood size (Section 4.1: "each atom's 50 nearest neighbors").
    public static let defaultNeighbors = 50

    public struct Result: Sendable {
        /// v_a per atom, in the order of the input positions.
        public var vectors: [SIMD3<Double>]
        /// RMSD of atom a's local superposition over its neighbourhood (how well the neighbourhood fits).
        public var localRMSD: [Double]
        /// Atoms in each neighbourhood, a included: min(k, n).
        public var neighborhoodSize: Int
    }

    /// `candidate[i]` and `solution[i]` are the same atom (a `StructureMatch`'s positions).
    /// `neighbors` is k, the neighbourhood size with the atom itself counted (at least 3, so that the
    /// superposition is a rotation determined by more than a line).
    public static func compute(candidate: [SIMD3<Double>], solution: [SIMD3<Double>], neighbors k: Int = defaultNeighbors,
                               threads: Int = 2) -> Result {
        precondition(candidate.count == solution.count, "RefinementVectors: candidate and solution have different atom counts")
        precondition(k >= 3, "RefinementVectors: a neighbourhood needs at least 3 atoms")
        let n = candidate.count
        guard n > 0 else { return Result(vectors: [], localRMSD: [], neighborhoodSize: 0) }
        var flat = [Double](repeating: 0, count: 3 * n)
        for i in 0..<n {
            flat[3 * i] = candidate[i].x; flat[3 * i + 1] = candidate[i].y; flat[3 * i + 2] = candidate[i].z
        }
        // The graph lists the k − 1 nearest *other* atoms (nearest first, ties by index); no box, so no images.
        let graph = NeighborGraphBuilder(neighborsPerAtom: k - 1, switchWidth: 0, threads: threads).build(positions: flat, box: nil)
        var vectors = [SIMD3<Double>](repeating: .zero, count: n)
        var localRMSD = [Double](repeating: 0, count: n)
        var members = [Int](repeating: 0, count: k)
        var size = 0
        solution.withUnsafeBufferPointer { mobile in
            candidate.withUnsafeBufferPointer { reference in
                members.withUnsafeMutableBufferPointer { m in
                    for a in 0..<n {
                        let start = Int(graph.starts[a]), end = Int(graph.starts[a + 1])
                        m[0] = a
                        for e in start..<end { m[1 + e - start] = Int(graph.neighbors[e]) }
                        size = 1 + end - start
                        let fit = Superposition(fitting: mobile, onto: reference, atoms: UnsafeBufferPointer(rebasing: m[0..<size]))
                        vectors[a] = reference[a] - fit.apply(mobile[a])
                        localRMSD[a] = fit.rmsd
                    }
                }
            }
        }
        return Result(vectors: vectors, localRMSD: localRMSD, neighborhoodSize: size)
    }
}
