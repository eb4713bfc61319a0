import Equivariant
import TensorCore

/// The network of a learned MD step with everything it fills kept from step to step, so that after
/// the first step a step allocates nothing that grows with the system unless its receptive field
/// outgrows every earlier one: the field and its edge features (rebuilt in place), the input
/// features, and a non-recording tape whose arena holds the activations and the convolutions'
/// scratch, with the parameters bound once as its first leaves. `LearnedForceField` keeps one;
/// md-bench times its two halves.
public final class InferenceWorkspace {
    public let model: LearnedModel
    public let edges: EdgeFeatures<Float>
    public private(set) var input = Tensor<Float>(zeros: Shape(0))
    let tape = Graph<Float>(recording: false)
    private let parameters: [String: Variable<Float>]
    /// The tape's leading values, the parameters, which every reset keeps.
    private let parameterCount: Int

    public init(model: LearnedModel) {
        self.model = model
        edges = EdgeFeatures(maxDegree: model.configuration.maxDegree)
        parameters = model.parameters.variables(in: tape)
        parameterCount = tape.count
    }

    /// Atoms in the receptive field of the last `prepare`.
    public var fieldAtoms: Int { edges.field.rows[0] }

    /// The first half, geometry only: the receptive field of `atoms` on `graph`, its edge features
    /// and its input features (`channels`: every atom's element channel; `sequence`: every atom's
    /// place along its chain, for a model whose radial functions see it).
    public func prepare(graph: NeighborGraph, atoms: [Int], channels: [Int], sequence: SequencePositions? = nil, threads: Int = 2) {
        // The last pass's tape still holds the input and the basis: forgetting it first lets them be
        // rewritten in place rather than copied.
        tape.reset(keepingFirst: parameterCount)
        model.network.update(edges, graph: graph, targets: atoms, channels: channels, sequence: sequence, threads: threads)
        model.network.inputFeatures(channels: channels, field: edges.field, into: &input)
    }

    /// The second half: the network's output for the prepared atoms, [atoms, 3] vectors or [atoms]
    /// magnitudes, in the tape's arena (a caller keeping it past the next step makes that step
    /// allocate another).
    public func forward(threads: Int = 2) -> Tensor<Float> {
        model.network(tape.constant(input), edges: edges, parameters: parameters, threads: threads).value
    }

    /// Both halves.
    public func run(graph: NeighborGraph, atoms: [Int], channels: [Int], sequence: SequencePositions? = nil, threads: Int = 2) -> Tensor<Float> {
        prepare(graph: graph, atoms: atoms, channels: channels, sequence: sequence, threads: threads)
        return forward(threads: threads)
    }
}
