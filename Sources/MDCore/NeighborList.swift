import Dispatch

/// Verlet neighbour list built from a cell list: every pair closer than cutoff + skin, once, with the
/// periodic image it was found at. Rebuilt only when an atom has moved more than half the skin since
/// the last build (or the box changed), so between builds it holds every pair within the cutoff.
///
/// Works in fractional coordinates, so orthorhombic and triclinic cells are the same code. Each atom
/// keeps the lattice offset it had at build time: kernels use `local(x) = x − offset`, which lies near
/// the primary cell, and a pair's displacement is `local(j) + shiftVectors[code] − local(i)` with at
/// most one cell of shift per axis. Excluded pairs are left out.
public final class NeighborList {
    public let atomCount: Int
    public let cutoff: Double
    public let skin: Double
    private let exclusions: [[Int32]]
    private let threads: Int

    /// One contiguous part of the list per thread: atoms `order[k]` for k in 0..<order.count, each
    /// with neighbours `neighbors[starts[k]..<starts[k+1]]` at images `shiftCodes[…]`.
    public struct Segment {
        public var order: [Int32] = []
        public var starts: [Int32] = [0]
        public var neighbors: [Int32] = []
        public var shiftCodes: [UInt8] = []
    }

    public private(set) var segments: [Segment] = []
    /// Cartesian shift for each image code: code = 9·(na+1) + 3·(nb+1) + (nc+1).
    public private(set) var shiftVectors = [SIMD3<Double>](repeating: .zero, count: 27)
    /// Per atom, the lattice vector subtracted to bring its build-time position into the cell.
    public private(set) var offsets: [SIMD3<Double>]
    private var skinTracker: VerletSkin
    public var buildCount: Int { skinTracker.buildCount }

    public init(atomCount: Int, cutoff: Double, skin: Double, exclusions: [[Int32]], threads: Int = 2) {
        self.atomCount = atomCount
        self.cutoff = cutoff
        self.skin = skin
        skinTracker = VerletSkin(skin: skin)
        self.exclusions = exclusions
        self.threads = max(1, threads)
        offsets = Array(repeating: .zero, count: atomCount)
    }

    public var pairCount: Int { segments.reduce(0) { $0 + $1.neighbors.count } }

    /// The next `update` rebuilds whatever moved.
    public func invalidate() { skinTracker.invalidate() }

    /// Rebuilds when needed; returns whether it did.
    @discardableResult
    public func update(positions: UnsafeBufferPointer<Double>, box: Box) throws -> Bool {
        guard skinTracker.needsRebuild(positions: positions, box: box) else { return false }
        try build(positions: positions, box: box)
        return true
    }

