import Analysis
import Equivariant
import LearnedFF
import MDCore

/// Refinement with a trained network (§4.4): the model predicts each atom's Algorithm 1 vector v,
/// which points from the locally aligned solution to the candidate atom, so the atom moves by
/// −step·v; repeated for a few small iterations, the network seeing the moved structure each time.
public struct StructureRefiner {
    public let model: LearnedModel
    /// The fraction of each predicted vector moved per iteration (1: straight to the predicted position).
    public var step: Double
    public var iterations: Int
    public var threads: Int

    public init(model: LearnedModel, step: Double = 1, iterations: Int = 1, threads: Int = 2) {
        precondition(model.target == .refinement && model.configuration.predictsVectors, "StructureRefiner: needs a refinement model of order 1 or 2")
        self.model = model; self.step = step; self.iterations = iterations; self.threads = threads
    }

    /// Positions after each iteration (the input first), and the predicted vectors (flat, Å) each
    /// iteration moved by, for atoms of the given elements and places along their chains.
    public func refine(_ positions: [SIMD3<Double>], elements: [Element], sequence: SequencePositions, source: String) throws
        -> (path: [[SIMD3<Double>]], predictions: [[Double]]) {
        let channels = try model.channels(for: elements, source: source)
        let sequence = model.configuration.sequenceSeparation ? sequence : nil
        let atoms = Array(positions.indices)
        var path = [positions], predictions: [[Double]] = []
        var x = positions
        for _ in 0..<iterations {
            let v = model.predict(positions: x.flatMap { [$0.x, $0.y, $0.z] }, box: nil, channels: channels, sequence: sequence, atoms: atoms,
                                  threads: threads)
            for i in atoms { x[i] -= step * SIMD3(v[3 * i], v[3 * i + 1], v[3 * i + 2]) }
            path.append(x)
            predictions.append(v)
        }
        return (path, predictions)
    }

    /// How close a structure is to its solution: all-atom RMSD after one optimal superposition
    /// (global), and the mean |v| of Algorithm 1 (local).
    public struct Deviation: Codable, Equatable, Sendable {
        public var globalRMSD: Double
        public var meanLocalVector: Double
    }

    public static func deviation(_ positions: [SIMD3<Double>], solution: [SIMD3<Double>], neighbors: Int = RefinementVectors.defaultNeighbors,
                                 threads: Int = 2) -> Deviation {
        let v = RefinementVectors.compute(candidate: positions, solution: solution, neighbors: neighbors, threads: threads).vectors
        return Deviation(globalRMSD: Superposition(fitting: solution, onto: positions).rmsd,
                         meanLocalVector: v.reduce(0) { $0 + ($1 * $1).sum().squareRoot() } / Double(max(v.count, 1)))
    }
}
