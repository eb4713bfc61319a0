import Equivariant
import MDCore
import TensorCore

/// One reference frame made ready for the network: the receptive field of its loss atoms (those
/// atoms first, then everything within three hops), edge features and inputs in Float, and the
/// targets. Built once and reused every epoch.
public struct TrainingExample {
    public let source: String
    public let system: String
    public let kind: String
    public let edges: EdgeFeatures<Float>
    public let input: Tensor<Float>
    /// [loss atoms, 3] forces, or [loss atoms] magnitudes for an order-0 model.
    public let target: Tensor<Float>
    /// The loss atoms' reference forces (kcal/mol/Å), flat, for the metrics.
    public let targetForces: [Double]
    /// Loss atoms as indices into the system.
    public let lossAtoms: [Int]

    /// Atoms whose features the network computes (the whole receptive field).
    public var fieldAtoms: Int { edges.field.rows[0] }

    public init(frame: ForceFrame, network: TensorFieldNetwork, channels: [Int], lossAtoms selection: LearnedAtoms) {
        source = frame.source; system = frame.system; kind = frame.kind
        let atoms = selection.atoms(in: frame.topology)
        lossAtoms = atoms
        let graph = network.graphBuilder.build(positions: frame.frame.positions, box: frame.frame.box)
        edges = network.edges(graph: graph, targets: atoms, channels: channels)
        input = network.inputFeatures(channels: channels, field: edges.field)
        let f = frame.frame.forces!
        var flat: [Double] = []
        flat.reserveCapacity(3 * atoms.count)
        for i in atoms { flat += [f[3 * i], f[3 * i + 1], f[3 * i + 2]] }
        targetForces = flat
        if network.configuration.predictsVectors {
            target = Tensor(shape: Shape(atoms.count, 3), scalars: flat.map(Float.init))
        } else {
            let magnitudes = (0..<atoms.count).map { i -> Float in
                let v = SIMD3(flat[3 * i], flat[3 * i + 1], flat[3 * i + 2])
                return Float((v * v).sum().squareRoot())
            }
            target = Tensor(shape: Shape(atoms.count), scalars: magnitudes)
        }
    }
}

extension LearnedModel {
    /// The paper's loss on a prediction: the mean over atoms of the Huber function of the error
    /// vector's norm (of the magnitude error for an order-0 model).
    public func loss(prediction: Variable<Float>, target: Variable<Float>) -> Variable<Float> {
        let error = prediction - target
        let size = configuration.predictsVectors ? error.norm(epsilon: 1e-12) : error.squared().apply(.sqrt)
        return size.huber(delta: Float(huberDelta)).mean()
    }

    /// The prediction for an example's loss atoms on `graph` (recording or not).
    public func predict(_ example: TrainingExample, on graph: Graph<Float>, parameters: [String: Variable<Float>], threads: Int = 2) -> Variable<Float> {
        network(graph.constant(example.input), edges: example.edges, parameters: parameters, threads: threads)
    }

    /// Predicted forces (kcal/mol/Å, flat) for an example's loss atoms; for an order-0 model the
    /// predicted magnitude along the reference direction (so only magnitude metrics mean anything).
    public func predictedForces(_ example: TrainingExample, threads: Int = 2) -> [Double] {
        let graph = Graph<Float>(recording: false)
        return forces(example, output: predict(example, on: graph, parameters: parameters.variables(in: graph), threads: threads).value)
    }

    /// `predictedForces` from the network's output for the example.
    public func forces(_ example: TrainingExample, output: Tensor<Float>) -> [Double] {
        let out = output.scalars
        if configuration.predictsVectors { return out.map(Double.init) }
        var flat = [Double](repeating: 0, count: 3 * out.count)
        for i in 0..<out.count {
            let t = SIMD3(example.targetForces[3 * i], example.targetForces[3 * i + 1], example.targetForces[3 * i + 2])
            let n = (t * t).sum().squareRoot()
            let u = n > 0 ? t / n : SIMD3(1, 0, 0)
            for a in 0..<3 { flat[3 * i + a] = Double(out[i]) * u[a] }
        }
        return flat
    }
}
