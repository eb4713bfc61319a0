import Dispatch
import Foundation
import MDCore

/// Arithmetic the pair kernels run in: Float (OpenMM's "mixed" precision, the default) or Double.
/// Pairs are processed eight at a time; each precision supplies the screened-Coulomb functions.
protocol KernelReal: BinaryFloatingPoint, SIMDScalar, Codable {
    /// erfc(x) and e^(−x²) for x ≥ 0, lane by lane.
    static func complementaryErrorAndGaussian(_ x: SIMD8<Self>) -> (erfc: SIMD8<Self>, gaussian: SIMD8<Self>)
}

extension Float: KernelReal {
    /// Vectorised: e^(−x²) by range reduction and a degree-6 polynomial (relative error ~2·10⁻⁷), erfc by
    /// Abramowitz & Stegun 7.1.26 (absolute error below 1.5·10⁻⁷), both below Float's own resolution.
    @inline(__always)
    static func complementaryErrorAndGaussian(_ x: SIMD8<Float>) -> (erfc: SIMD8<Float>, gaussian: SIMD8<Float>) {
        typealias V = SIMD8<Float>
        let g = VectorMath.exp(-x * x)
        let one = V(repeating: 1)
        let t = one / (one + V(repeating: 0.3275911) * x)
        var poly = V(repeating: 1.061405429)
        poly = poly * t + V(repeating: -1.453152027)
        poly = poly * t + V(repeating: 1.421413741)
        poly = poly * t + V(repeating: -0.284496736)
        poly = poly * t + V(repeating: 0.254829592)
        return (poly * t * g, g)
    }
}

extension Double: KernelReal {
    /// libm per lane: the double-precision path is the accurate reference, not the fast one.
    @inline(__always)
    static func complementaryErrorAndGaussian(_ x: SIMD8<Double>) -> (erfc: SIMD8<Double>, gaussian: SIMD8<Double>) {
        var e = SIMD8<Double>(), g = SIMD8<Double>()
        for lane in 0..<8 {
            e[lane] = Foundation.erfc(x[lane])
            g[lane] = Foundation.exp(-x[lane] * x[lane])
        }
        return (e, g)
    }
}

/// The direct-space kernel in the precision the options ask for, with its pair list. An enum rather
/// than a protocol existential so each case calls a specialised kernel (through a witness table the
/// generic arithmetic would not be inlined and runs several times slower).
/// Mixed precision uses the cluster-pair kernel when the LJ tables follow Lorentz–Berthelot, the
/// per-atom Verlet-list kernel otherwise (NBFIX); double precision always uses the per-atom kernel,
/// the readable reference.
enum DirectSpace {
    case clusters(ClusterDirectSpace)
    case mixed(EwaldDirectSpace<Float>, NeighborList)
    case double(EwaldDirectSpace<Double>, NeighborList)

    enum Kernel { case automatic, perAtom }

    init(terms: AmberTerms, coulomb: Double, cutoff: Double, skin: Double, precision: ClassicalOptions.Precision, threads: Int,
         kernel: Kernel = .automatic) {
        if precision == .mixed, kernel == .automatic,
           let clusters = ClusterDirectSpace(terms: terms, coulomb: coulomb, cutoff: cutoff, skin: skin, threads: threads) {
            self = .clusters(clusters)
            return
        }
        let list = NeighborList(atomCount: terms.atomCount, cutoff: cutoff, skin: skin, exclusions: terms.exclusions, threads: threads)
        switch precision {
        case .mixed: self = .mixed(EwaldDirectSpace(terms: terms, coulomb: coulomb, threads: threads), list)
        case .double: self = .double(EwaldDirectSpace(terms: terms, coulomb: coulomb, threads: threads), list)
        }
    }

    /// Atom pairs the kernel visits per call (listed pairs, or unmasked pairs of the cluster pairs).
    var pairCount: Int {
        switch self {
        case .clusters(let k): return k.list.interactionCount
        case .mixed(_, let list), .double(_, let list): return list.pairCount
        }
    }

    var buildCount: Int {
        switch self {
        case .clusters(let k): return k.list.buildCount
        case .mixed(_, let list), .double(_, let list): return list.buildCount
        }
    }

    /// The next call rebuilds the list from scratch.
    func invalidate() {
        switch self {
        case .clusters(let k): k.list.invalidate()
        case .mixed(_, let list), .double(_, let list): list.invalidate()
        }
    }

    func compute(_ x: UnsafeBufferPointer<Double>, box: Box, alpha: Double, cutoff: Double,
                 _ forces: UnsafeMutableBufferPointer<Double>) throws -> (elec: Double, vdw: Double) {
        switch self {
        case .clusters(let kernel):
            return try kernel.compute(x, box: box, alpha: alpha, cutoff: cutoff, forces)
        case .mixed(let kernel, let list):
            try list.update(positions: x, box: box)
            return kernel.compute(list, x, alpha: alpha, cutoff: cutoff, forces)
        case .double(let kernel, let list):
            try list.update(positions: x, box: box)
            return kernel.compute(list, x, alpha: alpha, cutoff: cutoff, forces)
        }
    }
}

