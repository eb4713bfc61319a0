import _Builtin_intrinsics.intel
import Dispatch
import Foundation
import MDCore

/// Per-type Lennard-Jones parameters when the prmtop's A/B tables follow the Lorentz–Berthelot rules
/// (σij = (σi + σj)/2, εij = √(εi εj)), so a kernel can combine per-atom values instead of looking up
/// the type-pair tables. nil when some pair deviates (NBFIX) or a type has only one of A and B.
struct LorentzBerthelot {
    var sigma: [Double]
    var epsilon: [Double]

    init?(terms: AmberTerms, tolerance: Double = 1e-6) {
        let nt = terms.ljTypeCount
        sigma = Array(repeating: 0, count: nt)
        epsilon = Array(repeating: 0, count: nt)
        // A = 4εσ¹², B = 4εσ⁶ on the diagonal.
        for t in 0..<nt {
            let a = terms.ljA[t * nt + t], b = terms.ljB[t * nt + t]
            if a == 0 && b == 0 { continue }
            guard a > 0, b > 0 else { return nil }
            sigma[t] = Foundation.pow(a / b, 1.0 / 6)
            epsilon[t] = b * b / (4 * a)
        }
        for t in 0..<nt {
            for u in 0..<nt {
                let s = (sigma[t] + sigma[u]) / 2, e = (epsilon[t] * epsilon[u]).squareRoot()
                let s6 = s * s * s * s * s * s
                let a = 4 * e * s6 * s6, b = 4 * e * s6
                let ta = terms.ljA[t * nt + u], tb = terms.ljB[t * nt + u]
                guard abs(ta - a) <= tolerance * max(abs(ta), abs(a)), abs(tb - b) <= tolerance * max(abs(tb), abs(b)) else { return nil }
            }
        }
    }
}

/// The PME direct-space sum plus Lennard-Jones over a `ClusterPairList`, in Float with Double energy
/// sums (the "mixed" precision): per cluster pair, each of the eight i atoms meets the eight j atoms
/// in one SIMD8 step from contiguous Structure-of-Arrays data, j forces stay in registers across the
/// i loop and are stored once per pair, i forces are reduced once per i cluster. Lennard-Jones by the
/// Lorentz–Berthelot rules from per-atom σ/2 and 2√ε (so no type-table gathers).
/// Buffers are sized at list builds; a call between builds allocates nothing.
final class ClusterDirectSpace {
    typealias V = SIMD8<Float>
    let list: ClusterPairList
    private let threads: Int
    /// Per atom: charge × √(Coulomb constant), σ/2 and 2√ε. (σij rounded to Float enters as σij¹²: a
    /// bias of up to ~10⁻⁶ in the LJ terms of a type pair, where the per-atom kernel's rounded A, B have 10⁻⁷.)
    private let scaledCharges: [Float]
    private let halfSigma: [Float]
    private let twoRootEpsilon: [Float]
    /// Per cluster, eight lanes each.
    private var x: [V] = [], y: [V] = [], z: [V] = []
    private var q: [V] = [], sigma: [V] = [], epsilon: [V] = []
    /// Per thread, per cluster: force x, y, z (three vectors per cluster).
    private var threadForces: [[V]] = []
    private var partial: [(Double, Double)]
    private var parametersForBuild = -1

    init?(terms: AmberTerms, coulomb: Double, cutoff: Double, skin: Double, threads: Int) {
        guard let lb = LorentzBerthelot(terms: terms) else { return nil }
        self.threads = max(1, threads)
        scaledCharges = terms.charges.map { Float($0 * coulomb.squareRoot()) }
        halfSigma = terms.ljTypes.map { Float(lb.sigma[Int($0)] / 2) }
        twoRootEpsilon = terms.ljTypes.map { Float(2 * lb.epsilon[Int($0)].squareRoot()) }
        list = ClusterPairList(atomCount: terms.atomCount, cutoff: cutoff, skin: skin, exclusions: terms.exclusions, threads: self.threads)
        partial = Array(repeating: (0, 0), count: self.threads)
    }

