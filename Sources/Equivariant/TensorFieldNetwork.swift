import Foundation
import MDCore
import TensorCore

/// The paper's network: element one-hot → three blocks of
///     self-interaction → TFN convolution → self-interaction (→ norm nonlinearity → normalisation)
/// with 24, 12 and 1 output filters (six self-interactions in all), the last block giving one
/// vector (order 1) per atom, or one scalar (the force magnitude) at maximum order 0.
///
/// Layer k works on the rows of a `ReceptiveField`: it reads the features of rows[k − 1] atoms and
/// produces them for rows[k], so only what the output atoms can see is computed.
public struct TensorFieldNetwork: Sendable {
    public let configuration: TensorFieldNetworkConfiguration
    public let blocks: [Block]

    public struct Block: Sendable {
        public let selfInteractionIn: SelfInteraction
        public let convolution: ConvolutionPlan
        public let selfInteractionOut: SelfInteraction
        /// Nonlinearity and normalisation (all blocks but the last).
        public let activation: NormActivation?
        public let normalization: EquivariantNormalization?
    }

    public init(_ configuration: TensorFieldNetworkConfiguration) {
        let c = configuration
        precondition(c.filters.count == c.convolutionChannels.count && c.depth >= 1, "TensorFieldNetwork: filters and channels per block")
        self.configuration = c
        let hidden = FeatureLayout(maxDegree: c.maxDegree, channels: 1)
        var input = FeatureLayout(degrees: [0], channels: c.elements.count)
        var blocks: [Block] = []
        for k in 0..<c.depth {
            let last = k == c.depth - 1
            let siIn = SelfInteraction(input: input, outputChannels: c.convolutionChannels[k])
            let outDegrees = last ? [c.predictsVectors ? 1 : 0] : hidden.degrees
            let conv = ConvolutionPlan(input: siIn.output, output: FeatureLayout(degrees: outDegrees, channels: c.convolutionChannels[k]),
                                       filterMax: c.maxDegree)
            let siOut = SelfInteraction(input: conv.output, outputChannels: c.filters[k])
            blocks.append(Block(selfInteractionIn: siIn, convolution: conv, selfInteractionOut: siOut,
                                activation: last ? nil : NormActivation(layout: siOut.output),
                                normalization: last ? nil : EquivariantNormalization(layout: siOut.output)))
            input = siOut.output
        }
        self.blocks = blocks
    }

    /// Every parameter's name and shape, in model-file order.
    public var parameterShapes: [(String, Shape)] {
        var out: [(String, Shape)] = []
        let c = configuration
        for (k, b) in blocks.enumerated() {
            let p = "block\(k + 1)."
            out.append((p + "si_in.weight", b.selfInteractionIn.weightShape))
            if b.selfInteractionIn.hasBias { out.append((p + "si_in.bias", Shape(b.selfInteractionIn.output.channels))) }
            out.append((p + "radial.w1", Shape(c.radialInputs, c.radialHidden)))
            out.append((p + "radial.b1", Shape(c.radialHidden)))
            out.append((p + "radial.w2", Shape(c.radialHidden, b.convolution.radialWidth)))
            out.append((p + "si_out.weight", b.selfInteractionOut.weightShape))
            if b.selfInteractionOut.hasBias { out.append((p + "si_out.bias", Shape(b.selfInteractionOut.output.channels))) }
            if let a = b.activation, !a.gatedDegrees.isEmpty { out.append((p + "gate.bias", a.biasShape)) }
        }
        return out
    }

    /// Fresh parameters: weights Normal(0, 1/fan-in) so that activations start of order one,
    /// biases zero, and the last self-interaction zero, so that training starts from the zero
    /// prediction (the zero-vector baseline) rather than from large random forces (unless
    /// `zeroOutput` is false: checks that need a non-zero network). Deterministic in `seed`.
    public func initialParameters<T: TensorScalar>(seed: UInt64, zeroOutput: Bool = true, as: T.Type = T.self) -> Parameters<T> {
        var rng = SplitMix64(seed: seed)
        var parameters = Parameters<T>()
        let output = zeroOutput ? "block\(blocks.count).si_out.weight" : ""
        for (name, shape) in parameterShapes {
            if name.hasSuffix("bias") || name.hasSuffix(".b1") || name == output {
                parameters[name] = Tensor(zeros: shape)
            } else {
                let fanIn = shape[shape.rank - 2]
                parameters[name] = Tensor.randomNormal(shape, standardDeviation: T((1 / Double(fanIn)).squareRoot()), using: &rng)
            }
        }
        return parameters
    }

    /// One-hot channel of each element, nil for an element the model does not know.
    public func channel(of element: Element) -> Int? { configuration.elements.firstIndex(of: element) }

    /// The input features of the receptive field's rows: [rows[0], 1, elements], from each atom's channel.
    public func inputFeatures<T: TensorScalar>(channels: [Int], field: ReceptiveField, as: T.Type = T.self) -> Tensor<T> {
        var x = Tensor<T>(zeros: Shape(0))
        inputFeatures(channels: channels, field: field, into: &x)
        return x
    }

