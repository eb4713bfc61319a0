import AmberIO
import Equivariant
import LearnedFF
import MDCore

/// One candidate structure ready for learning: its matched heavy atoms (elements, candidate and
/// solution positions) and their Algorithm 1 vectors. Small (no edges), so a whole dataset fits in
/// memory; `example` builds the network's view on demand.
public struct RefinementSample: Sendable {
    public var target: String
    public var candidate: String
    public var elements: [Element]
    public var candidatePositions: [SIMD3<Double>]
    public var solutionPositions: [SIMD3<Double>]
    public var vectors: [SIMD3<Double>]
    /// The matched atoms' chains and residue numbers (insertion codes not told apart), for models
    /// whose radial functions see sequence separation.
    public var sequence: SequencePositions

    /// Every matched atom must have a known element (from the PDB's element columns or its name).
    public init(target: String, match: StructureMatch, neighbors: Int = RefinementVectors.defaultNeighbors, threads: Int = 2) throws {
        guard match.atoms.count >= 3 else {
            throw FileFormatError(file: match.statistics.candidate.file, "has \(match.atoms.count) atoms in common with \(match.statistics.solution.file) (at least 3 needed)")
        }
        elements = try match.atoms.map { a in
            guard let e = a.element else {
                throw FileFormatError(file: match.statistics.candidate.file, location: "atom \(a.key) (serial \(a.candidateSerial))",
                                      "has no element (columns 77-78 blank and none can be read from the name)")
            }
            return e
        }
        self.target = target
        candidate = match.statistics.candidate.file
        sequence = SequencePositions(chainLabels: match.atoms.map(\.key.chain), residueNumbers: match.atoms.map(\.key.residueNumber))
        candidatePositions = match.candidatePositions
        solutionPositions = match.solutionPositions
        vectors = RefinementVectors.compute(candidate: match.candidatePositions, solution: match.solutionPositions,
                                            neighbors: neighbors, threads: threads).vectors
    }

    public var atomCount: Int { elements.count }

    /// The network's view: every matched atom is input and loss atom, the vectors are the targets.
    public func example(model: LearnedModel) throws -> TrainingExample {
        example(network: model.network, channels: try model.channels(for: elements, source: candidate))
    }

    /// `channels`: each atom's one-hot channel of `network` (`LearnedModel.channels`).
    public func example(network: TensorFieldNetwork, channels: [Int]) -> TrainingExample {
        TrainingExample(source: candidate, system: target, kind: "candidate", positions: candidatePositions.flatMap { [$0.x, $0.y, $0.z] },
                        box: nil, channels: channels, sequence: network.configuration.sequenceSeparation ? sequence : nil, lossAtoms: Array(0..<atomCount),
                        targets: vectors.flatMap { [$0.x, $0.y, $0.z] }, network: network)
    }
}
