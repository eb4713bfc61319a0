import Equivariant
import MDCore
import TensorCore

/// The trained network as a `ForceProvider`. The network drives the model's learned atoms (protein
/// atoms for a model trained, as in the paper, on protein forces; every atom for a model trained on
/// all atoms); every other atom (water, ions) takes its force from `classical`, evaluated on the
/// whole system. The network is computed only over the learned atoms' receptive field.
///
/// A direct-force network is not conservative and its forces need not sum to zero; the net learned
/// force is removed (spread evenly over the learned atoms) and kept in `lastNetForce` for the log.
/// There is no energy: `compute` returns nil.
public final class LearnedForceField: ForceProvider {
    public let atomCount: Int
    public let model: LearnedModel
    /// Atoms the network drives, and the others.
    public let learnedAtoms: [Int]
    public var classicalAtomCount: Int { atomCount - learnedAtoms.count }
    public let classical: ForceProvider?
    /// The model's prior (its `prior` other than none): forces on the learned atoms added to the network's.
    public let prior: ForceProvider?
    public var threads = 2
    /// Σ of the raw learned forces before removal (kcal/mol/Å), from the last call.
    public private(set) var lastNetForce = SIMD3<Double>.zero
    /// Mean |Σ raw learned forces| over all calls so far.
    public var meanNetForce: Double { calls > 0 ? netForceSum / Double(calls) : 0 }
    private var netForceSum = 0.0, calls = 0
    /// Receptive-field size of the last call.
    public private(set) var lastFieldAtoms = 0

    private let channels: [Int]
    /// The network's buffers, kept so that a step allocates none that grow with the system.
    let workspace: InferenceWorkspace
    /// The prior's forces of the current step (empty without a prior).
    private var priorForces: [Double]
    /// The k-nearest graph, kept across steps (rebuilding candidates only after half the skin).
    let neighbours: NeighborCandidateList

    /// `classical` must cover the same atoms; it may be nil only when the model drives every atom.
    /// `prior` is required exactly when the model has one.
    public init(model: LearnedModel, topology: Topology, elements: [Element], classical: ForceProvider?, prior: ForceProvider? = nil,
                source: String) throws {
        precondition(model.target == .force, "LearnedForceField: a \(model.target.noun) model")
        precondition((prior != nil) == (model.prior != .none), "LearnedForceField: the model's prior is \(model.prior.rawValue)")
        precondition(prior == nil || prior!.atomCount == topology.atomCount, "LearnedForceField: prior of another system")
        self.prior = prior
        priorForces = prior == nil ? [] : [Double](repeating: 0, count: 3 * topology.atomCount)
        atomCount = topology.atomCount
        self.model = model
        workspace = InferenceWorkspace(model: model)
        learnedAtoms = model.learnedAtoms.atoms(in: topology)
        channels = try model.channels(for: elements, source: source)
        self.classical = classical
        neighbours = NeighborCandidateList(builder: model.network.graphBuilder)
        precondition(classical != nil || learnedAtoms.count == atomCount, "LearnedForceField: atoms outside the model need a classical provider")
        precondition(classical == nil || classical!.atomCount == atomCount, "LearnedForceField: classical provider of another system")
    }

    public func compute(positions: UnsafeBufferPointer<Double>, box: Box?, forces: UnsafeMutableBufferPointer<Double>) throws -> Double? {
        if let classical {
            _ = try classical.compute(positions: positions, box: box, forces: forces)
        } else {
            forces.update(repeating: 0)
        }
        guard !learnedAtoms.isEmpty else { return nil }
        if let prior {
            _ = try priorForces.withUnsafeMutableBufferPointer { try prior.compute(positions: positions, box: box, forces: $0) }
        }
        let out = workspace.run(graph: neighbours.graph(positions: positions, box: box), atoms: learnedAtoms, channels: channels,
                                threads: threads)
        lastFieldAtoms = workspace.fieldAtoms
        let p = out.unsafeData
        var net = SIMD3<Double>.zero
        for r in 0..<learnedAtoms.count { net += SIMD3(Double(p[3 * r]), Double(p[3 * r + 1]), Double(p[3 * r + 2])) }
        lastNetForce = net
        netForceSum += (net * net).sum().squareRoot(); calls += 1
        let shift = net / Double(learnedAtoms.count)
        for (r, atom) in learnedAtoms.enumerated() {
            for a in 0..<3 { forces[3 * atom + a] = Double(p[3 * r + a]) - shift[a] }
        }
        if prior != nil {
            for atom in learnedAtoms { for a in 0..<3 { forces[3 * atom + a] += priorForces[3 * atom + a] } }
        }
        return nil
    }

    /// The graph is the same whenever the candidates were built; forgetting them only costs a rebuild.
    public func resetCaches() {
        classical?.resetCaches()
        neighbours.invalidate()
    }
}

