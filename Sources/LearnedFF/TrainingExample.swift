import Equivariant
import MDCore
import TensorCore

/// One reference structure made ready for the network: the receptive field of its loss atoms
/// (those atoms first, then everything within three hops), edge features and inputs in Float, and
/// the targets (forces, or refinement vectors). Cheap to keep (`ExampleSet` can also build them on
/// demand when a dataset's edges would not fit in memory).
public struct TrainingExample {
    public let source: String
    public let system: String
    public let kind: String
    public let edges: EdgeFeatures<Float>
    public let input: Tensor<Float>
    /// [loss atoms, 3] vectors, or [loss atoms] magnitudes for an order-0 model.
    public let target: Tensor<Float>
    /// The loss atoms' reference vectors (forces in kcal/mol/Å, refinement vectors in Å), flat, for the metrics.
    public let targetVectors: [Double]
    /// Loss atoms as indices into the system.
    public let lossAtoms: [Int]

    /// Atoms whose features the network computes (the whole receptive field).
    public var fieldAtoms: Int { edges.field.rows[0] }

    /// `positions` of every atom (flat, Å), `targets` the loss atoms' reference vectors (flat, in
    /// `lossAtoms` order), `sequence` every atom's place along its chain when the network sees it.
    public init(source: String, system: String, kind: String, positions: [Double], box: Box?, channels: [Int],
                sequence: SequencePositions? = nil, lossAtoms: [Int], targets: [Double], network: TensorFieldNetwork) {
        precondition(targets.count == 3 * lossAtoms.count, "TrainingExample: \(targets.count / 3) targets for \(lossAtoms.count) loss atoms")
        self.source = source; self.system = system; self.kind = kind
        self.lossAtoms = lossAtoms
        let graph = network.graphBuilder.build(positions: positions, box: box)
        edges = network.edges(graph: graph, targets: lossAtoms, channels: channels, sequence: sequence)
        input = network.inputFeatures(channels: channels, field: edges.field)
        targetVectors = targets
        if network.configuration.predictsVectors {
            target = Tensor(shape: Shape(lossAtoms.count, 3), scalars: targets.map(Float.init))
        } else {
            let magnitudes = (0..<lossAtoms.count).map { i -> Float in
                let v = SIMD3(targets[3 * i], targets[3 * i + 1], targets[3 * i + 2])
                return Float((v * v).sum().squareRoot())
            }
            target = Tensor(shape: Shape(lossAtoms.count), scalars: magnitudes)
        }
    }

    /// A force frame: its forces on `selection`'s atoms are the targets.
    public init(frame: ForceFrame, network: TensorFieldNetwork, channels: [Int], lossAtoms selection: LearnedAtoms) {
        let atoms = selection.atoms(in: frame.topology)
        let f = frame.frame.forces!
        var flat: [Double] = []
        flat.reserveCapacity(3 * atoms.count)
        for i in atoms { flat += [f[3 * i], f[3 * i + 1], f[3 * i + 2]] }
        self.init(source: frame.source, system: frame.system, kind: frame.kind, positions: frame.frame.positions, box: frame.frame.box,
                  channels: channels, lossAtoms: atoms, targets: flat, network: network)
    }
}

/// Training or validation examples, held or built on demand: `count` examples, the i-th from
/// `make(i)` (deterministic, so order and results do not depend on which).
public struct ExampleSet {
    public let count: Int
    private let make: (Int) -> TrainingExample

    public init(_ examples: [TrainingExample]) {
        count = examples.count
        make = { examples[$0] }
    }

    public init(count: Int, make: @escaping (Int) -> TrainingExample) {
        self.count = count
        self.make = make
    }

    public var isEmpty: Bool { count == 0 }
    public subscript(i: Int) -> TrainingExample { make(i) }
}

extension LearnedModel {
    /// The paper's loss on a prediction: the mean over atoms of the Huber function of the error
    /// vector's norm (of the magnitude error for an order-0 model), plus, for a vector model with a
    /// `magnitudeLossWeight`, that weight times the same Huber mean of the magnitude error: the vector
    /// loss alone is least when magnitudes shrink where the direction is uncertain.
    public func loss(prediction: Variable<Float>, target: Variable<Float>) -> Variable<Float> {
        let delta = Float(huberDelta)
        // Huber is even, so this is the Huber of |p − t| without the square root, whose infinite
        // slope at an exact hit (p == t in Float, about once in 10⁷ atoms) made the gradient NaN.
        guard configuration.predictsVectors else { return (prediction - target).huber(delta: delta).mean() }
        let vectorLoss = (prediction - target).norm(epsilon: 1e-12).huber(delta: delta).mean()
        guard magnitudeLossWeight > 0 else { return vectorLoss }
        let magnitudeError = prediction.norm(epsilon: 1e-12) - target.norm()
        return vectorLoss + magnitudeError.huber(delta: delta).mean() * Float(magnitudeLossWeight)
    }

    /// The prediction for an example's loss atoms on `graph` (recording or not).
    public func predict(_ example: TrainingExample, on graph: Graph<Float>, parameters: [String: Variable<Float>], threads: Int = 2) -> Variable<Float> {
        network(graph.constant(example.input), edges: example.edges, parameters: parameters, threads: threads)
    }

    /// Predicted vectors (flat, in the target's unit) for an example's loss atoms; for an order-0 model
    /// the predicted magnitude along the reference direction (so only magnitude metrics mean anything).
    public func predictedForces(_ example: TrainingExample, threads: Int = 2) -> [Double] {
        let graph = Graph<Float>(recording: false)
        return forces(example, output: predict(example, on: graph, parameters: parameters.variables(in: graph), threads: threads).value)
    }

    /// The network's output for `atoms` on a neighbour graph of the whole structure (computed over
    /// their receptive field), and the receptive field's size: one learned MD step's network, in a
    /// workspace of its own (MD keeps one, `InferenceWorkspace`).
    public func run(graph: NeighborGraph, atoms: [Int], channels: [Int], sequence: SequencePositions? = nil,
                    threads: Int = 2) -> (output: Tensor<Float>, fieldAtoms: Int) {
        let workspace = InferenceWorkspace(model: self)
        return (workspace.run(graph: graph, atoms: atoms, channels: channels, sequence: sequence, threads: threads), workspace.fieldAtoms)
    }

    /// The network's vectors (flat, in the target's unit) for `atoms` of a structure, all of it as input.
    public func predict(positions: [Double], box: Box?, channels: [Int], sequence: SequencePositions? = nil, atoms: [Int],
                        threads: Int = 2) -> [Double] {
        run(graph: network.graphBuilder.build(positions: positions, box: box), atoms: atoms, channels: channels, sequence: sequence,
            threads: threads).output.scalars.map(Double.init)
    }

    /// `predictedForces` from the network's output for the example.
    public func forces(_ example: TrainingExample, output: Tensor<Float>) -> [Double] {
        let out = output.scalars
        if configuration.predictsVectors { return out.map(Double.init) }
        var flat = [Double](repeating: 0, count: 3 * out.count)
        for i in 0..<out.count {
            let t = SIMD3(example.targetVectors[3 * i], example.targetVectors[3 * i + 1], example.targetVectors[3 * i + 2])
            let n = (t * t).sum().squareRoot()
            let u = n > 0 ? t / n : SIMD3(1, 0, 0)
            for a in 0..<3 { flat[3 * i + a] = Double(out[i]) * u[a] }
        }
        return flat
    }
}
