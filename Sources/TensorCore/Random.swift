import Foundation
import MDCore

extension RandomNumberGenerator {
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