    /// The input features written into `x`, resized in place (an MD step's, kept from step to step).
    public func inputFeatures<T: TensorScalar>(channels: [Int], field: ReceptiveField, into x: inout Tensor<T>) {
        let e = configuration.elements.count
        x.resize(to: Shape(field.rows[0], 1, e))
        x.withUnsafeMutableBufferPointer { p in
            memset(p.baseAddress!, 0, p.count * MemoryLayout<T>.stride)  // all-zero bits are 0 in Float and Double
            for (row, atom) in field.atoms.enumerated() { p[row * e + channels[Int(atom)]] = 1 }
        }
    }

    /// The prediction for the rows[depth] target atoms: [targets, 3] vectors in kcal/mol/Å (Cartesian
    /// x, y, z), or [targets] magnitudes at order 0.
    public func callAsFunction<T>(_ input: Variable<T>, edges: EdgeFeatures<T>, parameters p: [String: Variable<T>],
                                  threads: Int = 2) -> Variable<T> {
        let graph = input.graph
        var x = input
        for (k, b) in blocks.enumerated() {
            let name = "block\(k + 1)."
            x = b.selfInteractionIn.apply(x, weights: p[name + "si_in.weight"]!, bias: p[name + "si_in.bias"])
            let basis = graph.constant(edges.basis.prefix(rows: edges.field.edgeCount(layer: k + 1)))
            let hidden = (basis.matmul(p[name + "radial.w1"]!) + p[name + "radial.b1"]!).silu()
            x = b.convolution.apply(x, hidden: hidden, weights: p[name + "radial.w2"]!, edges: edges, layer: k + 1, threads: threads)
            x = b.selfInteractionOut.apply(x, weights: p[name + "si_out.weight"]!, bias: p[name + "si_out.bias"])
            if let a = b.activation { x = a.apply(x, bias: p[name + "gate.bias"]) }
            if let n = b.normalization { x = n.apply(x) }
        }
        let rows = x.shape[0]
        let scale = T(configuration.outputScale)
        guard configuration.predictsVectors else { return x.reshaped(Shape(rows)) * scale }
        // md's order-1 components are (y, z, x): permute to Cartesian and scale in one product.
        var permutation = Tensor<T>(zeros: Shape(3, 3))
        permutation[flat: 0 * 3 + 1] = scale  // m = −1 → y
        permutation[flat: 1 * 3 + 2] = scale  // m = 0 → z
        permutation[flat: 2 * 3 + 0] = scale  // m = +1 → x
        return x.reshaped(Shape(rows, 3)).matmul(graph.constant(permutation))
    }

    /// Edge features of `graph` for the receptive field of `targets`, in precision T; `channels`
    /// gives every atom's element channel, `sequence` every atom's place along its chain (required
    /// exactly when the configuration's radial functions see sequence separation); `threads` workers fill them.
    public func edges<T>(graph: NeighborGraph, targets: [Int], channels: [Int], sequence: SequencePositions? = nil, threads: Int = 1,
                         as: T.Type = T.self) -> EdgeFeatures<T> {
        let edges = EdgeFeatures<T>(maxDegree: configuration.maxDegree)
        update(edges, graph: graph, targets: targets, channels: channels, sequence: sequence, threads: threads)
        return edges
    }

    /// `edges(graph:targets:channels:sequence:threads:)` written into `edges`' storage (an MD step's,
    /// kept from step to step).
    public func update<T>(_ edges: EdgeFeatures<T>, graph: NeighborGraph, targets: [Int], channels: [Int], sequence: SequencePositions? = nil,
                          threads: Int = 1) {
        let c = configuration
        precondition(edges.maxDegree == c.maxDegree, "TensorFieldNetwork: edge features of order \(edges.maxDegree), network of order \(c.maxDegree)")
        precondition(c.sequenceSeparation == (sequence != nil) && (sequence?.count ?? channels.count) == channels.count,
                     "TensorFieldNetwork: sequence positions, one per atom, are needed exactly when the radial functions see sequence separation")
        edges.update(graph: graph, targets: targets, depth: c.depth, radial: c.radialBasis, pairChannels: c.pairRadial ? channels : nil,
                     elementCount: c.elements.count, sequence: sequence, threads: threads)
    }

    public var graphBuilder: NeighborGraphBuilder {
        NeighborGraphBuilder(neighborsPerAtom: configuration.neighbors, switchWidth: configuration.switchWidth)
    }
}

extension TensorFieldNetwork {
    /// The parameters of a network configured as this one but without sequence separation, given
    /// zero weights on the separation inputs (the radial MLPs' last input rows): this network then
    /// computes exactly what that one did, and training can start from it.
    public func addingSequenceInputs<T>(to parameters: Parameters<T>) -> Parameters<T> {
        precondition(configuration.sequenceSeparation, "TensorFieldNetwork: no sequence inputs to add")
        var out = parameters
        for (name, shape) in parameterShapes where name.hasSuffix("radial.w1") {
            let old = parameters[name]!
            let added = SequencePositions.binCount * shape[1]
            precondition(old.shape == Shape(shape[0] - SequencePositions.binCount, shape[1]), "TensorFieldNetwork: \(name) is \(old.shape), not the network without sequence inputs")
            out[name] = Tensor(shape: shape, scalars: old.scalars + [T](repeating: 0, count: added))
        }
        return out
    }
}
