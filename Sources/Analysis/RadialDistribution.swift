import Foundation
import MDCore

/// The radial distribution function g(r) of one group of like particles (water oxygens) in a periodic
/// cell, accumulated over frames. Pair counts in shells [r, r + Δr) are normalised by the ideal-gas
/// count N(N − 1)/(2V) · 4π/3 · ((r + Δr)³ − r³) of each frame's own volume, so g → 1 at long range.
/// Pairs are found with a cell list in fractional coordinates (all pairs when the cell is too small
/// for three cells a side), and distances are minimum-image, which is exact up to half the cell's
/// smallest width; the range is cut there (`maxDistance`) when the cell is smaller than asked for.
public struct RadialDistribution: Sendable {
    public let binWidth: Double
    /// The range actually histogrammed: the requested one, or less when the first frame's cell is small.
    public private(set) var maxDistance: Double
    public let requestedMaxDistance: Double
    public private(set) var counts: [Double]
    /// Σ over frames of N(N − 1)/(2V): the ideal pair density the shells are normalised by.
    private var idealPairDensity = 0.0
    public private(set) var frames = 0
    private var binCount: Int

    public init(maxDistance: Double = 8, binWidth: Double = 0.05) {
        precondition(maxDistance > 0 && binWidth > 0 && binWidth <= maxDistance, "RadialDistribution: bad range")
        self.binWidth = binWidth
        self.maxDistance = maxDistance
        requestedMaxDistance = maxDistance
        binCount = Int((maxDistance / binWidth).rounded(.up))
        counts = Array(repeating: 0, count: binCount)
    }

    /// Whether the range had to be cut to half the cell width.
    public var rangeLimitedByCell: Bool { maxDistance < requestedMaxDistance }

    /// Adds one frame: `positions` of the group's particles (any image), `box` the frame's cell.
    public mutating func add(_ positions: [SIMD3<Double>], box: Box) {
        let halfWidth = box.perpendicularWidths.min() / 2
        if frames == 0 && halfWidth < maxDistance {
            // Whole bins only, with room for the cell to breathe under a barostat.
            binCount = max(1, Int((0.98 * halfWidth / binWidth).rounded(.down)))
            maxDistance = Double(binCount) * binWidth
            counts = Array(counts.prefix(binCount))
        }
        let rMax = min(maxDistance, halfWidth)
        let n = positions.count
        frames += 1
        idealPairDensity += Double(n) * Double(n - 1) / 2 / box.volume
        guard n > 1 else { return }
        let (a, b, c) = box.vectors
        // Fractional coordinates wrapped into [0, 1).
        var fractions = [SIMD3<Double>](repeating: .zero, count: n)
        for k in 0..<n {
            fractions[k] = box.wrap(positions[k], vectors: (a, b, c)).fraction
        }
        let widths = box.perpendicularWidths
        let cells = SIMD3<Int>(Int((widths.x / rMax).rounded(.down)), Int((widths.y / rMax).rounded(.down)),
                               Int((widths.z / rMax).rounded(.down)))
        let rMax2 = rMax * rMax
        let inverseWidth = 1 / binWidth
        @inline(__always) func count(_ i: Int, _ j: Int) {
            var s = fractions[j] - fractions[i]
            s -= s.rounded(.toNearestOrAwayFromZero)
            let d = a * s.x + b * s.y + c * s.z
            let r2 = (d * d).sum()
            if r2 < rMax2 {
                let bin = Int(r2.squareRoot() * inverseWidth)
                if bin < binCount { counts[bin] += 1 }
            }
        }
        if cells.min() < 3 {
            for i in 0..<(n - 1) { for j in (i + 1)..<n { count(i, j) } }
            return
        }
        // Cell list: a cell spans at least rMax across every face, so partners lie in the 27 around.
        let cellCount = cells.x * cells.y * cells.z
        var head = [Int](repeating: -1, count: cellCount), next = [Int](repeating: -1, count: n)
        var cellOf = [SIMD3<Int>](repeating: .zero, count: n)
        for k in 0..<n {
            let f = fractions[k]
            let cell = SIMD3(min(Int(f.x * Double(cells.x)), cells.x - 1), min(Int(f.y * Double(cells.y)), cells.y - 1),
                             min(Int(f.z * Double(cells.z)), cells.z - 1))
            cellOf[k] = cell
            let index = (cell.x * cells.y + cell.y) * cells.z + cell.z
            next[k] = head[index]
            head[index] = k
        }
        for i in 0..<n {
            let home = cellOf[i]
            for dx in -1...1 {
                let x = (home.x + dx + cells.x) % cells.x
                for dy in -1...1 {
                    let y = (home.y + dy + cells.y) % cells.y
                    for dz in -1...1 {
                        let z = (home.z + dz + cells.z) % cells.z
                        var j = head[(x * cells.y + y) * cells.z + z]
                        while j >= 0 {
                            if j > i { count(i, j) }
                            j = next[j]
                        }
                    }
                }
            }
        }
    }

    /// Bin centres, Å.
    public var radii: [Double] { (0..<binCount).map { (Double($0) + 0.5) * binWidth } }

    /// g(r) per bin (zeros before any frame).
    public var values: [Double] {
        guard idealPairDensity > 0 else { return Array(repeating: 0, count: binCount) }
        return (0..<binCount).map { k in
            let (r0, r1) = (Double(k) * binWidth, Double(k + 1) * binWidth)
            let ideal = idealPairDensity * 4 / 3 * Double.pi * (r1 * r1 * r1 - r0 * r0 * r0)
            return counts[k] / ideal
        }
    }

    /// The first peak: the highest bin of the first run of bins where g(r) exceeds 1 (for water O–O,
    /// the first hydration shell near 2.8 Å). Nil when g never exceeds 1.
    public static func firstPeak(radii: [Double], values: [Double]) -> (r: Double, g: Double)? {
        guard let start = values.firstIndex(where: { $0 > 1 }) else { return nil }
        var best = start
        var k = start
        while k < values.count && values[k] > 1 {
            if values[k] > values[best] { best = k }
            k += 1
        }
        return (radii[best], values[best])
    }

    /// Root-mean-square difference of two g(r) over their common bins (same bin width assumed).
    public static func rmsDifference(_ a: [Double], _ b: [Double]) -> Double? {
        let n = min(a.count, b.count)
        guard n > 0 else { return nil }
        var sum = 0.0
        for k in 0..<n { sum += (a[k] - b[k]) * (a[k] - b[k]) }
        return (sum / Double(n)).squareRoot()
    }
}
