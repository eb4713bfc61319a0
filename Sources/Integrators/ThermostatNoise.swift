import Foundation
import MDCore

/// Counter-based Gaussian noise: the numbers for (seed, step, atom) are a pure function of those three,
/// so a run continued from a restart at step n draws exactly what the uninterrupted run drew, whatever
/// the thread count. The mixing is SplitMix64's step, applied as a hash.
public struct ThermostatNoise: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 { SplitMix64.mix(value) }

    /// Three independent standard normal numbers for one atom at one step (Box–Muller).
    @inline(__always)
    public func gaussians(step: Int, atom: Int) -> SIMD3<Double> {
        let key = ThermostatNoise.mix(seed ^ ThermostatNoise.mix(UInt64(bitPattern: Int64(step)) &* 0xD1B5_4A32_D192_ED03))
        let a = ThermostatNoise.mix(key ^ UInt64(atom) &* 2)
        let b = ThermostatNoise.mix(key ^ (UInt64(atom) &* 2 &+ 1))
        // 53-bit uniforms in (0, 1].
        func uniform(_ bits: UInt64) -> Double { (Double(bits >> 11) + 1) * 0x1p-53 }
        let (u1, u2, u3, u4) = (uniform(a), uniform(a << 32 | b >> 32), uniform(b), uniform(ThermostatNoise.mix(a ^ b)))
        let r1 = (-2 * log(u1)).squareRoot(), r2 = (-2 * log(u3)).squareRoot()
        return SIMD3(r1 * cos(2 * .pi * u2), r1 * sin(2 * .pi * u2), r2 * cos(2 * .pi * u4))
    }
}
