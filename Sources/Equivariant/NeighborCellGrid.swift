import Foundation
import MDCore

/// One (atom, lattice image) a centre might have as a neighbour, ordered nearest first with ties
/// broken by atom and image: a total order, so every sort of the same candidates agrees.
struct NeighborCandidate {
    var d2: Double
    var j: Int32
    var image: SIMD3<Int32>
    var displacement: SIMD3<Double>

    static func < (a: NeighborCandidate, b: NeighborCandidate) -> Bool {
        if a.d2 != b.d2 { return a.d2 < b.d2 }
        if a.j != b.j { return a.j < b.j }
        if a.image.x != b.image.x { return a.image.x < b.image.x }
        if a.image.y != b.image.y { return a.image.y < b.image.y }
        return a.image.z < b.image.z
    }
}

extension UnsafeMutableBufferPointer where Element == NeighborCandidate {
    /// Puts the n nearest first, sorted, and the rest after them in no particular order: in its first
    /// n places what a full sort gives (the order is total), for the cost of a selection (Hoare's, with
    /// median-of-three pivots) and a sort of n.
    mutating func sortNearest(_ n: Int) {
        guard n < count else { sort(by: <); return }
        guard n > 0 else { return }
        let t = n - 1
        var lo = 0, hi = count - 1  // the t-th smallest lies in lo...hi, everything before ≤ it, after ≥ it
        while hi - lo > 16 {
            let mid = lo + (hi - lo) / 2
            if self[mid] < self[lo] { swapAt(mid, lo) }
            if self[hi] < self[lo] { swapAt(hi, lo) }
            if self[hi] < self[mid] { swapAt(hi, mid) }
            let pivot = self[mid]
            var i = lo, j = hi
            while i <= j {
                while self[i] < pivot { i += 1 }
                while pivot < self[j] { j -= 1 }
                if i <= j { swapAt(i, j); i += 1; j -= 1 }
            }
            if t <= j { hi = j } else if t >= i { lo = i } else { lo = t; hi = t }  // between: t holds the pivot
        }
        var rest = UnsafeMutableBufferPointer(rebasing: self[lo...hi])
        rest.sort(by: <)
        var nearest = UnsafeMutableBufferPointer(rebasing: self[0..<n])
        nearest.sort(by: <)
    }
}

/// Atoms as the k-nearest search sees them: each moved by whole lattice vectors into the primary
/// cell (`wrapped`, with the integer `offsets` that were removed). A displacement is always formed as
/// wrapped_j + shift(cell image) − wrapped_i, by `NeighborGraphBuilder` and `NeighborCandidateList`
/// alike, so the two give bit-for-bit the same distances.
struct WrappedAtoms {
    var vectors: (a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>)
    let periodic: Bool
    var wrapped: [SIMD3<Double>]
    var offsets: [SIMD3<Int32>]

    @inline(__always)
    static func shift(_ n: SIMD3<Int32>, _ v: (a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>)) -> SIMD3<Double> {
        v.a * Double(n.x) + v.b * Double(n.y) + v.c * Double(n.z)
    }

    /// Without a box `vectors` only frame the cell grid (a bounding box) and nothing is wrapped.
    init(count n: Int, vectors: (a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>), periodic: Bool) {
        self.vectors = vectors
        self.periodic = periodic
        wrapped = [SIMD3<Double>](repeating: .zero, count: n)
        offsets = [SIMD3<Int32>](repeating: .zero, count: n)
    }

    /// Wraps atom i at position x with fractional coordinates s; returns s in [0, 1) (periodic).
    @inline(__always)
    mutating func place(_ i: Int, _ x: SIMD3<Double>, fractional s: SIMD3<Double>) -> SIMD3<Double> {
        let whole = periodic ? s.rounded(.down) : .zero
        offsets[i] = SIMD3<Int32>(Int32(whole.x), Int32(whole.y), Int32(whole.z))
        wrapped[i] = x - Self.shift(offsets[i], vectors)
        return s - whole
    }
}

/// A cell list over the atoms with cells about half the radius expected to hold k + 1 atoms, and the
/// search for one centre's nearest candidates: a block of cells grown until it surely holds the
/// k + 1 nearest and everything within `margin` of the (k+1)-th.
struct NeighborCellGrid {
    let atomCount: Int
    let neighborsPerAtom: Int
    /// Edges per centre: k with a box; min(k, N − 1) without.
    let perCentre: Int
    var atoms: WrappedAtoms
    let cells: SIMD3<Int>
    let cellWidths: SIMD3<Double>
    let cellOf: [Int]
    let cellStart: [Int]
    let cellAtoms: [Int32]
    let initialRadius: Double

