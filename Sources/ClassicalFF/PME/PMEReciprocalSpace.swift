import CFFTW
import Dispatch
import Foundation
import MDCore

/// Reciprocal-space part of smooth particle-mesh Ewald (Essmann et al., J. Chem. Phys. 103, 8577 (1995))
/// for orthorhombic and triclinic cells, with OpenMM's conventions (B-spline moduli, forward charge
/// spreading, influence function).
///
///     E_rec = k/(2πV) · Σ_{m≠0} exp(−π²|m|²/α²)/|m|² · |b(m)|² · |F(Q)(m)|²,   m = m₁a* + m₂b* + m₃c*
///
/// `compute` returns only E_rec and adds only its forces. It does not include the self energy
/// (`selfEnergy`), the neutralising-background term for charged systems (`neutralizingBackgroundEnergy`),
/// the real-space erfc sum, or the correction for excluded pairs (−k·q_i q_j·erf(α r)/r); those live with
/// the direct-space code.
///
/// Not thread-safe: one instance must not run `compute` from two threads at once (it reuses its grids).
/// Different instances may run concurrently. FFTW plans are created/destroyed under
/// `PMEReciprocalSpace.fftwPlannerLock` (FFTW's planner is not thread-safe; other FFTW users in the
/// process should take the same lock when planning).
public final class PMEReciprocalSpace {
    /// How much time FFTW may spend choosing its algorithm when the object is created.
    public enum FFTPlanning: Sendable {
        /// FFTW_ESTIMATE: instant planning, somewhat slower transforms.
        case estimate
        /// FFTW_MEASURE: times candidate algorithms at creation (measured 0.1 s for 28×32×27, 0.5 s for
        /// 72×72×80; FFTW remembers the result for later plans of the same shape in the process).
        case measure
    }

    /// Serialises FFTW planning (plan creation and destruction) across the process.
    public static let fftwPlannerLock = NSLock()

    public let atomCount: Int
    public let gridSize: SIMD3<Int>
    /// Ewald splitting parameter, 1/Å.
    public let alpha: Double
    /// B-spline order.
    public let order: Int
    /// Worker count for charge spreading, FFTs and force interpolation.
    public let threadCount: Int

    public var parameters: PMEParameters { PMEParameters(alpha: alpha, gridSize: gridSize, order: order) }

    /// Wall-clock seconds spent in each phase, summed over all `compute` calls (for profiling).
    public struct PhaseTimes: Sendable {
        /// Fractional coordinates, B-splines and charge spreading (including zeroing the grids).
        public var spread = 0.0
        /// Influence function (recomputed only when the box changes).
        public var influence = 0.0
        /// Summing the worker grids, forward FFT, convolution and energy, inverse FFT.
        public var transform = 0.0
        /// Force interpolation.
        public var forces = 0.0
        public var calls = 0
        public var total: Double { spread + influence + transform + forces }
    }
    public private(set) var phaseTimes = PhaseTimes()
    public func resetPhaseTimes() { phaseTimes = PhaseTimes() }

    private let k1: Int, k2: Int, k3: Int
    /// Complex points along the last axis of the half-spectrum (k3/2 + 1).
    private let k3c: Int
    private let realCount: Int
    private let complexCount: Int

    /// FFT input (the charge grid Q of thread 0) and, after the inverse transform, θ_rec ⋆ Q.
    private let realGrid: UnsafeMutablePointer<Double>
    private let complexGrid: UnsafeMutablePointer<fftw_complex>
    /// The same memory seen as interleaved (re, im) doubles.
    private let complexValues: UnsafeMutablePointer<Double>
    /// Charge grids of threads 1…T−1 (summed into realGrid).
    private let extraGrids: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    /// The 3D FFT is done as 2D transforms over (y, z) on x-slabs, then 1D transforms along x on ranges of
    /// (ky, kz) columns, one slab and one column range per FFT task, so both cores work on it. Task t owns
    /// slab x ∈ [slabStart[t], slabStart[t+1]) and columns [columnStart[t], columnStart[t+1]) of the
    /// k2·k3c columns. Plans per task: 2D r2c, 1D forward, 1D backward, 2D c2r.
    private let fftTasks: Int
    private let slabStart: UnsafeMutablePointer<Int>
    private let columnStart: UnsafeMutablePointer<Int>
    private let plans: UnsafeMutablePointer<fftw_plan?>

