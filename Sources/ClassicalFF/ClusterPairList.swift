import Dispatch
import Foundation
import MDCore

/// Atoms sorted spatially into clusters of eight and a Verlet list of cluster pairs, as GROMACS and
/// OpenMM's CPU platform organise the nonbonded work: a kernel then computes 8×8 interactions per pair
/// from contiguous loads, with no gathers or scatters.
///
/// Clusters: atoms are wrapped into the cell in fractional coordinates (each keeps its lattice offset,
/// as in `NeighborList`), binned into columns over the first two fractional axes about one cluster
/// wide, sorted along the third within a column and cut into runs of eight; the last cluster of a
/// column is padded with dummy slots (atom −1). Cluster pairs: every (I, J, image) whose Cartesian
/// bounding boxes come within cutoff + skin, each interaction once — I < J, or I == J with the zero
/// image (then only j > i) or a "positive" image code. Each pair carries an 8×8 bit mask (byte i, bit j)
/// of the interactions to compute: real atoms, not excluded, j > i within a cluster.
/// Rebuilt when an atom has moved more than skin/2 since the last build, or the box changed.
final class ClusterPairList {
    static let size = 8
    let atomCount: Int
    let cutoff: Double
    let skin: Double
    private let exclusions: [[Int32]]
    private let threads: Int

    private(set) var clusterCount = 0
    /// Atom in each slot (clusterCount × 8), −1 for padding.
    private(set) var slotAtom: [Int32] = []
    /// Slot of each atom.
    private(set) var atomSlot: [Int32]
    /// Per atom, the lattice vector subtracted to bring its build-time position into the cell.
    private(set) var offsets: [SIMD3<Double>]
    /// Cluster pairs grouped by I: pairs pairStart[I]..<pairStart[I+1] have j cluster pairJ, image
    /// pairShift (code 9·(na+1) + 3·(nb+1) + (nc+1), as NeighborList) and interaction mask pairMask.
    private(set) var pairStart: [Int32] = [0]
    private(set) var pairJ: [Int32] = []
    private(set) var pairShift: [UInt8] = []
    private(set) var pairMask: [UInt64] = []
    /// Cartesian shift of each image code.
    private(set) var shiftVectors = [SIMD3<Double>](repeating: .zero, count: 27)
    /// Ranges of i clusters with about equal numbers of cluster pairs, one per thread.
    private(set) var chunks: [Range<Int>] = []
    /// Atom pairs the kernel computes (set bits over all masks).
    private(set) var interactionCount = 0
    private var skinTracker: VerletSkin
    var buildCount: Int { skinTracker.buildCount }

    init(atomCount: Int, cutoff: Double, skin: Double, exclusions: [[Int32]], threads: Int) {
        self.atomCount = atomCount
        self.cutoff = cutoff
        self.skin = skin
        skinTracker = VerletSkin(skin: skin)
        self.exclusions = exclusions
        self.threads = max(1, threads)
        atomSlot = Array(repeating: 0, count: atomCount)
        offsets = Array(repeating: .zero, count: atomCount)
    }

    var clusterPairCount: Int { pairJ.count }

    /// The next `update` rebuilds.
    func invalidate() { skinTracker.invalidate() }

    /// Rebuilds when needed; returns whether it did.
    @discardableResult
    func update(positions: UnsafeBufferPointer<Double>, box: Box) throws -> Bool {
        guard skinTracker.needsRebuild(positions: positions, box: box) else { return false }
        try build(positions: positions, box: box)
        return true
    }

    private struct Part {
        var counts: [Int32] = []
        var js: [Int32] = []
        var shifts: [UInt8] = []
        var masks: [UInt64] = []
        var interactions = 0
    }