    /// Cluster-order copies of the per-atom parameters, after a list build.
    private func refreshParameters() {
        let clusters = list.clusterCount
        q = Array(repeating: V(), count: clusters)
        sigma = q; epsilon = q; x = q; y = q; z = q
        threadForces = Array(repeating: Array(repeating: V(), count: 3 * clusters), count: threads)
        let slots = list.slotAtom
        for k in 0..<clusters {
            for lane in 0..<8 {
                let atom = Int(slots[8 * k + lane])
                guard atom >= 0 else { continue }
                q[k][lane] = scaledCharges[atom]
                sigma[k][lane] = halfSigma[atom]
                epsilon[k][lane] = twoRootEpsilon[atom]
            }
        }
        parametersForBuild = list.buildCount
    }

    func compute(_ positions: UnsafeBufferPointer<Double>, box: Box, alpha: Double, cutoff: Double,
                 _ forces: UnsafeMutableBufferPointer<Double>) throws -> (elec: Double, vdw: Double) {
        try list.update(positions: positions, box: box)
        if parametersForBuild != list.buildCount { refreshParameters() }
        let clusters = list.clusterCount
        // Positions relative to each atom's build-time lattice offset (near the cell), in cluster order.
        list.slotAtom.withUnsafeBufferPointer { slots in
        list.offsets.withUnsafeBufferPointer { offsets in
            for k in 0..<clusters {
                var cx = V(), cy = V(), cz = V()
                for lane in 0..<8 {
                    let atom = Int(slots[8 * k + lane])
                    guard atom >= 0 else { continue }
                    let o = offsets[atom]
                    cx[lane] = Float(positions[3 * atom] - o.x)
                    cy[lane] = Float(positions[3 * atom + 1] - o.y)
                    cz[lane] = Float(positions[3 * atom + 2] - o.z)
                }
                x[k] = cx; y[k] = cy; z[k] = cz
            }
        } }
        var shifts = [SIMD3<Float>](repeating: .zero, count: 27)
        for (k, s) in list.shiftVectors.enumerated() { shifts[k] = SIMD3(Float(s.x), Float(s.y), Float(s.z)) }
        let chunks = list.chunks
        let work = chunks.count
        let cut2 = Float(cutoff * cutoff)
        let a = Float(alpha)
        let twoAlphaOverRootPi = Float(2 * alpha / Double.pi.squareRoot())
        x.withUnsafeBufferPointer { xs in
        y.withUnsafeBufferPointer { ys in
        z.withUnsafeBufferPointer { zs in
        q.withUnsafeBufferPointer { qs in
        sigma.withUnsafeBufferPointer { ss in
        epsilon.withUnsafeBufferPointer { es in
        list.pairStart.withUnsafeBufferPointer { starts in
        list.pairJ.withUnsafeBufferPointer { pairJ in
        list.pairShift.withUnsafeBufferPointer { pairShift in
        list.pairMask.withUnsafeBufferPointer { pairMask in
        shifts.withUnsafeBufferPointer { shifts in
        partial.withUnsafeMutableBufferPointer { partial in
            DispatchQueue.concurrentPerform(iterations: work) { t in
                threadForces[t].withUnsafeMutableBufferPointer { f in
                    f.update(repeating: V())
                    partial[t] = Self.kernel(chunks[t], xs, ys, zs, qs, ss, es, starts, pairJ, pairShift, pairMask, shifts, f,
                                             cut2: cut2, alpha: a, twoAlphaOverRootPi: twoAlphaOverRootPi)
                }
            }
        } } } } } } } } } } } }
        // Sum the threads' forces in Double, back into atom order.
        list.slotAtom.withUnsafeBufferPointer { slots in
            for k in 0..<clusters {
                var fx = SIMD8<Double>(), fy = fx, fz = fx
                for t in 0..<work {
                    threadForces[t].withUnsafeBufferPointer { f in
                        for lane in 0..<8 {
                            fx[lane] += Double(f[3 * k][lane]); fy[lane] += Double(f[3 * k + 1][lane]); fz[lane] += Double(f[3 * k + 2][lane])
                        }
                    }
                }
                for lane in 0..<8 {
                    let atom = Int(slots[8 * k + lane])
                    guard atom >= 0 else { continue }
                    forces[3 * atom] += fx[lane]
                    forces[3 * atom + 1] += fy[lane]
                    forces[3 * atom + 2] += fz[lane]
                }
            }
        }
        return partial.prefix(work).reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }

