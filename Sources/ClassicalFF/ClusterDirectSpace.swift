#if arch(x86_64) && !CLUSTER_KERNEL_PORTABLE
import _Builtin_intrinsics.intel
#endif
import Dispatch
import Foundation
import MDCore

#if !arch(x86_64) || CLUSTER_KERNEL_PORTABLE
// The few SSE intrinsics the cluster kernel uses, in portable Swift for other architectures (exact
// 1/√x and 1/x where SSE has estimates; the Newton steps after them are then harmless). Build with
// -Xswiftc -DCLUSTER_KERNEL_PORTABLE to test this path on x86-64.
typealias __m128i = SIMD4<Int32>
@inline(__always) func _mm_set1_ps(_ x: Float) -> SIMD4<Float> { SIMD4(repeating: x) }
@inline(__always) func _mm_setzero_ps() -> SIMD4<Float> { SIMD4() }
@inline(__always) func _mm_add_ps(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a + b }
@inline(__always) func _mm_sub_ps(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a - b }
@inline(__always) func _mm_mul_ps(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a * b }
@inline(__always) func _mm_max_ps(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { pointwiseMax(a, b) }
@inline(__always) func _mm_min_ps(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { pointwiseMin(a, b) }
@inline(__always) func _mm_rsqrt_ps(_ x: SIMD4<Float>) -> SIMD4<Float> { 1 / x.squareRoot() }
@inline(__always) func _mm_rcp_ps(_ x: SIMD4<Float>) -> SIMD4<Float> { 1 / x }
@inline(__always) func _mm_castps_si128(_ x: SIMD4<Float>) -> __m128i { unsafeBitCast(x, to: __m128i.self) }
@inline(__always) func _mm_castsi128_ps(_ x: __m128i) -> SIMD4<Float> { unsafeBitCast(x, to: SIMD4<Float>.self) }
@inline(__always) func _mm_and_ps(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { _mm_castsi128_ps(_mm_castps_si128(a) & _mm_castps_si128(b)) }
@inline(__always) func _mm_xor_ps(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { _mm_castsi128_ps(_mm_castps_si128(a) ^ _mm_castps_si128(b)) }
@inline(__always) func _mm_cmplt_ps(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
    _mm_castsi128_ps(SIMD4<Int32>(a.x < b.x ? -1 : 0, a.y < b.y ? -1 : 0, a.z < b.z ? -1 : 0, a.w < b.w ? -1 : 0))
}
@inline(__always) func _mm_set1_epi32(_ x: Int32) -> __m128i { SIMD4(repeating: x) }
@inline(__always) func _mm_sub_epi32(_ a: __m128i, _ b: __m128i) -> __m128i { a &- b }
@inline(__always) func _mm_slli_epi32(_ a: __m128i, _ n: Int32) -> __m128i { a &<< n }
@inline(__always) func _mm_movemask_ps(_ x: SIMD4<Float>) -> Int32 {
    let b = _mm_castps_si128(x)
    return (b.x < 0 ? 1 : 0) | (b.y < 0 ? 2 : 0) | (b.z < 0 ? 4 : 0) | (b.w < 0 ? 8 : 0)
}
#endif

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
///
/// Dynamic pruning (as GROMACS does): the list holds everything within cutoff + skin of the build
/// positions; a cheap pass keeps, per cluster pair, only the i rows and j lanes within cutoff +
/// `pruneMargin` of the current positions, and is repeated once an atom has moved more than half
/// that margin since. The kernel skips pruned rows.
/// Buffers are sized at list builds; a call between builds allocates nothing.
final class ClusterDirectSpace {
    typealias V = SIMD8<Float>
    let list: ClusterPairList
    let pruneMargin: Double
    private let threads: Int
    /// Per atom: charge × √(Coulomb constant), σ/2 and 2√ε. (σij rounded to Float enters as σij¹²: a
    /// bias of up to ~10⁻⁶ in the LJ terms of a type pair, where the per-atom kernel's rounded A, B have 10⁻⁷.)
    private let scaledCharges: [Float]
    private let halfSigma: [Float]
    private let twoRootEpsilon: [Float]
    /// Per cluster, `fields` vectors of eight lanes: x, y, z, scaled charge, σ/2, 2√ε.
    static let fields = 6
    private var data = UnsafeMutablePointer<V>.allocate(capacity: 0)
    /// Per thread, per cluster: force x, y, z.
    private var threadForces: [UnsafeMutablePointer<V>] = []
    /// The list's masks with pruned rows and lanes cleared.
    private var liveMask: [UInt64] = []
    private var prunedPositions: [Double] = []
    private var partial: [(Double, Double)]
    private var shifts = [SIMD3<Float>](repeating: .zero, count: 27)
    private var parametersForBuild = -1
    private(set) var pruneCount = 0

    init?(terms: AmberTerms, coulomb: Double, cutoff: Double, skin: Double, threads: Int) {
        guard let lb = LorentzBerthelot(terms: terms) else { return nil }
        self.threads = max(1, threads)
        scaledCharges = terms.charges.map { Float($0 * coulomb.squareRoot()) }
        halfSigma = terms.ljTypes.map { Float(lb.sigma[Int($0)] / 2) }
        twoRootEpsilon = terms.ljTypes.map { Float(2 * lb.epsilon[Int($0)].squareRoot()) }
        list = ClusterPairList(atomCount: terms.atomCount, cutoff: cutoff, skin: skin, exclusions: terms.exclusions, threads: self.threads)
        pruneMargin = skin / 2
        partial = Array(repeating: (0, 0), count: self.threads)
    }

    deinit {
        data.deallocate()
        for f in threadForces { f.deallocate() }
    }

    /// Cluster-order copies of the per-atom parameters and buffers sized for the list, after a build.
    private func refreshParameters() {
        let clusters = list.clusterCount
        data.deallocate()
        data = UnsafeMutablePointer<V>.allocate(capacity: Self.fields * clusters)
        data.initialize(repeating: V(), count: Self.fields * clusters)
        for f in threadForces { f.deallocate() }
        threadForces = (0..<threads).map { _ in
            let f = UnsafeMutablePointer<V>.allocate(capacity: 3 * clusters)
            f.initialize(repeating: V(), count: 3 * clusters)
            return f
        }
        let slots = list.slotAtom
        for k in 0..<clusters {
            for lane in 0..<8 {
                let atom = Int(slots[8 * k + lane])
                guard atom >= 0 else { continue }
                data[Self.fields * k + 3][lane] = scaledCharges[atom]
                data[Self.fields * k + 4][lane] = halfSigma[atom]
                data[Self.fields * k + 5][lane] = twoRootEpsilon[atom]
            }
        }
        liveMask = Array(repeating: 0, count: list.clusterPairCount)
        prunedPositions = []
        for (k, s) in list.shiftVectors.enumerated() { shifts[k] = SIMD3(Float(s.x), Float(s.y), Float(s.z)) }
        parametersForBuild = list.buildCount
    }

    /// Whether some atom moved more than half the prune margin since the last prune.
    private func needsPrune(_ positions: UnsafeBufferPointer<Double>) -> Bool {
        guard prunedPositions.count == positions.count else { return true }
        let limit = (pruneMargin / 2) * (pruneMargin / 2)
        return prunedPositions.withUnsafeBufferPointer { old in
            for i in 0..<positions.count / 3 {
                let dx = positions[3 * i] - old[3 * i], dy = positions[3 * i + 1] - old[3 * i + 1], dz = positions[3 * i + 2] - old[3 * i + 2]
                if dx * dx + dy * dy + dz * dz > limit { return true }
            }
            return false
        }
    }

    func compute(_ positions: UnsafeBufferPointer<Double>, box: Box, alpha: Double, cutoff: Double,
                 _ forces: UnsafeMutableBufferPointer<Double>) throws -> (elec: Double, vdw: Double) {
        try list.update(positions: positions, box: box)
        if parametersForBuild != list.buildCount { refreshParameters() }
        let clusters = list.clusterCount
        let data = self.data
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
                data[Self.fields * k] = cx; data[Self.fields * k + 1] = cy; data[Self.fields * k + 2] = cz
            }
        } }
        let chunks = list.chunks
        let work = chunks.count
        let prune = needsPrune(positions)
        if prune {
            prunedPositions = Array(positions)
            pruneCount += 1
        }
        let inner2 = Float((cutoff + pruneMargin) * (cutoff + pruneMargin))
        let parameters = KernelParameters(cut2: Float(cutoff * cutoff), alpha: Float(alpha),
                                          twoAlphaOverRootPi: Float(2 * alpha / Double.pi.squareRoot()))
        let forceBuffers = threadForces
        list.pairStart.withUnsafeBufferPointer { starts in
        list.pairJ.withUnsafeBufferPointer { pairJ in
        list.pairShift.withUnsafeBufferPointer { pairShift in
        list.pairMask.withUnsafeBufferPointer { pairMask in
        liveMask.withUnsafeMutableBufferPointer { live in
        shifts.withUnsafeBufferPointer { shifts in
        partial.withUnsafeMutableBufferPointer { partial in
            let pairs = PairArrays(starts: starts.baseAddress!, j: pairJ.baseAddress!, shift: pairShift.baseAddress!, live: live.baseAddress!,
                                   shifts: shifts.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: work) { t in
                if prune { Self.prune(chunks[t], data, pairs, pairMask.baseAddress!, inner2: inner2) }
                let f = forceBuffers[t]
                f.update(repeating: V(), count: 3 * clusters)
                partial[t] = Self.kernel(chunks[t], data, pairs, f, parameters)
            }
        } } } } } } }
        // Sum the threads' forces in Double, back into atom order.
        list.slotAtom.withUnsafeBufferPointer { slots in
            for k in 0..<clusters {
                var fx = SIMD8<Double>(), fy = fx, fz = fx
                for t in 0..<work {
                    let f = forceBuffers[t]
                    for lane in 0..<8 {
                        fx[lane] += Double(f[3 * k][lane]); fy[lane] += Double(f[3 * k + 1][lane]); fz[lane] += Double(f[3 * k + 2][lane])
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
        var sum = (0.0, 0.0)
        for t in 0..<work { sum.0 += partial[t].0; sum.1 += partial[t].1 }
        return sum
    }

    struct KernelParameters { var cut2, alpha, twoAlphaOverRootPi: Float }

    struct PairArrays {
        var starts: UnsafePointer<Int32>
        var j: UnsafePointer<Int32>
        var shift: UnsafePointer<UInt8>
        var live: UnsafeMutablePointer<UInt64>
        var shifts: UnsafePointer<SIMD3<Float>>
    }

    /// Lanes (bit per lane, as a mask byte) where x is negative.
    @inline(__always)
    static func signBits(_ x: V) -> Int {
        Int(_mm_movemask_ps(x.lowHalf)) | Int(_mm_movemask_ps(x.highHalf)) << 4
    }

    /// The live masks of the pairs of i clusters `range`: the list's masks restricted to pairs closer
    /// than √inner2 now.
    private static func prune(_ range: Range<Int>, _ data: UnsafeMutablePointer<V>, _ pairs: PairArrays,
                              _ pairMask: UnsafePointer<UInt64>, inner2: Float) {
        let xf = UnsafeMutableRawPointer(data).assumingMemoryBound(to: Float.self)
        for ci in range {
            for p in Int(pairs.starts[ci])..<Int(pairs.starts[ci + 1]) {
                let cj = Int(pairs.j[p])
                let s = pairs.shifts[Int(pairs.shift[p])]
                let mask = pairMask[p]
                let jx = data[fields * cj], jy = data[fields * cj + 1], jz = data[fields * cj + 2]
                var live: UInt64 = 0
                for i in 0..<8 {
                    let row = Int((mask >> UInt64(8 * i)) & 0xFF)
                    if row == 0 { continue }
                    let base = 8 * fields * ci + i
                    let dx = jx - (xf[base] - s.x), dy = jy - (xf[base + 8] - s.y), dz = jz - (xf[base + 16] - s.z)
                    let r2 = dx * dx + dy * dy + dz * dz
                    live |= UInt64(signBits(r2 - inner2) & row) << UInt64(8 * i)
                }
                pairs.live[p] = live
            }
        }
    }

    typealias W = SIMD4<Float>

    // SSE intrinsics spelled short. The kernel uses them rather than SIMD4's operators: those are
    // defined lane by lane and left to LLVM to re-vectorise, which on baseline x86-64 comes out with
    // a dozen shuffles per step; the intrinsics are single instructions.
    @inline(__always) static func mul(_ a: W, _ b: W) -> W { _mm_mul_ps(a, b) }
    @inline(__always) static func add(_ a: W, _ b: W) -> W { _mm_add_ps(a, b) }
    @inline(__always) static func sub(_ a: W, _ b: W) -> W { _mm_sub_ps(a, b) }
    @inline(__always) static func fma(_ a: W, _ b: W, _ c: W) -> W { _mm_add_ps(_mm_mul_ps(a, b), c) }
    @inline(__always) static func splat(_ x: Float) -> W { _mm_set1_ps(x) }

    /// 1/√x from the SSE estimate (12 bits) and one Newton step: relative error below 2·10⁻⁷.
    @inline(__always)
    static func reciprocalSquareRoot(_ x: W) -> W {
        let y = _mm_rsqrt_ps(x)
        return mul(mul(splat(0.5), y), sub(splat(3), mul(x, mul(y, y))))
    }

    /// 1/x from the SSE estimate and one Newton step: relative error below 2·10⁻⁷.
    @inline(__always)
    static func reciprocal(_ x: W) -> W {
        let y = _mm_rcp_ps(x)
        return mul(y, sub(splat(2), mul(x, y)))
    }

    /// erfc(x) and e^(−x²) as `Float.complementaryErrorAndGaussian`, for 0 ≤ x ≤ 9 (x² within the
    /// exponential's range without clamping) and with the division replaced by `reciprocal`.
    @inline(__always)
    static func complementaryErrorAndGaussian(_ x: W) -> (erfc: W, gaussian: W) {
        let y = mul(x, _mm_xor_ps(x, splat(-0.0)))
        let magic = splat(12582912)
        let shifted = fma(y, splat(1.44269504), magic)
        let n = sub(shifted, magic)
        let r = sub(sub(y, mul(n, splat(0.693145752))), mul(n, splat(1.42860677e-6)))
        var p = splat(0.00138888892)
        p = fma(p, r, splat(0.00833333377))
        p = fma(p, r, splat(0.0416666679))
        p = fma(p, r, splat(0.166666672))
        p = fma(p, r, splat(0.5))
        p = fma(p, r, splat(1))
        p = fma(p, r, splat(1))
        let bits = _mm_slli_epi32(_mm_sub_epi32(_mm_castps_si128(shifted), _mm_set1_epi32(0x4B40_0000 - 127)), 23)
        let g = mul(p, _mm_castsi128_ps(bits))
        let t = reciprocal(fma(splat(0.3275911), x, splat(1)))
        var poly = splat(1.061405429)
        poly = fma(poly, t, splat(-1.453152027))
        poly = fma(poly, t, splat(1.421413741))
        poly = fma(poly, t, splat(-0.284496736))
        poly = fma(poly, t, splat(0.254829592))
        return (mul(mul(poly, t), g), g)
    }

    /// For each mask nibble, lanes all ones where the nibble's bit is set.
    private static let laneMasks: [W] = (0..<16).map { b in
        var m = SIMD4<Int32>()
        for lane in 0..<4 where b & (1 << lane) != 0 { m[lane] = -1 }
        return unsafeBitCast(m, to: W.self)
    }

    /// One thread's share: the i clusters `range`. Each cluster pair is done as two 8×4 halves (j lanes
    /// 0–3 and 4–7) in SSE-width vectors: with only sixteen xmm registers on baseline x86-64, eight-wide
    /// vectors spill; four-wide ones keep a half's j data and accumulators in registers. Halves and
    /// rows without live lanes are skipped.
    @inline(__always)
    private static func kernel(_ range: Range<Int>, _ data: UnsafeMutablePointer<V>, _ pairs: PairArrays,
                               _ f: UnsafeMutablePointer<V>, _ k: KernelParameters) -> (Double, Double) {
        var elec = 0.0, vdw = 0.0
        let zero = _mm_setzero_ps()
        let xf = UnsafeMutableRawPointer(data).assumingMemoryBound(to: Float.self)
        let d4 = UnsafeMutableRawPointer(data).assumingMemoryBound(to: W.self)
        let f4 = UnsafeMutableRawPointer(f).assumingMemoryBound(to: W.self)
        let cut2 = splat(k.cut2), alpha = splat(k.alpha), twoAlphaOverRootPi = splat(k.twoAlphaOverRootPi)
        let minR2 = splat(0.01), maxAR = splat(9), twelve = splat(12), six = splat(6)
        // i-force accumulators: four lanes per i atom and axis, summed across lanes once per i cluster.
        var fi = (W(), W(), W(), W(), W(), W(), W(), W(), W(), W(), W(), W(), W(), W(), W(), W(),
                  W(), W(), W(), W(), W(), W(), W(), W())
        let table = Self.laneMasks
        withUnsafeMutableBytes(of: &fi) { raw in
          table.withUnsafeBufferPointer { table in
            let acc = raw.baseAddress!.assumingMemoryBound(to: W.self)
            for ci in range {
                let first = Int(pairs.starts[ci]), last = Int(pairs.starts[ci + 1])
                if first == last { continue }
                for k in 0..<24 { acc[k] = zero }
                let ib = 8 &* fields &* ci
                for p in first..<last {
                    let mask = pairs.live[p]
                    if mask == 0 { continue }
                    let cj = Int(pairs.j[p])
                    let s = pairs.shifts[Int(pairs.shift[p])]
                    var pairElec = zero, pairVdw = zero
                    for half in 0..<2 {
                        let halfMask = (mask >> UInt64(4 &* half)) & 0x0F0F_0F0F_0F0F_0F0F
                        if halfMask == 0 { continue }
                        let jb = 2 &* fields &* cj &+ half
                        let jx = d4[jb], jy = d4[jb &+ 2], jz = d4[jb &+ 4], jq = d4[jb &+ 6], js = d4[jb &+ 8], je = d4[jb &+ 10]
                        var fjx = zero, fjy = zero, fjz = zero
                        for i in 0..<8 {
                            let nibble = Int(truncatingIfNeeded: halfMask >> UInt64(8 &* i)) & 0xF
                            if nibble == 0 { continue }
                            // Shift the i atom instead of the j atoms: j vectors are used as loaded.
                            let dx = sub(jx, splat(xf[ib &+ i] - s.x))
                            let dy = sub(jy, splat(xf[ib &+ 8 &+ i] - s.y))
                            let dz = sub(jz, splat(xf[ib &+ 16 &+ i] - s.z))
                            let r2 = add(add(mul(dx, dx), mul(dy, dy)), mul(dz, dz))
                            let inside = _mm_and_ps(_mm_cmplt_ps(r2, cut2), table[nibble])
                            let qq = _mm_and_ps(mul(splat(xf[ib &+ 24 &+ i]), jq), inside)
                            let eps = _mm_and_ps(mul(splat(xf[ib &+ 40 &+ i]), je), inside)
                            let sig = add(splat(xf[ib &+ 32 &+ i]), js)
                            // Lanes outside carry zero qq and eps; keep their arithmetic finite (r ≥ 0.1 Å, αr ≤ 9).
                            let safeR2 = _mm_max_ps(r2, minR2)
                            let inv = reciprocalSquareRoot(safeR2)
                            let inv2 = mul(inv, inv)
                            let (screen, gaussian) = complementaryErrorAndGaussian(_mm_min_ps(mul(alpha, mul(safeR2, inv)), maxAR))
                            let e = mul(qq, mul(screen, inv))
                            let sr2 = mul(mul(sig, sig), inv2)
                            let sr6 = mul(mul(sr2, sr2), sr2)
                            let lj6 = mul(eps, sr6)
                            let lj12 = mul(lj6, sr6)
                            pairElec = add(pairElec, e)
                            pairVdw = add(pairVdw, sub(lj12, lj6))
                            let fElec = fma(mul(qq, twoAlphaOverRootPi), gaussian, e)
                            let fLJ = sub(mul(twelve, lj12), mul(six, lj6))
                            let sOverR = mul(add(fElec, fLJ), inv2)
                            let gx = mul(sOverR, dx), gy = mul(sOverR, dy), gz = mul(sOverR, dz)
                            fjx = add(fjx, gx); fjy = add(fjy, gy); fjz = add(fjz, gz)
                            let a = 3 &* i
                            acc[a] = sub(acc[a], gx); acc[a &+ 1] = sub(acc[a &+ 1], gy); acc[a &+ 2] = sub(acc[a &+ 2], gz)
                        }
                        let fb = 6 &* cj &+ half
                        f4[fb] = add(f4[fb], fjx); f4[fb &+ 2] = add(f4[fb &+ 2], fjy); f4[fb &+ 4] = add(f4[fb &+ 4], fjz)
                    }
                    elec += Double(pairElec.sum())
                    vdw += Double(pairVdw.sum())
                }
                var fx = V(), fy = V(), fz = V()
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