    /// 1/|b(m)|² per axis, OpenMM's bsplines_moduli (k1 + k2 + k3 values).
    private let moduli: UnsafeMutablePointer<Double>
    /// exp(−π²m²/α²)/(πV·m²·B) on the half-spectrum; depends on the box only (cached).
    private let influence: UnsafeMutablePointer<Double>
    private var influenceBox: (a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>)?

    /// Per atom: 3 × order spline weights and derivatives (x block, y block, z block), first grid index.
    private let theta: UnsafeMutablePointer<Double>
    private let dtheta: UnsafeMutablePointer<Double>
    private let baseIndex: UnsafeMutablePointer<Int32>
    /// Per-worker partial energies and non-finite-coordinate flags.
    private let partialEnergy: UnsafeMutablePointer<Double>
    private let badCoordinate: UnsafeMutablePointer<Bool>
    private let kernels: Kernels

    public convenience init(atomCount: Int, parameters: PMEParameters, threads: Int? = nil, planning: FFTPlanning = .measure) {
        self.init(atomCount: atomCount, gridSize: parameters.gridSize, alpha: parameters.alpha, order: parameters.order,
                  threads: threads, planning: planning)
    }

    /// - Parameters:
    ///   - gridSize: points along a, b, c; each must exceed `order`.
    ///   - alpha: Ewald splitting parameter, 1/Å.
    ///   - order: B-spline order (≥ 3; OpenMM/AMBER use 5).
    ///   - threads: workers for spreading, the FFTs (grids of ≥ 65536 points) and force interpolation
    ///     (default: active processor count). Each worker beyond the first has its own charge grid.
    public init(atomCount: Int, gridSize: SIMD3<Int>, alpha: Double, order: Int = 5,
                threads: Int? = nil, planning: FFTPlanning = .measure) {
        precondition(atomCount >= 0, "PMEReciprocalSpace: negative atom count")
        precondition(order >= 3 && order <= 12, "PMEReciprocalSpace: B-spline order must be 3…12")
        precondition(gridSize.x > order && gridSize.y > order && gridSize.z > order,
                     "PMEReciprocalSpace: every grid dimension must exceed the spline order")
        precondition(alpha > 0, "PMEReciprocalSpace: alpha must be positive")
        self.atomCount = atomCount
        self.gridSize = gridSize
        self.alpha = alpha
        self.order = order
        let workers = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, 64))
        threadCount = workers
        (k1, k2, k3) = (gridSize.x, gridSize.y, gridSize.z)
        k3c = gridSize.z / 2 + 1
        realCount = k1 * k2 * k3
        complexCount = k1 * k2 * k3c

        realGrid = fftw_alloc_real(realCount)!
        complexGrid = fftw_alloc_complex(complexCount)!
        complexValues = UnsafeMutableRawPointer(complexGrid).assumingMemoryBound(to: Double.self)
        extraGrids = .allocate(capacity: max(workers - 1, 1))
        for t in 0..<(workers - 1) { extraGrids[t] = fftw_alloc_real(realCount)! }

        // Below ~64k grid points the transforms take ~0.2 ms and waking a second worker costs more than it saves.
        let tasks = realCount < 65_536 ? 1 : min(workers, k1, k2 * k3c)
        let flags: UInt32 = planning == .measure ? UInt32(FFTW_MEASURE) : UInt32(FFTW_ESTIMATE)
        PMEReciprocalSpace.fftwPlannerLock.lock()
        fftTasks = tasks
        slabStart = .allocate(capacity: tasks + 1)
        columnStart = .allocate(capacity: tasks + 1)
        for t in 0...tasks {
            slabStart[t] = k1 * t / tasks
            columnStart[t] = k2 * k3c * t / tasks
        }
        plans = .allocate(capacity: 4 * tasks)
        let columns = k2 * k3c
        var plane: [Int32] = [Int32(k2), Int32(k3)]
        var line: [Int32] = [Int32(k1)]
        for t in 0..<tasks {
            let slabs = Int32(slabStart[t + 1] - slabStart[t])
            let realSlab = realGrid + slabStart[t] * k2 * k3
            let complexSlab = complexGrid + slabStart[t] * columns
            let firstColumn = complexGrid + columnStart[t]
            let columnCount = Int32(columnStart[t + 1] - columnStart[t])
            plans[4 * t] = fftw_plan_many_dft_r2c(2, &plane, slabs, realSlab, nil, 1, Int32(k2 * k3),
                                                  complexSlab, nil, 1, Int32(columns), flags)
            plans[4 * t + 1] = fftw_plan_many_dft(1, &line, columnCount, firstColumn, nil, Int32(columns), 1,
                                                  firstColumn, nil, Int32(columns), 1, -1 /* FFTW_FORWARD */, flags)
            plans[4 * t + 2] = fftw_plan_many_dft(1, &line, columnCount, firstColumn, nil, Int32(columns), 1,
                                                  firstColumn, nil, Int32(columns), 1, 1 /* FFTW_BACKWARD */, flags)
            plans[4 * t + 3] = fftw_plan_many_dft_c2r(2, &plane, slabs, complexSlab, nil, 1, Int32(columns),
                                                      realSlab, nil, 1, Int32(k2 * k3), flags)
            for j in 0..<4 { precondition(plans[4 * t + j] != nil, "PMEReciprocalSpace: FFTW could not plan the transforms") }
        }
        PMEReciprocalSpace.fftwPlannerLock.unlock()

        moduli = .allocate(capacity: k1 + k2 + k3)
        influence = .allocate(capacity: complexCount)
        theta = .allocate(capacity: max(atomCount * 3 * order, 1))
        dtheta = .allocate(capacity: max(atomCount * 3 * order, 1))
        baseIndex = .allocate(capacity: max(atomCount * 3, 1))
        partialEnergy = .allocate(capacity: workers)
        badCoordinate = .allocate(capacity: workers)
        kernels = Kernels(k1: k1, k2: k2, k3: k3, theta: theta, dtheta: dtheta, baseIndex: baseIndex, potential: realGrid)

        var offset = 0
        for n in [k1, k2, k3] {
            PMEReciprocalSpace.splineModuli(gridPoints: n, order: order, into: moduli + offset)
            offset += n
        }
    }

    deinit {
        PMEReciprocalSpace.fftwPlannerLock.lock()
        for j in 0..<(4 * fftTasks) { fftw_destroy_plan(plans[j]) }
        PMEReciprocalSpace.fftwPlannerLock.unlock()
        fftw_free(realGrid)
        fftw_free(complexGrid)
        for t in 0..<(threadCount - 1) { fftw_free(extraGrids[t]) }
        extraGrids.deallocate()
        plans.deallocate()
        slabStart.deallocate()
        columnStart.deallocate()
        moduli.deallocate()
        influence.deallocate()
        theta.deallocate()
        dtheta.deallocate()
        baseIndex.deallocate()
        partialEnergy.deallocate()
        badCoordinate.deallocate()
    }

    // MARK: - Helpers for the other Ewald terms

    /// Ewald self energy −k·α/√π·Σq², kcal/mol (α in 1/Å, k in kcal·Å/(mol·e²)).
    public static func selfEnergy<C: Sequence>(charges: C, alpha: Double, coulombConstant: Double) -> Double
        where C.Element == Double {
        var sum = 0.0
        for q in charges { sum += q * q }
        return -coulombConstant * alpha / Double.pi.squareRoot() * sum
    }

    /// Energy of the uniform neutralising background Ewald implies for a net charge Q:
    /// −k·π·Q²/(2·V·α²), kcal/mol (OpenMM adds it to the self energy; zero for neutral systems).
    public static func neutralizingBackgroundEnergy(totalCharge: Double, volume: Double, alpha: Double,
                                                   coulombConstant: Double) -> Double {
        -coulombConstant * Double.pi * totalCharge * totalCharge / (2 * volume * alpha * alpha)
    }

    // MARK: - Compute

    /// Adds the reciprocal-space forces (kcal/mol/Å; force = −∂E/∂r) to `forces` and returns the
    /// reciprocal-space energy (kcal/mol). Positions (Å, x y z per atom) may lie anywhere; they are wrapped
    /// in fractional coordinates. Returns NaN (and adds nothing) if a position is not finite or the box is
    /// degenerate. `positions` and `forces` hold at least 3·atomCount values, `charges` at least atomCount.
    @discardableResult
    public func compute(positions: UnsafeBufferPointer<Double>, charges: UnsafeBufferPointer<Double>, box: Box,
                        coulombConstant: Double, forces: UnsafeMutableBufferPointer<Double>) -> Double {
        precondition(positions.count >= 3 * atomCount && charges.count >= atomCount && forces.count >= 3 * atomCount,
                     "PMEReciprocalSpace.compute: buffers smaller than the atom count")
        var clock = DispatchTime.now().uptimeNanoseconds
        @inline(__always) func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now &- clock) * 1e-9
        }
        phaseTimes.calls += 1
        let v = box.vectors
        let volume = simdDot(v.a, simdCross(v.b, v.c))
        guard volume > 0 && volume.isFinite else { return .nan } // degenerate or non-finite box
        let recipA = simdCross(v.b, v.c) / volume
        let recipB = simdCross(v.c, v.a) / volume
        let recipC = simdCross(v.a, v.b) / volume
        if influenceBox == nil || influenceBox!.a != v.a || influenceBox!.b != v.b || influenceBox!.c != v.c {
            updateInfluence(recip: (recipA, recipB, recipC), volume: volume)
            influenceBox = v
        }
        phaseTimes.influence += lap()
        guard let pos = positions.baseAddress, let q = charges.baseAddress, let f = forces.baseAddress else {
            return 0 // no atoms
        }

        // 1. Splines and charge spreading, one grid per worker.
        let workers = threadCount
        let n = atomCount
        let kernels = self.kernels
        let splineOrder = order
        let recip = (recipA, recipB, recipC)
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let grid = t == 0 ? realGrid : extraGrids[t - 1]
            grid.update(repeating: 0, count: realCount)
            let lo = n * t / workers, hi = n * (t + 1) / workers
            // The literal 5 lets the compiler unroll the spline loops for the usual order.
            badCoordinate[t] = splineOrder == 5
                ? !kernels.spreadAtoms(lo..<hi, order: 5, positions: pos, charges: q, recip: recip, grid: grid)
                : !kernels.spreadAtoms(lo..<hi, order: splineOrder, positions: pos, charges: q, recip: recip, grid: grid)
        }
        phaseTimes.spread += lap()
        for t in 0..<workers where badCoordinate[t] { return .nan }

        // 2. Per x-slab: sum the worker grids, 2D r2c transforms over (y, z).
        let tasks = fftTasks
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            let lo = slabStart[t] * k2 * k3, hi = slabStart[t + 1] * k2 * k3
            for g in 0..<(workers - 1) {
                let src = extraGrids[g]
                for p in lo..<hi { realGrid[p] += src[p] }
            }
            fftw_execute(plans[4 * t])
        }

        // 3. Per column range: 1D FFT along x, multiply by the influence function (summing the energy),
        // inverse 1D FFT. The half-spectrum holds kz ≤ k3/2; columns with 0 < kz < k3/2 stand for ±m.
        let columns = k2 * k3c
        let nyquistZ = k3 % 2 == 0 ? k3c - 1 : 0
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            fftw_execute(plans[4 * t + 1])
            let c0 = columnStart[t], c1 = columnStart[t + 1]
            var sum = 0.0
            for kx in 0..<k1 {
                let offset = kx * columns
                for c in c0..<c1 {
                    let p = offset + c
                    let re = complexValues[2 * p], im = complexValues[2 * p + 1]
                    let g = influence[p]
                    let kz = c % k3c
                    let weight = (kz == 0 || kz == nyquistZ) ? 1.0 : 2.0
                    sum += weight * g * (re * re + im * im)
                    complexValues[2 * p] = re * g
                    complexValues[2 * p + 1] = im * g
                }
            }
            partialEnergy[t] = sum
            fftw_execute(plans[4 * t + 2])
        }
        var energy = 0.0
        for t in 0..<tasks { energy += partialEnergy[t] }
        energy *= 0.5 * coulombConstant

        // 4. Per x-slab: 2D c2r transforms, giving θ_rec ⋆ Q on the real grid.
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            fftw_execute(plans[4 * t + 3])
        }
        phaseTimes.transform += lap()

        // 5. Forces from the convolved grid.
        let scale = (recipA * Double(k1), recipB * Double(k2), recipC * Double(k3))
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let lo = n * t / workers, hi = n * (t + 1) / workers
            if splineOrder == 5 {
                kernels.addForces(lo..<hi, order: 5, charges: q, scale: scale, coulombConstant: coulombConstant, forces: f)
            } else {
                kernels.addForces(lo..<hi, order: splineOrder, charges: q, scale: scale, coulombConstant: coulombConstant, forces: f)
            }
        }
        phaseTimes.forces += lap()
        return energy
    }

    // MARK: - Kernels

    /// The per-atom loops, with everything they touch copied into immutable locals (no class loads in the
    /// hot loops, no overflow checks on index arithmetic).
    private struct Kernels {
        let k1: Int, k2: Int, k3: Int
        /// θ (and θ') per atom: x block, y block, z block of `order` values each.
        let theta: UnsafeMutablePointer<Double>
        let dtheta: UnsafeMutablePointer<Double>
        let baseIndex: UnsafeMutablePointer<Int32>
        /// θ_rec ⋆ Q after the inverse FFT.
        let potential: UnsafeMutablePointer<Double>

        /// Splines for atoms in `range` and their charges spread onto `grid`; false if a position is not finite.
        @inline(__always)
        func spreadAtoms(_ range: Range<Int>, order n: Int, positions: UnsafePointer<Double>, charges: UnsafePointer<Double>,
                         recip: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>), grid: UnsafeMutablePointer<Double>) -> Bool {
            var ok = true
            for i in range {
                let r = SIMD3(positions[3 &* i], positions[3 &* i &+ 1], positions[3 &* i &+ 2])
                let s = SIMD3(simdDot(r, recip.0), simdDot(r, recip.1), simdDot(r, recip.2))
                for d in 0..<3 {
                    let size = d == 0 ? k1 : (d == 1 ? k2 : k3)
                    var u = s[d] - s[d].rounded(.down)
                    var index = 0
                    if u.isFinite {
                        u *= Double(size)
                        index = Int(u)
                        u -= Double(index)
                        if index >= size { index &-= size } // s − floor(s) rounded up to 1
                    } else {
                        ok = false
                        u = 0
                    }
                    baseIndex[3 &* i &+ d] = Int32(truncatingIfNeeded: index)
                    let offset = (3 &* i &+ d) &* n
                    PMEReciprocalSpace.bspline(fraction: u, order: n, weights: theta + offset, derivatives: dtheta + offset)
                }
                let charge = charges[i]
                if charge == 0 { continue }
                let bx = Int(baseIndex[3 &* i]), by = Int(baseIndex[3 &* i &+ 1]), bz = Int(baseIndex[3 &* i &+ 2])
                let tx = theta + 3 &* i &* n, ty = tx + n, tz = ty + n
                let zContiguous = bz &+ n <= k3
                for ix in 0..<n {
                    var xi = bx &+ ix
                    if xi >= k1 { xi &-= k1 }
                    let qx = charge * tx[ix]
                    for iy in 0..<n {
                        var yi = by &+ iy
                        if yi >= k2 { yi &-= k2 }
                        let qxy = qx * ty[iy]
                        let row = grid + (xi &* k2 &+ yi) &* k3
                        if zContiguous {
                            let cell = row + bz
                            for iz in 0..<n { cell[iz] += qxy * tz[iz] }
                        } else {
                            for iz in 0..<n {
                                var zi = bz &+ iz
                                if zi >= k3 { zi &-= k3 }
                                row[zi] += qxy * tz[iz]
                            }
                        }
                    }
                }
            }
            return ok
        }

        /// Adds −q·k·Σ_d (∂/∂u_d Σ θ·(θ_rec ⋆ Q))·K_d·(reciprocal vector d) for atoms in `range`.
        @inline(__always)
        func addForces(_ range: Range<Int>, order n: Int, charges: UnsafePointer<Double>,
                       scale: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>), coulombConstant: Double,
                       forces: UnsafeMutablePointer<Double>) {
            for i in range {
                let charge = charges[i]
                if charge == 0 { continue }
                let bx = Int(baseIndex[3 &* i]), by = Int(baseIndex[3 &* i &+ 1]), bz = Int(baseIndex[3 &* i &+ 2])
                let tx = theta + 3 &* i &* n, ty = tx + n, tz = ty + n
                let dx = dtheta + 3 &* i &* n, dy = dx + n, dz = dy + n
                let zContiguous = bz &+ n <= k3
                var fx = 0.0, fy = 0.0, fz = 0.0
                for ix in 0..<n {
                    var xi = bx &+ ix
                    if xi >= k1 { xi &-= k1 }
                    var sy = 0.0, sdy = 0.0, syz = 0.0
                    for iy in 0..<n {
                        var yi = by &+ iy
                        if yi >= k2 { yi &-= k2 }
                        let row = potential + (xi &* k2 &+ yi) &* k3
                        // Σ_z θz·g and Σ_z θ'z·g along the row.
                        var sz = 0.0, sdz = 0.0
                        if zContiguous {
                            let cell = row + bz
                            for iz in 0..<n {
                                let g = cell[iz]
                                sz += tz[iz] * g
                                sdz += dz[iz] * g
                            }
                        } else {
                            for iz in 0..<n {
                                var zi = bz &+ iz
                                if zi >= k3 { zi &-= k3 }
                                let g = row[zi]
                                sz += tz[iz] * g
                                sdz += dz[iz] * g
                            }
                        }
                        sy += ty[iy] * sz
                        sdy += dy[iy] * sz
                        syz += ty[iy] * sdz
                    }
                    fx += dx[ix] * sy
                    fy += tx[ix] * sdy
                    fz += tx[ix] * syz
                }
                let force = -(charge * coulombConstant) * (fx * scale.0 + fy * scale.1 + fz * scale.2)
                forces[3 &* i] += force.x
                forces[3 &* i &+ 1] += force.y
                forces[3 &* i &+ 2] += force.z
            }
        }
    }

    /// exp(−π²m²/α²)/(πV·m²)·|b₁|²|b₂|²|b₃|² on the half-spectrum, zero at m = 0. At a Nyquist index
    /// (k = K/2, K even) the frequency ±K/2 is ambiguous; in a triclinic cell the two choices give different
    /// |m|², so the value is averaged over both, which keeps the function Hermitian-symmetric (OpenMM takes
    /// −K/2; the difference is far below PME accuracy).
    private func updateInfluence(recip: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>), volume: Double) {
        let factor = Double.pi * Double.pi / (alpha * alpha)
        let boxFactor = Double.pi * volume
        let mx = moduli, my = moduli + k1, mz = moduli + k1 + k2
        func frequencies(_ k: Int, _ size: Int) -> (Double, Double?) {
            if size % 2 == 0 && k == size / 2 { return (Double(k), -Double(k)) }
            return (k < (size + 1) / 2 ? Double(k) : Double(k - size), nil)
        }
        @inline(__always) func term(_ a: Double, _ b: Double, _ c: Double) -> Double {
            let m = a * recip.0 + b * recip.1 + c * recip.2
            let m2 = simdDot(m, m)
            return exp(-factor * m2) / m2
        }
        let workers = threadCount
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let lo = k1 * t / workers, hi = k1 * (t + 1) / workers
            for kx in lo..<hi {
                let fx = frequencies(kx, k1)
                for ky in 0..<k2 {
                    let fy = frequencies(ky, k2)
                    let row = (kx * k2 + ky) * k3c
                    for kz in 0..<k3c {
                        if kx == 0 && ky == 0 && kz == 0 {
                            influence[row] = 0
                            continue
                        }
                        let fz = frequencies(kz, k3)
                        var value: Double
                        if fx.1 == nil && fy.1 == nil && fz.1 == nil {
                            value = term(fx.0, fy.0, fz.0)
                        } else {
                            var sum = 0.0, count = 0.0
                            for sa in 0..<(fx.1 == nil ? 1 : 2) {
                                let a = sa == 0 ? fx.0 : fx.1!
                                for sb in 0..<(fy.1 == nil ? 1 : 2) {
                                    let b = sb == 0 ? fy.0 : fy.1!
                                    for sc in 0..<(fz.1 == nil ? 1 : 2) {
                                        sum += term(a, b, sc == 0 ? fz.0 : fz.1!)
                                        count += 1
                                    }
                                }
                            }
                            value = sum / count
                        }
                        influence[row + kz] = value / (boxFactor * mx[kx] * my[ky] * mz[kz])
                    }
                }
            }
        }
    }

    // MARK: - B-splines

    /// Cardinal B-spline weights M_n(w + n − 1 − j)… for grid points base + j (j = 0…n−1) and their
    /// derivatives with respect to w, for fraction w ∈ [0, 1) — Essmann's recursion as in OpenMM.
    @inline(__always)
    static func bspline(fraction w: Double, order n: Int, weights data: UnsafeMutablePointer<Double>,
                        derivatives ddata: UnsafeMutablePointer<Double>) {
        data[n - 1] = 0
        data[1] = w
        data[0] = 1 - w
        if n > 3 {
            for k in 3..<n {
                let div = 1.0 / Double(k - 1)
                data[k - 1] = div * w * data[k - 2]
                for l in 1..<(k - 1) {
                    data[k - l - 1] = div * ((w + Double(l)) * data[k - l - 2] + (Double(k - l) - w) * data[k - l - 1])
                }
                data[0] = div * (1 - w) * data[0]
            }
        }
        ddata[0] = -data[0]
        for k in 1..<n { ddata[k] = data[k - 1] - data[k] }
        let div = 1.0 / Double(n - 1)
        data[n - 1] = div * w * data[n - 2]
        for l in 1..<(n - 1) {
            data[n - l - 1] = div * ((w + Double(l)) * data[n - l - 2] + (Double(n - l) - w) * data[n - l - 1])
        }
        data[0] = div * (1 - w) * data[0]
    }

    /// OpenMM's bsplines_moduli for one axis: |Σ_j M_n(j+1)·exp(2πi·k·j/K)|² (the inverse of Essmann's
    /// |b(k)|²), with values below 1e-7 (k = K/2 for odd order) replaced by the mean of their neighbours.
    static func splineModuli(gridPoints size: Int, order n: Int, into out: UnsafeMutablePointer<Double>) {
        var values = [Double](repeating: 0, count: n)
        var derivatives = [Double](repeating: 0, count: n)
        values.withUnsafeMutableBufferPointer { v in
            derivatives.withUnsafeMutableBufferPointer { d in
                bspline(fraction: 0, order: n, weights: v.baseAddress!, derivatives: d.baseAddress!)
            }
        }
        var data = [Double](repeating: 0, count: size)
        for i in 1...n where i < size { data[i] = values[i - 1] }
        for k in 0..<size {
            var sc = 0.0, ss = 0.0
            for j in 0..<size where data[j] != 0 {
                let arg = 2.0 * Double.pi * Double(k * j) / Double(size)
                sc += data[j] * cos(arg)
                ss += data[j] * sin(arg)
            }
            out[k] = sc * sc + ss * ss
        }
        for k in 0..<size where out[k] < 1e-7 {
            out[k] = (out[(k - 1 + size) % size] + out[(k + 1) % size]) / 2
        }
    }
}

@inline(__always) private func simdDot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
    a.x * b.x + a.y * b.y + a.z * b.z
}

@inline(__always) private func simdCross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
