import Foundation
import MDCore

/// Ewald splitting parameter and PME grid, chosen from a cutoff and an error tolerance the way OpenMM's
/// `NonbondedForceImpl::calcPMEParameters` does, or given explicitly.
///
/// Units: `alpha` in 1/Å, `cutoff` in Å. OpenMM works in nm; the automatic choice is evaluated in nm
/// internally (same operations, same order) so the integer grid sizes are the ones OpenMM reports.
public struct PMEParameters: Equatable, Sendable, CustomStringConvertible {
    /// How a minimum grid size is rounded up to a size the FFT handles well. OpenMM's platforms differ.
    public enum GridSizeRule: Equatable, Sendable {
        /// OpenMM's CPU platform (`CpuCalcPmeReciprocalForceKernel::findFFTDimension`, the default platform
        /// without a GPU): the smallest n ≥ minimum whose prime factors are 2, 3, 5, 7 with at most one
        /// extra factor 11 (e.g. 330 = 2·3·5·11 is accepted).
        case openMMCPU
        /// OpenMM's OpenCL/CUDA/HIP `findLegalFFTDimension` without VkFFT: prime factors 2, 3, 5, 7 only.
        case factors2357
        /// OpenMM's Reference platform: no rounding, the raw size (at least 6).
        case openMMReference
    }

    /// Ewald splitting parameter α, 1/Å (erfc(α r)/r is the real-space part).
    public var alpha: Double
    /// Grid points along the a, b, c box vectors.
    public var gridSize: SIMD3<Int>
    /// B-spline order (OpenMM and AMBER use 5).
    public var order: Int

    /// Explicit α (1/Å) and grid.
    public init(alpha: Double, gridSize: SIMD3<Int>, order: Int = 5) {
        self.alpha = alpha
        self.gridSize = gridSize
        self.order = order
    }

    /// OpenMM's automatic choice: α = √(−ln(2·tol)) / cutoff and, per box vector i,
    /// n_i = ceil(2·α·h_ii / (3·tol^(1/5))), at least 6, rounded up by `rule`, where h_ii is the diagonal
    /// element of the (reduced, lower-triangular) box matrix: a_x, b_y, c_z — not the edge lengths.
    public init(cutoff: Double, tolerance: Double, box: Box, rule: GridSizeRule = .openMMCPU, order: Int = 5) {
        precondition(cutoff > 0 && tolerance > 0 && tolerance < 0.5, "PMEParameters: need cutoff > 0 and 0 < tolerance < 0.5")
        let alphaNm = PMEParameters.alphaPerNanometer(cutoff: cutoff, tolerance: tolerance)
        let v = box.vectors
        let diagonalNm = SIMD3(v.a.x, v.b.y, v.c.z) / Units.angstromPerNanometer
        let denominator = 3 * pow(tolerance, 0.2)
        var size = SIMD3<Int>(repeating: 0)
        for d in 0..<3 {
            let raw = Int((2 * alphaNm * diagonalNm[d] / denominator).rounded(.up))
            size[d] = PMEParameters.legalFFTDimension(max(raw, 6), rule: rule)
        }
        self.init(alpha: alphaNm / Units.angstromPerNanometer, gridSize: size, order: order)
    }

    /// α in 1/Å for a cutoff (Å) and tolerance, as OpenMM computes it.
    public static func ewaldAlpha(cutoff: Double, tolerance: Double) -> Double {
        alphaPerNanometer(cutoff: cutoff, tolerance: tolerance) / Units.angstromPerNanometer
    }

    /// OpenMM's expression, evaluated in nm with the same operation order: (1/cutoff)·√(−ln(2·tol)).
    static func alphaPerNanometer(cutoff: Double, tolerance: Double) -> Double {
        let cutoffNm = cutoff / Units.angstromPerNanometer
        return (1.0 / cutoffNm) * (-log(2.0 * tolerance)).squareRoot()
    }

    /// The smallest size ≥ `minimum` accepted by `rule`.
    public static func legalFFTDimension(_ minimum: Int, rule: GridSizeRule = .openMMCPU) -> Int {
        if minimum < 1 { return 1 }
        if rule == .openMMReference { return minimum }
        var n = minimum
        while true {
            var rest = n
            for factor in [2, 3, 5, 7] {
                while rest > 1 && rest % factor == 0 { rest /= factor }
            }
            if rest == 1 || (rule == .openMMCPU && rest == 11) { return n }
            n += 1
        }
    }

    public var description: String {
        String(format: "PME α = %.10g Å⁻¹, grid %d × %d × %d, order %d", alpha, gridSize.x, gridSize.y, gridSize.z, order)
    }
}