    private func build(positions: UnsafeBufferPointer<Double>, box: Box) throws {
        let (a, b, c) = box.vectors
        let widths = box.perpendicularWidths
        guard widths.min() >= 2 * cutoff else {
            throw NeighborListError.boxTooSmall(width: widths.min(), cutoff: cutoff)
        }
        let range = cutoff + skin
        let cells = SIMD3<Int>(max(1, Int(widths.x / range)), max(1, Int(widths.y / range)), max(1, Int(widths.z / range)))
        shiftVectors = box.neighbouringImageShifts

        // Fractional coordinates (lower-triangular cell matrix), wrapped; the wrap is the atom's offset.
        var wrapped = [SIMD3<Double>](repeating: .zero, count: atomCount)
        var cellOf = [Int](repeating: 0, count: atomCount)
        for i in 0..<atomCount {
            let x = SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2])
            let (f, offset) = box.wrap(x, vectors: (a, b, c))
            offsets[i] = offset
            wrapped[i] = x - offset
            let ci = SIMD3<Int>(min(Int(f.x * Double(cells.x)), cells.x - 1), min(Int(f.y * Double(cells.y)), cells.y - 1),
                                min(Int(f.z * Double(cells.z)), cells.z - 1))
            cellOf[i] = (ci.x * cells.y + ci.y) * cells.z + ci.z
        }
        let cellCount = cells.x * cells.y * cells.z
        var cellStart = [Int](repeating: 0, count: cellCount + 1)
        for i in 0..<atomCount { cellStart[cellOf[i] + 1] += 1 }
        for k in 0..<cellCount { cellStart[k + 1] += cellStart[k] }
        var fill = cellStart
        var cellAtoms = [Int32](repeating: 0, count: atomCount)
        for i in 0..<atomCount {
            cellAtoms[fill[cellOf[i]]] = Int32(i)
            fill[cellOf[i]] += 1
        }

        // Half the 27 neighbour offsets (and the cell itself, pairs j > i only).
        var offsetsHalf: [SIMD3<Int>] = []
        for da in -1...1 { for db in -1...1 { for dc in -1...1 {
            if (da, db, dc) > (0, 0, 0) { offsetsHalf.append(SIMD3(da, db, dc)) }
        } } }

        // Split cells into contiguous ranges of about equal atom count, one per thread.
        let parts = min(threads, cellCount)
        var bounds = [0]
        for p in 1..<parts {
            let target = atomCount * p / parts
            bounds.append(max(bounds.last!, cellStart.firstIndex { $0 >= target } ?? cellCount))
        }
        bounds.append(cellCount)
        let range2 = range * range
        var built = [Segment](repeating: Segment(), count: parts)
        let exclusions = self.exclusions
        let shifts = shiftVectors
        wrapped.withUnsafeBufferPointer { w in
            built.withUnsafeMutableBufferPointer { out in
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    var segment = Segment()
                    segment.neighbors.reserveCapacity(atomCount / parts * 300)
                    segment.shiftCodes.reserveCapacity(atomCount / parts * 300)
                    for cell in bounds[part]..<bounds[part + 1] {
                        let ca = cell / (cells.y * cells.z), cb = (cell / cells.z) % cells.y, cc = cell % cells.z
                        for slot in cellStart[cell]..<cellStart[cell + 1] {
                            let i = Int(cellAtoms[slot])
                            let xi = w[i]
                            let excluded = exclusions.isEmpty ? [] : exclusions[i]
                            func consider(_ j: Int, _ code: Int) {
                                let d = w[j] + shifts[code] - xi
                                guard (d * d).sum() < range2, !excluded.contains(Int32(j)) else { return }
                                segment.neighbors.append(Int32(j))
                                segment.shiftCodes.append(UInt8(code))
                            }
                            segment.order.append(Int32(i))
                            for other in (slot + 1)..<cellStart[cell + 1] { consider(Int(cellAtoms[other]), 13) }
                            for d in offsetsHalf {
                                var t = SIMD3(ca + d.x, cb + d.y, cc + d.z)
                                var image = SIMD3<Int>(0, 0, 0)
                                for k in 0..<3 where t[k] < 0 || t[k] >= cells[k] {
                                    image[k] = t[k] < 0 ? -1 : 1
                                    t[k] -= image[k] * cells[k]
                                }
                                let code = 9 * (image.x + 1) + 3 * (image.y + 1) + (image.z + 1)
                                let target = (t.x * cells.y + t.y) * cells.z + t.z
                                for other in cellStart[target]..<cellStart[target + 1] {
                                    let j = Int(cellAtoms[other])
                                    if j != i { consider(j, code) }
                                }
                            }
                            segment.starts.append(Int32(segment.neighbors.count))
                        }
                    }
                    out[part] = segment
                }
            }
        }
        segments = built
        skinTracker.built(positions: positions, box: box)
    }
}

public enum NeighborListError: Error, CustomStringConvertible {
    case boxTooSmall(width: Double, cutoff: Double)

    public var description: String {
        switch self {
        case let .boxTooSmall(width, cutoff):
            return String(format: "the periodic box is %.3f Å across at its narrowest, less than twice the %.3f Å cutoff", width, cutoff)
        }
    }
}