    /// 1/√x from the SSE estimate (12 bits) and two Newton steps: Float rounding. (After one step the
    /// error is up to 2·10⁻⁷ and always of one sign, which r⁻¹² turns into a 10⁻⁶ bias in LJ energies.)
    @inline(__always)
    static func reciprocalSquareRoot(_ x: V) -> V {
        let half = V(repeating: 0.5) * x
        var y = V(lowHalf: _mm_rsqrt_ps(x.lowHalf), highHalf: _mm_rsqrt_ps(x.highHalf))
        y = y * (V(repeating: 1.5) - half * y * y)
        return y * (V(repeating: 1.5) - half * y * y)
    }

    /// 1/x from the SSE estimate and one Newton step: relative error below 2·10⁻⁷.
    @inline(__always)
    static func reciprocal(_ x: V) -> V {
        let y = V(lowHalf: _mm_rcp_ps(x.lowHalf), highHalf: _mm_rcp_ps(x.highHalf))
        return y * (V(repeating: 2) - x * y)
    }

    /// erfc(x) and e^(−x²) as `Float.complementaryErrorAndGaussian`, for 0 ≤ x < 9 (x² within the
    /// exponential's range without clamping) and with the division replaced by `reciprocal`.
    @inline(__always)
    static func complementaryErrorAndGaussian(_ x: V) -> (erfc: V, gaussian: V) {
        let y = -x * x
        let magic = V(repeating: 12582912)
        let shifted = y * V(repeating: 1.44269504) + magic
        let n = shifted - magic
        let r = y - n * V(repeating: 0.693145752) - n * V(repeating: 1.42860677e-6)
        var p = V(repeating: 0.00138888892)
        p = p * r + V(repeating: 0.00833333377)
        p = p * r + V(repeating: 0.0416666679)
        p = p * r + V(repeating: 0.166666672)
        p = p * r + V(repeating: 0.5)
        p = p * r + V(repeating: 1)
        p = p * r + V(repeating: 1)
        let bits = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        let g = p * unsafeBitCast(bits, to: V.self)
        let t = reciprocal(V(repeating: 1) + V(repeating: 0.3275911) * x)
        var poly = V(repeating: 1.061405429)
        poly = poly * t + V(repeating: -1.453152027)
        poly = poly * t + V(repeating: 1.421413741)
        poly = poly * t + V(repeating: -0.284496736)
        poly = poly * t + V(repeating: 0.254829592)
        return (poly * t * g, g)
    }

    /// For each mask byte, lanes all ones where the byte's bit is set.
    private static let laneMasks: [SIMD8<Int32>] = (0..<256).map { b in
        var m = SIMD8<Int32>()
        for lane in 0..<8 where b & (1 << lane) != 0 { m[lane] = -1 }
        return m
    }