    private func build(positions: UnsafeBufferPointer<Double>, box: Box) throws {
        let (a, b, c) = box.vectors
        let volume = a.x * b.y * c.z
        let widths = box.perpendicularWidths
        guard widths.min() >= 2 * cutoff else {
            throw NeighborListError.boxTooSmall(width: widths.min(), cutoff: cutoff)
        }
        shiftVectors = box.neighbouringImageShifts

        // Wrapped fractional and Cartesian positions.
        let n = atomCount
        var frac = [SIMD3<Double>](repeating: .zero, count: n)
        var wrapped = [SIMD3<Double>](repeating: .zero, count: n)
        for i in 0..<n {
            let x = SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2])
            let (fraction, offset) = box.wrap(x, vectors: (a, b, c))
            offsets[i] = offset
            wrapped[i] = x - offset
            frac[i] = fraction
        }

        // Columns about one cluster (eight atoms at the mean density) across.
        let clusterSide = cbrt(8 * volume / Double(max(n, 1)))
        let columns = SIMD2<Int>(max(1, Int((widths.x / clusterSide).rounded())), max(1, Int((widths.y / clusterSide).rounded())))
        let columnCount = columns.x * columns.y
        var columnOf = [Int](repeating: 0, count: n)
        var columnStart = [Int](repeating: 0, count: columnCount + 1)
        for i in 0..<n {
            let ca = min(Int(frac[i].x * Double(columns.x)), columns.x - 1)
            let cb = min(Int(frac[i].y * Double(columns.y)), columns.y - 1)
            columnOf[i] = ca * columns.y + cb
            columnStart[columnOf[i] + 1] += 1
        }
        for k in 0..<columnCount { columnStart[k + 1] += columnStart[k] }
        var fill = columnStart
        var sorted = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            sorted[fill[columnOf[i]]] = Int32(i)
            fill[columnOf[i]] += 1
        }
        // Clusters per column, then slots.
        var columnClusterStart = [Int](repeating: 0, count: columnCount + 1)
        for k in 0..<columnCount {
            let atoms = columnStart[k + 1] - columnStart[k]
            columnClusterStart[k + 1] = columnClusterStart[k] + (atoms + 7) / 8
        }
        clusterCount = columnClusterStart[columnCount]
        slotAtom = Array(repeating: -1, count: clusterCount * 8)
        for k in 0..<columnCount {
            var members = Array(sorted[columnStart[k]..<columnStart[k + 1]])
            members.sort { frac[Int($0)].z < frac[Int($1)].z }
            for (m, atom) in members.enumerated() {
                let slot = columnClusterStart[k] * 8 + m
                slotAtom[slot] = atom
                atomSlot[Int(atom)] = Int32(slot)
            }
        }

        // Per cluster: Cartesian bounding box, fractional range, which slots are real.
        let clusters = clusterCount
        var boxLo = [SIMD3<Double>](repeating: .zero, count: clusters), boxHi = boxLo
        var fracLo = boxLo, fracHi = boxLo
        var real = [UInt8](repeating: 0, count: clusters)
        for k in 0..<clusters {
            var lo = SIMD3<Double>(repeating: .infinity), hi = -lo, flo = lo, fhi = hi
            for lane in 0..<8 {
                let atom = Int(slotAtom[8 * k + lane])
                guard atom >= 0 else { continue }
                real[k] |= 1 << lane
                lo = pointwiseMin(lo, wrapped[atom]); hi = pointwiseMax(hi, wrapped[atom])
                flo = pointwiseMin(flo, frac[atom]); fhi = pointwiseMax(fhi, frac[atom])
            }
            (boxLo[k], boxHi[k], fracLo[k], fracHi[k]) = (lo, hi, flo, fhi)
        }
        /// Squared distance between two boxes (or a point and a box) from their separations along
        /// each axis in both directions; written out because SIMD3's pointwiseMax goes lane by lane.
        @inline(__always) func gapSquared(_ u: SIMD3<Double>, _ v: SIMD3<Double>) -> Double {
            let x = max(u.x, v.x, 0), y = max(u.y, v.y, 0), z = max(u.z, v.z, 0)
            return x * x + y * y + z * z
        }

        let range = cutoff + skin
        let range2 = range * range
        let reach = SIMD3(range / widths.x, range / widths.y, range / widths.z)
        let shifts = shiftVectors
        let exclusions = self.exclusions
        let parts = min(threads, max(clusters, 1))
        var built = [Part](repeating: Part(), count: parts)
        let slotAtom = self.slotAtom, atomSlot = self.atomSlot
        @inline(__always) func floorDiv(_ x: Int, _ m: Int) -> Int { x >= 0 ? x / m : -((-x + m - 1) / m) }

        built.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                var p = Part()
                p.js.reserveCapacity(clusters / parts * 80)
                p.shifts.reserveCapacity(clusters / parts * 80)
                p.masks.reserveCapacity(clusters / parts * 80)
                for ci in (clusters * part / parts)..<(clusters * (part + 1) / parts) {
                    var count: Int32 = 0
                    let flo = fracLo[ci] - reach, fhi = fracHi[ci] + reach
                    let lo = boxLo[ci], hi = boxHi[ci]
                    let aFirst = Int((flo.x * Double(columns.x)).rounded(.down)), aLast = Int((fhi.x * Double(columns.x)).rounded(.down))
                    let bFirst = Int((flo.y * Double(columns.y)).rounded(.down)), bLast = Int((fhi.y * Double(columns.y)).rounded(.down))
                    for aRaw in aFirst...aLast {
                        let ia = floorDiv(aRaw, columns.x)
                        guard abs(ia) <= 1 else { continue }
                        let ca = aRaw - ia * columns.x
                        for bRaw in bFirst...bLast {
                            let ib = floorDiv(bRaw, columns.y)
                            guard abs(ib) <= 1 else { continue }
                            let cb = bRaw - ib * columns.y
                            let column = ca * columns.y + cb
                            for ic in -1...1 {
                                let code = 9 * (ia + 1) + 3 * (ib + 1) + (ic + 1)
                                let windowLo = flo.z - Double(ic), windowHi = fhi.z - Double(ic)
                                let shift = shifts[code]
                                for cj in columnClusterStart[column]..<columnClusterStart[column + 1] {
                                    if fracHi[cj].z < windowLo { continue }
                                    if fracLo[cj].z > windowHi { break }
                                    if cj < ci || (cj == ci && code < 13) { continue }
                                    // Gap between the boxes along each axis (zero where they overlap).
                                    let jlo = boxLo[cj] + shift, jhi = boxHi[cj] + shift
                                    guard gapSquared(jlo - hi, lo - jhi) < range2 else { continue }
                                    var mask: UInt64 = 0
                                    for i in 0..<8 {
                                        let atom = Int(slotAtom[8 * ci + i])
                                        guard atom >= 0 else { continue }
                                        // Rows whose i atom is beyond reach of J's box are never computed.
                                        let w = wrapped[atom]
                                        guard gapSquared(jlo - w, w - jhi) < range2 else { continue }
                                        var row = real[cj]
                                        if cj == ci && code == 13 { row &= UInt8(truncatingIfNeeded: 0xFF << (i + 1)) }
                                        if !exclusions.isEmpty {
                                            for e in exclusions[atom] {
                                                let s = Int(atomSlot[Int(e)])
                                                if s >> 3 == cj { row &= ~(1 << UInt8(s & 7)) }
                                            }
                                        }
                                        mask |= UInt64(row) << (8 * i)
                                    }
                                    guard mask != 0 else { continue }
                                    p.js.append(Int32(cj))
                                    p.shifts.append(UInt8(code))
                                    p.masks.append(mask)
                                    p.interactions += mask.nonzeroBitCount
                                    count += 1
                                }
                            }
                        }
                    }
                    p.counts.append(count)
                }
                out[part] = p
            }
        }

        pairStart = [0]
        pairStart.reserveCapacity(clusters + 1)
        pairJ.removeAll(keepingCapacity: true)
        pairShift.removeAll(keepingCapacity: true)
        pairMask.removeAll(keepingCapacity: true)
        interactionCount = 0
        for p in built {
            for k in p.counts { pairStart.append(pairStart.last! + k) }
            pairJ += p.js
            pairShift += p.shifts
            pairMask += p.masks
            interactionCount += p.interactions
        }
        // Balanced chunks of i clusters for the kernel's threads.
        let total = pairJ.count
        chunks = []
        var first = 0
        for t in 0..<threads {
            let target = total * (t + 1) / threads
            var last = first
            while last < clusters && (t == threads - 1 || Int(pairStart[last]) < target) { last += 1 }
            chunks.append(first..<last)
            first = last
        }
        skinTracker.built(positions: positions, box: box)
    }
}
