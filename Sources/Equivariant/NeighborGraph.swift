import Dispatch
import Foundation
import MDCore

/// Each atom's k nearest neighbours (periodic images included), as edge lists in contiguous buffers
/// grouped by centre atom: the edges of centre i are `starts[i]..<starts[i+1]`, nearest first.
///
/// A neighbour is an atom j at a lattice image n: displacement = x_j − x_i + n·(a, b, c) with the
/// positions as given (not wrapped), so the same edge is reported whatever cell an atom was left in.
/// The atom itself at n ≠ 0 counts as a neighbour (it matters only in boxes narrower than the
/// neighbourhood). Without a box there are no images and each atom has min(k, N − 1) neighbours.
///
/// **Smooth weights.** A hard k-nearest graph changes discontinuously when the k-th and (k+1)-th
/// neighbours swap. Each edge therefore carries a weight
///     w = s((d_{k+1} − d)/Δ),  s(t) = 6t⁵ − 15t⁴ + 10t³ on [0, 1] (0 below, 1 above),
/// where d_{k+1} is the centre's (k+1)-th neighbour distance and Δ = `switchWidth` (Å). The edge
/// about to leave the graph has weight → 0 exactly as its distance reaches d_{k+1}, and the one that
/// replaces it enters with weight 0, so weighted sums over edges are continuous in the positions.
/// d_{k+1} is an order statistic: continuous, but with a kink when the (k+1)-th and (k+2)-th swap, so
/// weights are C² in an edge's own distance and Lipschitz (not C¹) across those swaps. Every edge
/// with d < d_{k+1} − Δ has weight 1. Δ = 0 gives the paper's hard graph (all weights 1). Without
/// enough atoms for a (k+1)-th neighbour (no box), d_{k+1} = ∞ and all weights are 1.
public struct NeighborGraph: Sendable {
    public var atomCount: Int
    public var neighborsPerAtom: Int
    /// starts[i]..<starts[i+1] are centre i's edges; count N + 1.
    public var starts: [Int32]
    public var centers: [Int32]
    public var neighbors: [Int32]
    /// Lattice image n of each edge (see above).
    public var images: [SIMD3<Int32>]
    /// x_j − x_i + n·(a, b, c), three per edge.
    public var displacements: [Double]
    public var distances: [Double]
    public var weights: [Double]
    /// Per centre, the (k+1)-th neighbour distance the weights switch against (∞ when none).
    public var exclusionDistances: [Double]

    public var edgeCount: Int { centers.count }

    /// A graph of `perCentre` edges per centre, zero-filled, for a builder to fill.
    init(atomCount n: Int, neighborsPerAtom k: Int, perCentre: Int) {
        let edges = n * perCentre
        atomCount = n
        neighborsPerAtom = k
        starts = (0...n).map { Int32($0 * perCentre) }
        centers = [Int32](repeating: 0, count: edges)
        neighbors = [Int32](repeating: 0, count: edges)
        images = [SIMD3<Int32>](repeating: .zero, count: edges)
        displacements = [Double](repeating: 0, count: 3 * edges)
        distances = [Double](repeating: 0, count: edges)
        weights = [Double](repeating: 0, count: edges)
        exclusionDistances = [Double](repeating: .infinity, count: n)
    }

    /// The graph's buffers, disjoint per centre, for builders that fill centres in parallel.
    struct EdgeOutput: @unchecked Sendable {
        var centers, neighbors: UnsafeMutableBufferPointer<Int32>
        var images: UnsafeMutableBufferPointer<SIMD3<Int32>>
        var displacements, distances, weights, exclusionDistances: UnsafeMutableBufferPointer<Double>
    }

    mutating func withEdgeOutput<R>(_ body: (EdgeOutput) -> R) -> R {
        centers.withUnsafeMutableBufferPointer { c in
        neighbors.withUnsafeMutableBufferPointer { nb in
        images.withUnsafeMutableBufferPointer { im in
        displacements.withUnsafeMutableBufferPointer { d in
        distances.withUnsafeMutableBufferPointer { r in
        weights.withUnsafeMutableBufferPointer { w in
        exclusionDistances.withUnsafeMutableBufferPointer { x in
            body(EdgeOutput(centers: c, neighbors: nb, images: im, displacements: d, distances: r, weights: w, exclusionDistances: x))
        } } } } } } }
    }