    @inline(__always)
    private static func kernel(_ range: Range<Int>, _ xs: UnsafeBufferPointer<V>, _ ys: UnsafeBufferPointer<V>, _ zs: UnsafeBufferPointer<V>,
                               _ qs: UnsafeBufferPointer<V>, _ ss: UnsafeBufferPointer<V>, _ es: UnsafeBufferPointer<V>,
                               _ starts: UnsafeBufferPointer<Int32>, _ pairJ: UnsafeBufferPointer<Int32>, _ pairShift: UnsafeBufferPointer<UInt8>,
                               _ pairMask: UnsafeBufferPointer<UInt64>, _ shifts: UnsafeBufferPointer<SIMD3<Float>>,
                               _ f: UnsafeMutableBufferPointer<V>, cut2: Float, alpha: Float, twoAlphaOverRootPi: Float) -> (Double, Double) {
        var elec = 0.0, vdw = 0.0
        typealias I = SIMD8<Int32>
        let zero = V()
        let cutBits = unsafeBitCast(V(repeating: cut2), to: I.self)
        // i-force accumulators: eight lanes per i atom and axis, summed across lanes once per i cluster.
        var fi = (V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(),
                  V(), V(), V(), V(), V(), V(), V(), V())
        // Lane masks (all ones or zero) of each mask byte; SIMDMask comparisons with integers are
        // scalarised on baseline x86-64, so the kernel works on bit patterns throughout.
        let table = Self.laneMasks
        withUnsafeMutableBytes(of: &fi) { raw in
          table.withUnsafeBufferPointer { table in
            let acc = raw.baseAddress!.assumingMemoryBound(to: V.self)
            for ci in range {
                let first = Int(starts[ci]), last = Int(starts[ci + 1])
                if first == last { continue }
                for k in 0..<24 { acc[k] = zero }
                let ix = xs[ci], iy = ys[ci], iz = zs[ci], iq = qs[ci], isg = ss[ci], ie = es[ci]
                for p in first..<last {
                    let cj = Int(pairJ[p])
                    let s = shifts[Int(pairShift[p])]
                    let mask = pairMask[p]
                    // Shift the i atoms instead of the j atoms: j vectors are used as loaded.
                    let sx = ix - s.x, sy = iy - s.y, sz = iz - s.z
                    let jx = xs[cj], jy = ys[cj], jz = zs[cj], jq = qs[cj], js = ss[cj], je = es[cj]
                    var fjx = zero, fjy = zero, fjz = zero
                    var pairElec = zero, pairVdw = zero
                    for i in 0..<8 {
                        let row = Int((mask >> UInt64(8 * i)) & 0xFF)
                        if row == 0 { continue }
                        let dx = jx - sx[i], dy = jy - sy[i], dz = jz - sz[i]
                        let r2 = dx * dx + dy * dy + dz * dz
                        // Sign bit of r2 − cut² spread over the lane: all ones inside the cutoff.
                        let inside = (unsafeBitCast(r2 - cut2, to: I.self) &>> 31) & table[row]
                        let safeR2 = unsafeBitCast((unsafeBitCast(r2, to: I.self) & inside) | (cutBits & ~inside), to: V.self)
                        let qq = unsafeBitCast(unsafeBitCast(iq[i] * jq, to: I.self) & inside, to: V.self)
                        let eps = unsafeBitCast(unsafeBitCast(ie[i] * je, to: I.self) & inside, to: V.self)
                        let sig = isg[i] + js
                        let inv = reciprocalSquareRoot(safeR2)
                        let inv2 = inv * inv
                        let (screen, gaussian) = complementaryErrorAndGaussian(alpha * safeR2 * inv)
                        let e = qq * screen * inv
                        let sr2 = sig * sig * inv2
                        let sr6 = sr2 * sr2 * sr2
                        let lj6 = eps * sr6
                        let lj12 = lj6 * sr6
                        pairElec += e
                        pairVdw += lj12 - lj6
                        let sOverR = (e + qq * twoAlphaOverRootPi * gaussian + 12 * lj12 - 6 * lj6) * inv2
                        let gx = sOverR * dx, gy = sOverR * dy, gz = sOverR * dz
                        fjx += gx; fjy += gy; fjz += gz
                        acc[3 * i] -= gx; acc[3 * i + 1] -= gy; acc[3 * i + 2] -= gz
                    }
                    f[3 * cj] += fjx; f[3 * cj + 1] += fjy; f[3 * cj + 2] += fjz
                    elec += Double(pairElec.sum())
                    vdw += Double(pairVdw.sum())
                }
                var fx = zero, fy = zero, fz = zero
                for i in 0..<8 {
                    fx[i] = acc[3 * i].sum(); fy[i] = acc[3 * i + 1].sum(); fz[i] = acc[3 * i + 2].sum()
                }
                f[3 * ci] += fx; f[3 * ci + 1] += fy; f[3 * ci + 2] += fz
            }
          }
        }
        return (elec, vdw)
    }
}
