import TensorCore

/// What the network sees of each edge of a receptive field, in the precision it runs in: the
/// spherical harmonics Y_l(r̂) for l ≤ L ([edge][component], md's convention), the radial MLP's
/// input ([edge][feature]: the radial basis values, then, for pair-aware radial functions, the
/// one-hot elements of the centre and of the neighbour) and a scale per edge, w_e/√k: the smooth
/// k-nearest weight (continuity when neighbours swap) over √k so that sums over k neighbours stay
/// of order one.
/// Geometry only: no parameters, no gradient; built once per frame and shared by all layers.
public final class EdgeFeatures<T: TensorScalar> {
    public let field: ReceptiveField
    public let maxDegree: Int
    public let harmonics: [T]
    public let basis: Tensor<T>
    public let scales: [T]

    public var edgeCount: Int { field.neighbors.count }
    public var harmonicsWidth: Int { (maxDegree + 1) * (maxDegree + 1) }

    /// `pairChannels`: each atom's element channel (of `elementCount`) when the radial functions
    /// depend on the element pair, nil when they depend on the distance only.
    public init(graph: NeighborGraph, field: ReceptiveField, maxDegree: Int, radial: some RadialBasis,
                pairChannels: [Int]? = nil, elementCount: Int = 0) {
        self.field = field
        self.maxDegree = maxDegree
        let edges = field.neighbors.count
        let sh = SphericalHarmonics(maxDegree: maxDegree)
        let w = sh.count, b = radial.count
        let width = b + (pairChannels == nil ? 0 : 2 * elementCount)
        var harmonics = [T](repeating: 0, count: edges * w)
        var scales = [T](repeating: 0, count: edges)
        var basis = Tensor<T>(zeros: Shape(edges, width))
        let norm = 1 / Double(max(graph.neighborsPerAtom, 1)).squareRoot()
        withUnsafeTemporaryAllocation(of: Double.self, capacity: w + b) { scratch in
            let y = scratch.baseAddress!, v = y + w
            basis.withUnsafeMutableBufferPointer { bp in
                for e in 0..<edges {
                    let source = Int(field.sourceEdges[e])
                    sh.evaluate(graph.displacement(source), values: y, gradients: nil)
                    for k in 0..<w { harmonics[e * w + k] = T(y[k]) }
                    radial.evaluate(graph.distances[source], values: v, derivatives: nil)
                    for k in 0..<b { bp[e * width + k] = T(v[k]) }
                    if let pairChannels {
                        let centre = Int(graph.centers[source]), neighbour = Int(graph.neighbors[source])
                        bp[e * width + b + pairChannels[centre]] = 1
                        bp[e * width + b + elementCount + pairChannels[neighbour]] = 1
                    }
                    scales[e] = T(graph.weights[source] * norm)
                }
            }
        }
        self.harmonics = harmonics
        self.basis = basis
        self.scales = scales
    }
}
