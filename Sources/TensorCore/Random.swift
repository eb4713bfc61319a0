import Foundation

/// SplitMix64: a small, fast, seedable generator so initialisation is reproducible from one seed.
/// Internal so it cannot clash with MDCore's public one in modules importing both; the public API
/// takes any RandomNumberGenerator.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A standard normal variate (Box–Muller; one of the pair).
    mutating func nextNormal() -> Double {
        let u1 = Double(next() >> 11 | 1) * 0x1.0p-53
        let u2 = Double(next() >> 11) * 0x1.0p-53
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

extension Tensor {
    /// Normal(0, std²) scalars from `rng`.
    public static func randomNormal<G: RandomNumberGenerator>(_ shape: Shape, standardDeviation: T = 1, using rng: inout G) -> Tensor {
        var t = Tensor(zeros: shape)
        var r = SplitMix64(seed: rng.next())
        t.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = T(r.nextNormal()) * standardDeviation } }
        return t
    }
    /// Uniform scalars in `range` from `rng`.
    public static func randomUniform<G: RandomNumberGenerator>(_ shape: Shape, in range: ClosedRange<Double>, using rng: inout G) -> Tensor {
        var t = Tensor(zeros: shape)
        t.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = T(Double.random(in: range, using: &rng)) } }
        return t
    }
    /// Glorot/Xavier-normal weights for a [fanIn, fanOut] matrix.
    public static func glorotNormal<G: RandomNumberGenerator>(fanIn: Int, fanOut: Int, using rng: inout G) -> Tensor {
        randomNormal(Shape(fanIn, fanOut), standardDeviation: T((2.0 / Double(fanIn + fanOut)).squareRoot()), using: &rng)
    }
}
