/// Counts in equal-width bins over [lower, upper), with the values that fell outside kept apart so
/// that nothing is silently clipped.
public struct Histogram: Codable, Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var counts: [Int]
    public var below: Int = 0
    public var above: Int = 0

    public init(lower: Double, upper: Double, bins: Int) {
        precondition(upper > lower && bins > 0, "Histogram: empty range")
        self.lower = lower
        self.upper = upper
        counts = Array(repeating: 0, count: bins)
    }

    public var binWidth: Double { (upper - lower) / Double(counts.count) }
    public var total: Int { counts.reduce(0, +) + below + above }
    /// Bin centres.
    public var centres: [Double] { (0..<counts.count).map { lower + (Double($0) + 0.5) * binWidth } }

    @inline(__always)
    public mutating func add(_ value: Double) {
        guard value.isFinite else { above += 1; return }
        let position = (value - lower) / (upper - lower) * Double(counts.count)
        if position < 0 {
            below += 1
        } else if position >= Double(counts.count) {
            above += 1
        } else {
            counts[Int(position)] += 1
        }
    }

    /// Probability density per bin: counts / (all values × bin width), so the in-range area is the
    /// fraction of values in range.
    public var density: [Double] {
        let n = Double(max(total, 1)) * binWidth
        return counts.map { Double($0) / n }
    }
}
