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

    public func displacement(_ e: Int) -> SIMD3<Double> {
        SIMD3(displacements[3 * e], displacements[3 * e + 1], displacements[3 * e + 2])
    }
}

/// Builds `NeighborGraph`s with a cell list in O(N): cells about half the expected k-neighbour radius,
/// a search block grown until it holds k + 1 neighbours within the radius it is sure to cover.
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

    private struct Candidate {
        var d2: Double
        var j: Int32
        var image: SIMD3<Int32>
        var displacement: SIMD3<Double>
        static func < (a: Candidate, b: Candidate) -> Bool {
            if a.d2 != b.d2 { return a.d2 < b.d2 }
            if a.j != b.j { return a.j < b.j }
            if a.image.x != b.image.x { return a.image.x < b.image.x }
            if a.image.y != b.image.y { return a.image.y < b.image.y }
            return a.image.z < b.image.z
        }
    }

    /// `positions`: 3N Cartesian coordinates (Å). `box`: periodic cell, or nil for none.
    public func build(positions: UnsafeBufferPointer<Double>, box: Box?) -> NeighborGraph {
        let n = positions.count / 3
        let k = neighborsPerAtom
        let periodic = box != nil
        let perCentre = periodic ? (n > 0 ? k : 0) : min(k, max(0, n - 1))

        // Geometry: lattice vectors (or a bounding box), face widths, fractional coordinates in [0, 1).
        let vectors: (a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>)
        var lower = SIMD3<Double>(repeating: 0)
        if let box {
            vectors = box.vectors
        } else {
            var lo = SIMD3<Double>(repeating: .infinity), hi = -lo
            for i in 0..<n {
                let x = SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2])
                lo = pointwiseMin(lo, x); hi = pointwiseMax(hi, x)
            }
            if n == 0 { lo = .zero; hi = .zero }
            let extent = (hi - lo) + SIMD3(repeating: 1e-6) + (hi - lo) * 1e-9
            lower = lo
            vectors = (SIMD3(extent.x, 0, 0), SIMD3(0, extent.y, 0), SIMD3(0, 0, extent.z))
        }
        let (va, vb, vc) = vectors
        let widths = box?.perpendicularWidths ?? SIMD3(va.x, vb.y, vc.z)
        let volume = va.x * vb.y * vc.z
        // Cells about half the radius expected to hold k + 1 atoms, at most ~N of them.
        let density = Double(max(n, 1)) / volume
        let expectedRadius = Foundation.cbrt(3 * Double(k + 1) / (4 * Double.pi * density))
        var side = max(expectedRadius / 2, Foundation.cbrt(volume / Double(max(n, 1))))
        if !side.isFinite || side <= 0 { side = 1 }
        let cells = SIMD3<Int>(max(1, min(Int(widths.x / side), 256)), max(1, min(Int(widths.y / side), 256)),
                               max(1, min(Int(widths.z / side), 256)))
        let cellWidths = widths / SIMD3<Double>(Double(cells.x), Double(cells.y), Double(cells.z))

        func fractional(_ x: SIMD3<Double>) -> SIMD3<Double> {
            if let box { return box.fractional(x, vectors: vectors) }
            return (x - lower) / SIMD3(va.x, vb.y, vc.z)
        }
        var wrapped = [SIMD3<Double>](repeating: .zero, count: n)
        var offsets = [SIMD3<Int32>](repeating: .zero, count: n)
        var cellOf = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let x = SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2])
            let s = fractional(x)
            let shift = periodic ? s.rounded(.down) : .zero
            offsets[i] = SIMD3<Int32>(Int32(shift.x), Int32(shift.y), Int32(shift.z))
            wrapped[i] = x - (va * shift.x + vb * shift.y + vc * shift.z)
            let f = s - shift
            let ci = SIMD3<Int>(max(0, min(Int(f.x * Double(cells.x)), cells.x - 1)), max(0, min(Int(f.y * Double(cells.y)), cells.y - 1)),
                                max(0, min(Int(f.z * Double(cells.z)), cells.z - 1)))
            cellOf[i] = (ci.x * cells.y + ci.y) * cells.z + ci.z
        }
        let cellCount = cells.x * cells.y * cells.z
        var cellStart = [Int](repeating: 0, count: cellCount + 1)
        for c in cellOf { cellStart[c + 1] += 1 }
        for c in 0..<cellCount { cellStart[c + 1] += cellStart[c] }
        var cellAtoms = [Int32](repeating: 0, count: n)
        var fill = cellStart
        for i in 0..<n { cellAtoms[fill[cellOf[i]]] = Int32(i); fill[cellOf[i]] += 1 }

        let edgeCount = n * perCentre
        var graph = NeighborGraph(atomCount: n, neighborsPerAtom: k,
                                  starts: (0...n).map { Int32($0 * perCentre) },
                                  centers: [Int32](repeating: 0, count: edgeCount), neighbors: [Int32](repeating: 0, count: edgeCount),
                                  images: [SIMD3<Int32>](repeating: .zero, count: edgeCount),
                                  displacements: [Double](repeating: 0, count: 3 * edgeCount),
                                  distances: [Double](repeating: 0, count: edgeCount), weights: [Double](repeating: 0, count: edgeCount),
                                  exclusionDistances: [Double](repeating: .infinity, count: n))
        guard edgeCount > 0 || (!periodic && n > 0) else { return graph }

        let initialRadius = expectedRadius * 1.1
        let chunks = min(threads, max(1, n / 64))
        graph.centers.withUnsafeMutableBufferPointer { centers in
        graph.neighbors.withUnsafeMutableBufferPointer { neighbors in
        graph.images.withUnsafeMutableBufferPointer { images in
        graph.displacements.withUnsafeMutableBufferPointer { displacements in
        graph.distances.withUnsafeMutableBufferPointer { distances in
        graph.weights.withUnsafeMutableBufferPointer { weights in
        graph.exclusionDistances.withUnsafeMutableBufferPointer { exclusion in
            // Buffers are disjoint per centre; the pointers are only captured, never resized.
            let out = (centers, neighbors, images, displacements, distances, weights, exclusion)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var candidates: [Candidate] = []
                candidates.reserveCapacity(8 * (k + 1))
                for i in (chunk * n / chunks)..<((chunk + 1) * n / chunks) {
                    let xi = wrapped[i]
                    let home = SIMD3<Int>(cellOf[i] / (cells.y * cells.z), (cellOf[i] / cells.z) % cells.y, cellOf[i] % cells.z)
                    var radius = initialRadius
                    var covered = 0.0
                    while true {
                        // Half-widths of the cell block that surely contains the sphere of `radius`.
                        var h = SIMD3<Int>(Int((radius / cellWidths.x).rounded(.up)), Int((radius / cellWidths.y).rounded(.up)),
                                           Int((radius / cellWidths.z).rounded(.up)))
                        var everything = false
                        if !periodic {
                            h = pointwiseMin(h, cells &- 1)
                            everything = h == cells &- 1
                        }
                        covered = min(Double(h.x) * cellWidths.x, min(Double(h.y) * cellWidths.y, Double(h.z) * cellWidths.z))
                        candidates.removeAll(keepingCapacity: true)
                        for da in -h.x...h.x {
                            let ca = home.x + da
                            if !periodic && (ca < 0 || ca >= cells.x) { continue }
                            let wa = ((ca % cells.x) + cells.x) % cells.x, ia = (ca - wa) / cells.x
                            for db in -h.y...h.y {
                                let cb = home.y + db
                                if !periodic && (cb < 0 || cb >= cells.y) { continue }
                                let wb = ((cb % cells.y) + cells.y) % cells.y, ib = (cb - wb) / cells.y
                                for dc in -h.z...h.z {
                                    let cc = home.z + dc
                                    if !periodic && (cc < 0 || cc >= cells.z) { continue }
                                    let wc = ((cc % cells.z) + cells.z) % cells.z, ic = (cc - wc) / cells.z
                                    let shift = va * Double(ia) + vb * Double(ib) + vc * Double(ic)
                                    let cell = (wa * cells.y + wb) * cells.z + wc
                                    let sameImage = ia == 0 && ib == 0 && ic == 0
                                    for p in cellStart[cell]..<cellStart[cell + 1] {
                                        let j = Int(cellAtoms[p])
                                        if j == i && sameImage { continue }
                                        let d = wrapped[j] + shift - xi
                                        let d2 = (d * d).sum()
                                        if !everything && d2 > covered * covered { continue }
                                        let image = SIMD3<Int32>(Int32(ia), Int32(ib), Int32(ic)) &- offsets[j] &+ offsets[i]
                                        candidates.append(Candidate(d2: d2, j: Int32(j), image: image, displacement: d))
                                    }
                                }
                            }
                        }
                        if candidates.count >= perCentre + 1 || everything { break }
                        radius = max(radius * 1.5, covered + min(cellWidths.x, min(cellWidths.y, cellWidths.z)))
                    }
                    candidates.sort(by: <)
                    let dx = candidates.count > perCentre ? candidates[perCentre].d2.squareRoot() : Double.infinity
                    out.6[i] = dx
                    let base = i * perCentre
                    for r in 0..<perCentre {
                        let c = candidates[r], e = base + r
                        let d = c.d2.squareRoot()
                        out.0[e] = Int32(i)
                        out.1[e] = c.j
                        out.2[e] = c.image
                        out.3[3 * e] = c.displacement.x; out.3[3 * e + 1] = c.displacement.y; out.3[3 * e + 2] = c.displacement.z
                        out.4[e] = d
                        out.5[e] = weight(distance: d, exclusionDistance: dx)
                    }
                }
            }
        } } } } } } }
        return graph
    }

    public func build(positions: [Double], box: Box?) -> NeighborGraph {
        positions.withUnsafeBufferPointer { build(positions: $0, box: box) }
    }
}
