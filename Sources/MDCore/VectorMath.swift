/// Vectorised elementary functions for Float kernels, eight lanes at a time.
public enum VectorMath {
    /// e^y for −87 ≤ y ≤ 88 (clamped outside): y = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor
    /// polynomial, 2ⁿ from the exponent bits. Relative error ~2·10⁻⁷, Float's own resolution.
    @inlinable @inline(__always)
    public static func exp(_ y: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        var clamped = y.replacing(with: -87, where: y .< -87)
        clamped.replace(with: 88, where: clamped .> 88)
        // Round to an integer by adding 1.5·2²³: the sum's low mantissa bits then hold n itself.
        let magic = V(repeating: 12582912)
        let shifted = clamped * V(repeating: 1.44269504) + magic
        let n = shifted - magic
        let r = clamped - n * V(repeating: 0.693145752) - n * V(repeating: 1.42860677e-6)
        var p = V(repeating: 0.00138888892)
        p = p * r + V(repeating: 0.00833333377)
        p = p * r + V(repeating: 0.0416666679)
        p = p * r + V(repeating: 0.166666672)
        p = p * r + V(repeating: 0.5)
        p = p * r + V(repeating: 1)
        p = p * r + V(repeating: 1)
        let bits = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: V.self)
    }
}
