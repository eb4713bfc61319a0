import Dispatch
import Foundation
import MDCore

/// The real-space half of PME plus Lennard-Jones, over a Verlet list: erfc-screened Coulomb and
/// truncated LJ within the cutoff, in Float with Double energy sums (OpenMM's "mixed" precision).
/// Buffers are sized once; a call allocates nothing.
final class EwaldDirectSpace {
    private let atomCount: Int
    private let threads: Int
    private let nt: Int
    /// Charges times √(Coulomb constant), so a product is k·qi·qj.
    private var scaledCharges: [Float]
    private var types: [Int32]
    private var ljA: [Float]
    private var ljB: [Float]
    private var local: [Float]
    private var threadForces: [[Float]]
    private var partial: [(Double, Double)]

    init(terms: AmberTerms, coulomb: Double, threads: Int) {
        atomCount = terms.atomCount
        self.threads = max(1, threads)
        nt = terms.ljTypeCount
        scaledCharges = terms.charges.map { Float($0 * coulomb.squareRoot()) }
        types = terms.ljTypes
        ljA = terms.ljA.map { Float($0) }
        ljB = terms.ljB.map { Float($0) }
        local = Array(repeating: 0, count: 3 * terms.atomCount)
        threadForces = Array(repeating: Array(repeating: 0, count: 3 * terms.atomCount), count: self.threads)
        partial = Array(repeating: (0, 0), count: self.threads)
    }

    func compute(_ list: NeighborList, _ x: UnsafeBufferPointer<Double>, alpha: Double, cutoff: Double,
                 _ forces: UnsafeMutableBufferPointer<Double>) -> (elec: Double, vdw: Double) {
        // Positions relative to each atom's build-time lattice offset: near the cell, exact in Float.
        local.withUnsafeMutableBufferPointer { l in
            for i in 0..<atomCount {
                let o = list.offsets[i]
                l[3 * i] = Float(x[3 * i] - o.x)
                l[3 * i + 1] = Float(x[3 * i + 1] - o.y)
                l[3 * i + 2] = Float(x[3 * i + 2] - o.z)
            }
        }
        let shifts = list.shiftVectors.map { SIMD3<Float>(Float($0.x), Float($0.y), Float($0.z)) }
        let segments = list.segments
        let cut2 = Float(cutoff * cutoff)
        let a = Float(alpha)
        let twoAlphaOverRootPi = Float(2 * alpha / Double.pi.squareRoot())
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
                            var fx: Float = 0, fy: Float = 0, fz: Float = 0
                            var rowElec: Float = 0, rowVdw: Float = 0
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
                                let expTerm = Foundation.exp(-ar * ar)
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

/// erfc(x) for x ≥ 0 given e^(−x²), Abramowitz & Stegun 7.1.26: absolute error below 1.5·10⁻⁷.
@inline(__always)
func complementaryError(_ x: Float, _ expMinusX2: Float) -> Float {
    let t = 1 / (1 + 0.3275911 * x)
    return t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * expMinusX2
}
