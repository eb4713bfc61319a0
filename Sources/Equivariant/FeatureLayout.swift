/// How a per-atom equivariant feature tensor is laid out: orders `degrees` (ascending), each with
/// `channels` channels, stored [atom][component][channel] with the components of order l at rows
/// offset(l) ..< offset(l) + 2l + 1 (m = −l…l, md's real-harmonic order). Channels are innermost so
/// that every kernel works on contiguous runs of channels, and each (l, m) row of all atoms is a
/// strided matrix one BLAS call can multiply (self-interaction).
///
/// Only natural-parity irreps are carried (scalars even, vectors polar, l = 2 even), which is what
/// makes the network equivariant to reflections as well as rotations.
public struct FeatureLayout: Equatable, Sendable, CustomStringConvertible {
    public let degrees: [Int]
    public let channels: Int
    /// Row offset of each entry of `degrees`.
    public let offsets: [Int]
    /// Components per atom, Σ (2l + 1).
    public let width: Int

    public init(degrees: [Int], channels: Int) {
        precondition(!degrees.isEmpty && degrees == degrees.sorted() && Set(degrees).count == degrees.count && degrees[0] >= 0,
                     "FeatureLayout: degrees must be distinct, ascending and non-negative")
        precondition(channels > 0, "FeatureLayout: channels must be positive")
        self.degrees = degrees
        self.channels = channels
        var offsets: [Int] = [], w = 0
        for l in degrees { offsets.append(w); w += 2 * l + 1 }
        self.offsets = offsets
        self.width = w
    }

    /// Orders 0…maxDegree.
    public init(maxDegree: Int, channels: Int) { self.init(degrees: Array(0...maxDegree), channels: channels) }

    /// Row offset of order l, nil when absent.
    public func offset(of l: Int) -> Int? { degrees.firstIndex(of: l).map { offsets[$0] } }

    /// Scalars per atom.
    public var atomStride: Int { width * channels }

    public func with(channels c: Int) -> FeatureLayout { FeatureLayout(degrees: degrees, channels: c) }

    public var description: String { degrees.map { "\(channels)x\($0)\($0 % 2 == 0 ? "e" : "o")" }.joined(separator: "+") }
}
