/// The mass-weighted radius of gyration, √(Σ mᵢ |xᵢ − x_c|² / Σ mᵢ) about the centre of mass x_c.
/// Positions must be whole (see `WholeMolecules`).
public enum RadiusOfGyration {
    public static func of(_ positions: UnsafeBufferPointer<SIMD3<Double>>, masses: UnsafeBufferPointer<Double>) -> Double {
        precondition(positions.count == masses.count, "RadiusOfGyration: one mass per position")
        var total = 0.0
        var centre = SIMD3<Double>.zero
        for k in 0..<positions.count {
            total += masses[k]
            centre += masses[k] * positions[k]
        }
        guard total > 0 else { return 0 }
        centre /= total
        var sum = 0.0
        for k in 0..<positions.count {
            let d = positions[k] - centre
            sum += masses[k] * (d * d).sum()
        }
        return (sum / total).squareRoot()
    }

    public static func of(_ positions: [SIMD3<Double>], masses: [Double]) -> Double {
        positions.withUnsafeBufferPointer { x in masses.withUnsafeBufferPointer { of(x, masses: $0) } }
    }
}