    public func displacement(_ e: Int) -> SIMD3<Double> {
        SIMD3(displacements[3 * e], displacements[3 * e + 1], displacements[3 * e + 2])
    }
}

/// Builds `NeighborGraph`s from scratch with a cell list in O(N) (`NeighborCellGrid`). MD, where
/// atoms move little between steps, uses `NeighborCandidateList`, which gives the same graphs.
public struct NeighborGraphBuilder: Sendable {
    public var neighborsPerAtom: Int
    public var switchWidth: Double
    public var threads: Int

    public init(neighborsPerAtom: Int = 50, switchWidth: Double = 0.3, threads: Int = 2) {
        precondition(neighborsPerAtom > 0 && switchWidth >= 0, "NeighborGraphBuilder: bad parameters")
        self.neighborsPerAtom = neighborsPerAtom
        self.switchWidth = switchWidth
        self.threads = max(1, threads)
    }

    /// The switching function s(t) = 6t⁵ − 15t⁴ + 10t³, clamped to [0, 1].
    @inline(__always)
    public static func smoothStep(_ t: Double) -> Double {
        if t <= 0 { return 0 }
        if t >= 1 { return 1 }
        return t * t * t * (t * (6 * t - 15) + 10)
    }

    @inline(__always)
    public func weight(distance d: Double, exclusionDistance dx: Double) -> Double {
        if switchWidth == 0 || !dx.isFinite { return 1 }
        return NeighborGraphBuilder.smoothStep((dx - d) / switchWidth)
    }

    /// `positions`: 3N Cartesian coordinates (Å). `box`: periodic cell, or nil for none.
    public func build(positions: UnsafeBufferPointer<Double>, box: Box?) -> NeighborGraph {
        let grid = NeighborCellGrid(positions: positions, box: box, neighborsPerAtom: neighborsPerAtom)
        let n = grid.atomCount, perCentre = grid.perCentre
        var graph = NeighborGraph(atomCount: n, neighborsPerAtom: neighborsPerAtom, perCentre: perCentre)
        guard graph.edgeCount > 0 || (box == nil && n > 0) else { return graph }
        let chunks = workers(centres: n)
        graph.withEdgeOutput { out in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var candidates: [NeighborCandidate] = []
                candidates.reserveCapacity(8 * (perCentre + 1))
                for i in (chunk * n / chunks)..<((chunk + 1) * n / chunks) {
                    grid.gather(centre: i, margin: 0, into: &candidates)
                    candidates.withUnsafeBufferPointer { emit(centre: i, sorted: $0, perCentre: perCentre, into: out) }
                }
            }
        }
        return graph
    }

    /// Workers for `centres` centres: one per 64 centres at most (fewer cannot pay for waking one).
    func workers(centres: Int) -> Int { min(threads, max(1, centres / 64)) }

    /// Writes centre i's edges (slots i·perCentre…) from its candidates, the perCentre + 1 nearest
    /// first and sorted (`sortNearest`): the first `perCentre` are the edges, the next one's distance
    /// is the switch's d_{k+1}.
    @inline(__always)
    func emit(centre i: Int, sorted candidates: UnsafeBufferPointer<NeighborCandidate>, perCentre: Int, into out: NeighborGraph.EdgeOutput) {
        let dx = candidates.count > perCentre ? candidates[perCentre].d2.squareRoot() : Double.infinity
        out.exclusionDistances[i] = dx
        let base = i * perCentre
        for r in 0..<perCentre {
            let c = candidates[r], e = base + r
            let d = c.d2.squareRoot()
            out.centers[e] = Int32(i)
            out.neighbors[e] = c.j
            out.images[e] = c.image
            out.displacements[3 * e] = c.displacement.x; out.displacements[3 * e + 1] = c.displacement.y
            out.displacements[3 * e + 2] = c.displacement.z
            out.distances[e] = d
            out.weights[e] = weight(distance: d, exclusionDistance: dx)
        }
    }

    public func build(positions: [Double], box: Box?) -> NeighborGraph {
        positions.withUnsafeBufferPointer { build(positions: $0, box: box) }
    }
}
