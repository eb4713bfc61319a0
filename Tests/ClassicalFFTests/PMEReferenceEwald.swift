import Foundation
import MDCore

/// Test support for PMETests: a deterministic random generator, random neutral charge systems and a plain
/// (slow) Ewald reciprocal sum to compare PME against.

struct PMETestRandom {
    private var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Double = 0, _ hi: Double = 1) -> Double {
        lo + (hi - lo) * Double(next() >> 11) * 0x1.0p-53
    }
}

struct PMETestSystem {
    var positions: [Double] // 3N, Å
    var charges: [Double]
    var box: Box
    var atomCount: Int { charges.count }

    /// `count` random charges (made exactly neutral) at random fractional coordinates in
    /// [fractionRange) along each box vector — outside [0, 1) puts atoms outside the cell.
    static func random(count: Int, box: Box, seed: UInt64, fractionRange: ClosedRange<Double> = -0.5...1.5) -> PMETestSystem {
        var rng = PMETestRandom(seed: seed)
        let v = box.vectors
        var positions: [Double] = []
        var charges: [Double] = []
        for _ in 0..<count {
            let s = SIMD3(rng.uniform(fractionRange.lowerBound, fractionRange.upperBound),
                          rng.uniform(fractionRange.lowerBound, fractionRange.upperBound),
                          rng.uniform(fractionRange.lowerBound, fractionRange.upperBound))
            let r = s.x * v.a + s.y * v.b + s.z * v.c
            positions += [r.x, r.y, r.z]
            charges.append(rng.uniform(-1, 1))
        }
        let mean = charges.reduce(0, +) / Double(count)
        charges = charges.map { $0 - mean }
        return PMETestSystem(positions: positions, charges: charges, box: box)
    }
}

enum ReferenceEwald {
    /// Reciprocal-space Ewald energy (kcal/mol) and forces (kcal/mol/Å) by the direct k-vector sum
    ///   E = k/(2πV) Σ_{m≠0} exp(−π²|m|²/α²)/|m|² |S(m)|²,  S(m) = Σ_j q_j exp(2πi m·r_j),
    /// m = m₁a* + m₂b* + m₃c*, over all |m| ≤ α·√50/π (terms beyond are below e⁻⁵⁰ of the largest).
    static func reciprocal(_ system: PMETestSystem, alpha: Double, coulombConstant k: Double)
        -> (energy: Double, forces: [Double]) {
        let v = system.box.vectors
        let volume = dot(v.a, cross(v.b, v.c))
        let recip = [cross(v.b, v.c) / volume, cross(v.c, v.a) / volume, cross(v.a, v.b) / volume]
        let mMax = alpha * 50.0.squareRoot() / Double.pi
        // m_i = m·(box vector i), so |m_i| ≤ |m|·|box vector i|.
        let kmax = [v.a, v.b, v.c].map { Int((mMax * dot($0, $0).squareRoot()).rounded(.up)) }
        let n = system.atomCount
        let positions = (0..<n).map { SIMD3(system.positions[3 * $0], system.positions[3 * $0 + 1], system.positions[3 * $0 + 2]) }
        var energy = 0.0
        var forces = [SIMD3<Double>](repeating: .zero, count: n)
        var cosines = [Double](repeating: 0, count: n)
        var sines = [Double](repeating: 0, count: n)
        let prefactor = k / (2 * Double.pi * volume)
        for m1 in 0...kmax[0] {
            for m2 in -kmax[1]...kmax[1] {
                for m3 in -kmax[2]...kmax[2] {
                    // Half of the m-space; the other half (−m) contributes equally.
                    if m1 == 0 && (m2 < 0 || (m2 == 0 && m3 <= 0)) { continue }
                    let m = Double(m1) * recip[0] + Double(m2) * recip[1] + Double(m3) * recip[2]
                    let m2norm = dot(m, m)
                    if m2norm > mMax * mMax { continue }
                    let weight = 2 * prefactor * exp(-Double.pi * Double.pi * m2norm / (alpha * alpha)) / m2norm
                    var c = 0.0, s = 0.0
                    for j in 0..<n {
                        let phase = 2 * Double.pi * dot(m, positions[j])
                        cosines[j] = cos(phase)
                        sines[j] = sin(phase)
                        c += system.charges[j] * cosines[j]
                        s += system.charges[j] * sines[j]
                    }
                    energy += weight * (c * c + s * s)
                    // −∂/∂r_j of weight·|S|² = weight·4π q_j m (C sinθ_j − S cosθ_j).
                    for j in 0..<n {
                        let scale = weight * 4 * Double.pi * system.charges[j] * (c * sines[j] - s * cosines[j])
                        forces[j] += scale * m
                    }
                }
            }
        }
        return (energy, forces.flatMap { [$0.x, $0.y, $0.z] })
    }

    static func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }

    static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }
}