/// The real-space half of PME plus Lennard-Jones, over a Verlet list: erfc-screened Coulomb and
/// truncated LJ within the cutoff, in `Real` with Double energy sums per atom.
/// Buffers are sized once; a call allocates nothing.
final class EwaldDirectSpace<Real: KernelReal> {
    private let atomCount: Int
    private let threads: Int
    private let nt: Int
    /// Charges times √(Coulomb constant), so a product is k·qi·qj.
    private var scaledCharges: [Real]
    private var types: [Int32]
    private var ljA: [Real]
    private var ljB: [Real]
    /// x, y, z near the cell and the scaled charge, one vector per atom (one load per neighbour).
    private var local: [SIMD4<Real>]
    private var threadForces: [[SIMD4<Real>]]
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
        local = Array(repeating: .zero, count: terms.atomCount)
        threadForces = Array(repeating: Array(repeating: .zero, count: terms.atomCount), count: self.threads)
        partial = Array(repeating: (0, 0), count: self.threads)
    }

    func compute(_ list: NeighborList, _ x: UnsafeBufferPointer<Double>, alpha: Double, cutoff: Double,
                 _ forces: UnsafeMutableBufferPointer<Double>) -> (elec: Double, vdw: Double) {
        // Positions relative to each atom's build-time lattice offset: near the cell, so Float keeps
        // its precision however far atoms have diffused.
        local.withUnsafeMutableBufferPointer { l in
            for i in 0..<atomCount {
                let o = list.offsets[i]
                l[i] = SIMD4(Real(x[3 * i] - o.x), Real(x[3 * i + 1] - o.y), Real(x[3 * i + 2] - o.z), scaledCharges[i])
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
        types.withUnsafeBufferPointer { type in
        ljA.withUnsafeBufferPointer { ljA in
        ljB.withUnsafeBufferPointer { ljB in
        partial.withUnsafeMutableBufferPointer { partial in
            DispatchQueue.concurrentPerform(iterations: work) { t in
                threadForces[t].withUnsafeMutableBufferPointer { f in
                    f.update(repeating: .zero)
                    let s = segments[t]
                    var elec = 0.0, vdw = 0.0
                    s.order.withUnsafeBufferPointer { order in
                    s.starts.withUnsafeBufferPointer { starts in
                    s.neighbors.withUnsafeBufferPointer { neighbors in
                    s.shiftCodes.withUnsafeBufferPointer { codes in
                        for k in 0..<order.count {
                            let i = Int(order[k])
                            let pi = pos[i]
                            let row = Int(type[i]) * nt
                            var fx = SIMD8<Real>(), fy = SIMD8<Real>(), fz = SIMD8<Real>()
                            var rowElec = SIMD8<Real>(), rowVdw = SIMD8<Real>()
                            var p = Int(starts[k])
                            let end = Int(starts[k + 1])
                            while p < end {
                                // Eight neighbours at a time; lanes past the end sit beyond the cutoff.
                                let lanes = min(8, end - p)
                                var dx = SIMD8<Real>(repeating: 0), dy = dx, dz = dx, qj = dx, lj12 = dx, lj6 = dx
                                dx = SIMD8(repeating: Real(cutoff) * 2)
                                var js = SIMD8<Int32>(repeating: -1)
                                for lane in 0..<lanes {
                                    let j = Int(neighbors[p + lane])
                                    js[lane] = Int32(j)
                                    let pj = pos[j]
                                    let shift = shifts[Int(codes[p + lane])]
                                    dx[lane] = pj.x + shift.x - pi.x
                                    dy[lane] = pj.y + shift.y - pi.y
                                    dz[lane] = pj.z + shift.z - pi.z
                                    qj[lane] = pj.w
                                    let t = row + Int(type[j])
                                    lj12[lane] = ljA[t]
                                    lj6[lane] = ljB[t]
                                }
                                p += lanes
                                let r2 = dx * dx + dy * dy + dz * dz
                                let inside = r2 .< cut2
                                if !any(inside) { continue }
                                let inv2 = 1 / r2
                                let inv = inv2.squareRoot()
                                let ar = a * r2 * inv
                                let (screen, gaussian) = Real.complementaryErrorAndGaussian(ar)
                                let qq = pi.w * qj
                                let e = qq * screen * inv
                                let inv6 = inv2 * inv2 * inv2
                                lj12 = lj12 * inv6 * inv6
                                lj6 = lj6 * inv6
                                let zero = SIMD8<Real>()
                                let sOverR = ((e + qq * twoAlphaOverRootPi * gaussian + 12 * lj12 - 6 * lj6) * inv2).replacing(with: zero, where: .!inside)
                                rowElec += e.replacing(with: zero, where: .!inside)
                                rowVdw += (lj12 - lj6).replacing(with: zero, where: .!inside)
                                let gx = sOverR * dx, gy = sOverR * dy, gz = sOverR * dz
                                fx -= gx; fy -= gy; fz -= gz
                                for lane in 0..<lanes where inside[lane] {
                                    f[Int(js[lane])] += SIMD4(gx[lane], gy[lane], gz[lane], 0)
                                }
                            }
                            f[i] += SIMD4(fx.sum(), fy.sum(), fz.sum(), 0)
                            elec += Double(rowElec.sum())
                            vdw += Double(rowVdw.sum())
                        }
                    } } } }
                    partial[t] = (elec, vdw)
                }
            }
        } } } } }
        for t in 0..<work {
            threadForces[t].withUnsafeBufferPointer { f in
                for i in 0..<atomCount {
                    forces[3 * i] += Double(f[i].x)
                    forces[3 * i + 1] += Double(f[i].y)
                    forces[3 * i + 2] += Double(f[i].z)
                }
            }
        }
        return partial.prefix(work).reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }
}
