import Dispatch
import Foundation
import MDCore

/// Arithmetic the pair kernels run in: Float (OpenMM's "mixed" precision, the default) or Double.
protocol KernelReal: BinaryFloatingPoint, SIMDScalar {
    static func exponential(_ x: Self) -> Self
}

extension Float: KernelReal {
    @inline(__always) static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
}

extension Double: KernelReal {
    @inline(__always) static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
}

/// The direct-space part of a periodic force field, whatever its precision.
protocol DirectSpaceKernel: AnyObject {
    func compute(_ list: NeighborList, _ x: UnsafeBufferPointer<Double>, alpha: Double, cutoff: Double,
                 _ forces: UnsafeMutableBufferPointer<Double>) -> (elec: Double, vdw: Double)
}

/// The real-space half of PME plus Lennard-Jones, over a Verlet list: erfc-screened Coulomb and
/// truncated LJ within the cutoff, in `Real` with Double energy sums per atom.
/// Buffers are sized once; a call allocates nothing.
final class EwaldDirectSpace<Real: KernelReal>: DirectSpaceKernel {
    private let atomCount: Int
    private let threads: Int
    private let nt: Int
    /// Charges times √(Coulomb constant), so a product is k·qi·qj.
    private var scaledCharges: [Real]
    private var types: [Int32]
    private var ljA: [Real]
    private var ljB: [Real]
    private var local: [Real]
    private var threadForces: [[Real]]
    private var partial: [(Double, Double)]
    private var shifts = [SIMD3<Real>](repeating: .zero, count: 27)

    init(terms: AmberTerms, coulomb: Double, threads: Int) {
        atomCount = terms.atomCount
        self.threads = max(1, threads)
        nt = terms.ljTypeCount
        scaledCharges = terms.charges.map { Real($0 * coulomb.squareRoot()) }
        types = terms.ljTypes
        ljA = terms.ljA.map { Real($0) }
        ljB = terms.ljB.map { Real($0) }
        local = Array(repeating: 0, count: 3 * terms.atomCount)
        threadForces = Array(repeating: Array(repeating: 0, count: 3 * terms.atomCount), count: self.threads)
        partial = Array(repeating: (0, 0), count: self.threads)
    }

    func compute(_ list: NeighborList, _ x: UnsafeBufferPointer<Double>, alpha: Double, cutoff: Double,
                 _ forces: UnsafeMutableBufferPointer<Double>) -> (elec: Double, vdw: Double) {
        // Positions relative to each atom's build-time lattice offset: near the cell, so Float keeps
        // its precision however far atoms have diffused.
        local.withUnsafeMutableBufferPointer { l in
            for i in 0..<atomCount {
                let o = list.offsets[i]
                l[3 * i] = Real(x[3 * i] - o.x)
                l[3 * i + 1] = Real(x[3 * i + 1] - o.y)
                l[3 * i + 2] = Real(x[3 * i + 2] - o.z)
            }
        }
        for (k, s) in list.shiftVectors.enumerated() { shifts[k] = SIMD3(Real(s.x), Real(s.y), Real(s.z)) }
        let shifts = self.shifts
        let segments = list.segments
        let cut2 = Real(cutoff * cutoff)
        let a = Real(alpha)
        let twoAlphaOverRootPi = Real(2 * alpha / Double.pi.squareRoot())
        let nt = self.nt
        let work = min(threads, segments.count)
        local.withUnsafeBufferPointer { pos in
        scaledCharges.withUnsafeBufferPointer { q in
        types.withUnsafeBufferPointer { type in
        ljA.withUnsafeBufferPointer { ljA in
        ljB.withUnsafeBufferPointer { ljB in
        partial.withUnsafeMutableBufferPointer { partial in
            DispatchQueue.concurrentPerform(iterations: work) { t in
                threadForces[t].withUnsafeMutableBufferPointer { f in
                    f.update(repeating: 0)
                    let s = segments[t]
                    var elec = 0.0, vdw = 0.0
                    s.order.withUnsafeBufferPointer { order in
                    s.starts.withUnsafeBufferPointer { starts in
                    s.neighbors.withUnsafeBufferPointer { neighbors in
                    s.shiftCodes.withUnsafeBufferPointer { codes in
                        for k in 0..<order.count {
                            let i = Int(order[k])
                            let xi = pos[3 * i], yi = pos[3 * i + 1], zi = pos[3 * i + 2]
                            let qi = q[i]
                            let row = Int(type[i]) * nt
                            var fx: Real = 0, fy: Real = 0, fz: Real = 0
                            var rowElec: Real = 0, rowVdw: Real = 0
                            for p in Int(starts[k])..<Int(starts[k + 1]) {
                                let j = Int(neighbors[p])
                                let shift = shifts[Int(codes[p])]
                                let dx = pos[3 * j] + shift.x - xi
                                let dy = pos[3 * j + 1] + shift.y - yi
                                let dz = pos[3 * j + 2] + shift.z - zi
                                let r2 = dx * dx + dy * dy + dz * dz
                                if r2 >= cut2 { continue }
                                let inv = 1 / r2.squareRoot()
                                let inv2 = inv * inv
                                let r = r2 * inv
                                let ar = a * r
                                let expTerm = Real.exponential(-ar * ar)
                                let qq = qi * q[j]
                                let e = qq * complementaryError(ar, expTerm) * inv
                                let inv6 = inv2 * inv2 * inv2
                                let t = row + Int(type[j])
                                let lj12 = ljA[t] * inv6 * inv6, lj6 = ljB[t] * inv6
                                rowElec += e
                                rowVdw += lj12 - lj6
                                let sOverR = (e + qq * twoAlphaOverRootPi * expTerm + 12 * lj12 - 6 * lj6) * inv2
                                fx -= sOverR * dx; fy -= sOverR * dy; fz -= sOverR * dz
                                f[3 * j] += sOverR * dx; f[3 * j + 1] += sOverR * dy; f[3 * j + 2] += sOverR * dz
                            }
                            f[3 * i] += fx; f[3 * i + 1] += fy; f[3 * i + 2] += fz
                            elec += Double(rowElec)
                            vdw += Double(rowVdw)
                        }
                    } } } }
                    partial[t] = (elec, vdw)
                }
            }
        } } } } } }
        for t in 0..<work {
            threadForces[t].withUnsafeBufferPointer { f in
                for k in 0..<forces.count { forces[k] += Double(f[k]) }
            }
        }
        return partial.prefix(work).reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }
}

/// erfc(x) for x ≥ 0 given e^(−x²): Abramowitz & Stegun 7.1.26 in Float (absolute error below
/// 1.5·10⁻⁷, below Float's own resolution of the sums), libm's erfc in Double.
@inline(__always)
func complementaryError<Real: KernelReal>(_ x: Real, _ expMinusX2: Real) -> Real {
    if Real.self == Double.self { return Real(Foundation.erfc(Double(x))) }
    let t = 1 / (1 + 0.3275911 * x)
    return t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * expMinusX2
}
