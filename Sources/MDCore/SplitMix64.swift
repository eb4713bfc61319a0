/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, seeded generator, and its finaliser as a hash
/// for counter-based random numbers (the same output for the same counter on any thread).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.finalize(state)
    }

    /// The output function alone: a bijective mix of 64 bits.
    @inline(__always)
    public static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// One generator step from `value` as the state.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 { finalize(value &+ 0x9E37_79B9_7F4A_7C15) }
}