    init(positions: UnsafeBufferPointer<Double>, box: Box?, neighborsPerAtom k: Int) {
        let n = positions.count / 3
        atomCount = n
        neighborsPerAtom = k
        perCentre = box != nil ? (n > 0 ? k : 0) : min(k, max(0, n - 1))

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
        self.cells = cells
        cellWidths = widths / SIMD3<Double>(Double(cells.x), Double(cells.y), Double(cells.z))
        initialRadius = expectedRadius * 1.1

        var atoms = WrappedAtoms(count: n, vectors: vectors, periodic: box != nil)
        var cellOf = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let x = SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2])
            let s = box.map { $0.fractional(x, vectors: vectors) } ?? (x - lower) / SIMD3(va.x, vb.y, vc.z)
            let f = atoms.place(i, x, fractional: s)
            let ci = SIMD3<Int>(max(0, min(Int(f.x * Double(cells.x)), cells.x - 1)), max(0, min(Int(f.y * Double(cells.y)), cells.y - 1)),
                                max(0, min(Int(f.z * Double(cells.z)), cells.z - 1)))
            cellOf[i] = (ci.x * cells.y + ci.y) * cells.z + ci.z
        }
        self.atoms = atoms
        self.cellOf = cellOf
        let cellCount = cells.x * cells.y * cells.z
        var cellStart = [Int](repeating: 0, count: cellCount + 1)
        for c in cellOf { cellStart[c + 1] += 1 }
        for c in 0..<cellCount { cellStart[c + 1] += cellStart[c] }
        var cellAtoms = [Int32](repeating: 0, count: n)
        var fill = cellStart
        for i in 0..<n { cellAtoms[fill[cellOf[i]]] = Int32(i); fill[cellOf[i]] += 1 }
        self.cellStart = cellStart
        self.cellAtoms = cellAtoms
    }

    /// Centre i's candidates, the k + 1 nearest first and sorted (`sortNearest`): every (atom, image)
    /// within the radius the searched block surely covers, which reaches at least the (k+1)-th nearest
    /// distance plus `margin` (or every atom, without a box, when there are too few).
    func gather(centre i: Int, margin: Double, into candidates: inout [NeighborCandidate]) {
        let periodic = atoms.periodic
        let (va, vb, vc) = atoms.vectors
        let xi = atoms.wrapped[i]
        let home = SIMD3<Int>(cellOf[i] / (cells.y * cells.z), (cellOf[i] / cells.z) % cells.y, cellOf[i] % cells.z)
        var radius = initialRadius
        while true {
            // Half-widths of the cell block that surely contains the sphere of `radius`.
            var h = SIMD3<Int>(Int((radius / cellWidths.x).rounded(.up)), Int((radius / cellWidths.y).rounded(.up)),
                               Int((radius / cellWidths.z).rounded(.up)))
            var everything = false
            if !periodic {
                h = pointwiseMin(h, cells &- 1)
                everything = h == cells &- 1
            }
            let covered = min(Double(h.x) * cellWidths.x, min(Double(h.y) * cellWidths.y, Double(h.z) * cellWidths.z))
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
                        let cellImage = SIMD3<Int32>(Int32(ia), Int32(ib), Int32(ic))
                        let shift = WrappedAtoms.shift(cellImage, (va, vb, vc))
                        let cell = (wa * cells.y + wb) * cells.z + wc
                        let sameImage = ia == 0 && ib == 0 && ic == 0
                        for p in cellStart[cell]..<cellStart[cell + 1] {
                            let j = Int(cellAtoms[p])
                            if j == i && sameImage { continue }
                            let d = atoms.wrapped[j] + shift - xi
                            let d2 = (d * d).sum()
                            if !everything && d2 > covered * covered { continue }
                            let image = cellImage &- atoms.offsets[j] &+ atoms.offsets[i]
                            candidates.append(NeighborCandidate(d2: d2, j: Int32(j), image: image, displacement: d))
                        }
                    }
                }
            }
            let nearest = min(candidates.count, perCentre + 1)
            candidates.withUnsafeMutableBufferPointer { $0.sortNearest(nearest) }
            if everything { return }
            if candidates.count > perCentre {
                // All candidates lie within `covered`, so the (k+1)-th is exact; is its margin covered too?
                let reach = candidates[perCentre].d2.squareRoot() + margin
                if reach <= covered { return }
                radius = reach
            } else {
                radius = max(radius * 1.5, covered + min(cellWidths.x, min(cellWidths.y, cellWidths.z)))
            }
        }
    }
}
