import Dispatch
import TensorCore

/// What the network sees of each edge of a receptive field, in the precision it runs in: the
/// spherical harmonics Y_l(r̂) for l ≤ L ([edge][component], md's convention), the radial MLP's
/// input ([edge][feature]: the radial basis values, then, for pair-aware radial functions, the
/// one-hot elements of the centre and of the neighbour, then, for sequence-aware ones, the one-hot
/// separation bin of `SequencePositions`) and a scale per edge, w_e/√k: the smooth
/// k-nearest weight (continuity when neighbours swap) over √k so that sums over k neighbours stay
/// of order one.
/// Geometry only: no parameters, no gradient; built once per frame and shared by all layers.
///
/// MD keeps one and `update`s it every step: the field and the rows are rewritten in the same
/// storage, which grows only when a step's field has more edges than any before.
public final class EdgeFeatures<T: TensorScalar> {
    public let maxDegree: Int
    public private(set) var field = ReceptiveField()
    /// [edges, (L + 1)²], [edges, radial inputs] and [edges]: tensors, which `resize` without
    /// writing (an array would fill new elements one by one through T's witness table here, where T
    /// is not specialised).
    public private(set) var harmonics = Tensor<T>(zeros: Shape(0, 0))
    public private(set) var basis = Tensor<T>(zeros: Shape(0, 0))
    public private(set) var scales = Tensor<T>(zeros: Shape(0))

    public var edgeCount: Int { field.neighbors.count }
    public var harmonicsWidth: Int { (maxDegree + 1) * (maxDegree + 1) }

    /// No edges yet, for `update` to fill.
    public init(maxDegree: Int) { self.maxDegree = maxDegree }

    /// The receptive field of `targets` on `graph` (`depth` convolutions) and its edges' rows, in
    /// place of the previous ones. A caller still holding the previous field or tensors keeps them
    /// unchanged (copy on write); this then takes new storage.
    /// `pairChannels`: each atom's element channel (of `elementCount`) when the radial functions
    /// depend on the element pair, nil when they depend on the distance only; `sequence`, when they
    /// also depend on the two atoms' separation along their chain. Edges are independent,
    /// so `threads` workers each fill a contiguous range; the result does not depend on how many.
    public func update(graph: NeighborGraph, targets: [Int], depth: Int, radial: some RadialBasis, pairChannels: [Int]? = nil,
                       elementCount: Int = 0, sequence: SequencePositions? = nil, threads: Int = 1) {
        field.rebuild(graph: graph, targets: targets, depth: depth)
        let edges = field.neighbors.count
        let rows = EdgeRows(graph: graph, sources: field.sourceEdges, harmonics: SphericalHarmonics(maxDegree: maxDegree),
                            radial: radial, pairChannels: pairChannels, elementCount: elementCount, sequence: sequence)
        harmonics.resize(to: Shape(edges, rows.harmonicsWidth))
        basis.resize(to: Shape(edges, rows.basisWidth))
        scales.resize(to: Shape(edges))
        // Below a few thousand edges a second worker costs more to wake than it saves.
        let workers = min(max(threads, 1), max(1, edges / 4096))
        harmonics.withUnsafeMutableBufferPointer { y in
            scales.withUnsafeMutableBufferPointer { s in
                basis.withUnsafeMutableBufferPointer { b in
                    let out = EdgeRows.Output(harmonics: y, basis: b, scales: s)
                    if workers == 1 {
                        rows.fill(0..<edges, into: out)
                    } else {
                        DispatchQueue.concurrentPerform(iterations: workers) { t in
                            rows.fill((t * edges / workers)..<((t + 1) * edges / workers), into: out)
                        }
                    }
                }
            }
        }
    }
}

/// The per-edge work of `EdgeFeatures`: geometry in Double, rows written in T. Specialised for
/// Float and Double so that the generic class's callers land in concrete code.
struct EdgeRows: @unchecked Sendable {
    let graph: NeighborGraph
    let sources: [Int32]
    let harmonics: SphericalHarmonics
    let radial: any RadialBasis
    let pairChannels: [Int]?
    let elementCount: Int
    let sequence: SequencePositions?
    let norm: Double

    var harmonicsWidth: Int { harmonics.count }
    var pairWidth: Int { pairChannels == nil ? 0 : 2 * elementCount }
    var basisWidth: Int { radial.count + pairWidth + (sequence == nil ? 0 : SequencePositions.binCount) }

    init(graph: NeighborGraph, sources: [Int32], harmonics: SphericalHarmonics, radial: any RadialBasis, pairChannels: [Int]?,
         elementCount: Int, sequence: SequencePositions?) {
        self.graph = graph; self.sources = sources; self.harmonics = harmonics; self.radial = radial
        self.pairChannels = pairChannels; self.elementCount = elementCount; self.sequence = sequence
        norm = 1 / Double(max(graph.neighborsPerAtom, 1)).squareRoot()
    }

    /// Where the rows go; each worker writes only its own edges' rows.
    struct Output<T>: @unchecked Sendable {
        let harmonics, basis, scales: UnsafeMutableBufferPointer<T>
    }

    @_specialize(where T == Float) @_specialize(where T == Double)
    func fill<T: TensorScalar>(_ edges: Range<Int>, into out: Output<T>) {
        let w = harmonicsWidth, b = radial.count, width = basisWidth, separation = b + pairWidth
        withUnsafeTemporaryAllocation(of: Double.self, capacity: w + b) { scratch in
            let y = scratch.baseAddress!, v = y + w
            for e in edges {
                let source = Int(sources[e])
                harmonics.evaluate(graph.displacement(source), values: y, gradients: nil)
                for k in 0..<w { out.harmonics[e * w + k] = T(y[k]) }
                radial.evaluate(graph.distances[source], values: v, derivatives: nil)
                let row = e * width
                for k in 0..<b { out.basis[row + k] = T(v[k]) }
                for k in b..<width { out.basis[row + k] = 0 }
                let center = Int(graph.centers[source]), neighbor = Int(graph.neighbors[source])
                if let pairChannels {
                    out.basis[row + b + pairChannels[center]] = 1
                    out.basis[row + b + elementCount + pairChannels[neighbor]] = 1
                }
                if let sequence { out.basis[row + separation + sequence.bin(center, neighbor)] = 1 }
                out.scales[e] = T(graph.weights[source] * norm)
            }
        }
    }
}
