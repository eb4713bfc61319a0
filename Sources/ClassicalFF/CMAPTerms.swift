import Foundation
import AmberIO
import MDCore

/// CMAP correction maps (ff19SB): a bicubic patch per grid cell in the two backbone torsions.
///
/// Evaluated exactly as OpenMM's CMAPTorsionForce does for an AMBER prmtop (Reference platform):
///
/// - Grid layout. The prmtop stores `CMAP_PARAMETER_nn` φ-major (ψ fastest), both angles starting at
///   −180° in steps of 360°/n. OpenMM's map has the first angle fastest and both angles starting at 0:
///   `map[a + n·b]` is the energy at (φ, ψ) = (a·Δ, b·Δ), Δ = 2π/n. OpenMM's prmtop reader fills it as
///   `map[a + n·b] = amber[n·((a + n/2) mod n) + (b + n/2) mod n]` (integer n/2: a half-turn shift for
///   even n), i.e. the same surface with no transposition, relabelled to start at 0°.
/// - Derivatives at the nodes. ∂E/∂φ along each row and ∂E/∂ψ along each column from periodic cubic
///   splines through the n+1 nodes 0…2π (the last repeating the first); ∂²E/∂φ∂ψ from periodic splines
///   of ∂E/∂ψ along φ. OpenMM's spline code (cyclic tridiagonal system via Sherman–Morrison) is
///   followed operation for operation.
/// - Patches. Patch (s, t) covers [sΔ, (s+1)Δ] × [tΔ, (t+1)Δ] and is the bicubic Hermite patch through
///   the energies and (Δ-scaled) derivatives at its four corners (Numerical Recipes' `bcucof` table),
///   E = Σᵢⱼ c[4i+j] uⁱ vʲ with u, v ∈ [0, 1) the fractional position inside the patch.
/// - Angles. φ = IUPAC dihedral of atoms (0,1,2,3), ψ of atoms (1,2,3,4), mapped to [0, 2π) with
///   `fmod(θ + 2π, 2π)`; the patch index is `min(θ/Δ, n−1)` truncated.
///
/// Energies are kept in kcal/mol throughout (OpenMM works in kJ/mol; the map is linear in the energies,
/// so the only difference is rounding).
final class CMAPTerms {
    private struct Term {
        var a0, a1, a2, a3, a4: Int32
        /// Offset of patch (0, 0) of this term's grid in `coefficients`.
        var offset: Int
        var size: Int
    }

    private let terms: [Term]
    /// All grids' patches, 16 coefficients each, patch (s, t) of a grid at offset + 16·(s + n·t).
    private let coefficients: [Double]

    init(terms amber: AmberTerms) throws {
        var coefficients: [Double] = []
        var offsets: [Int] = []
        for (index, grid) in amber.cmapGrids.enumerated() {
            let n = grid.resolution
            guard n >= 2 else {
                throw ClassicalForceFieldError.badOptions("CMAP grid \(index + 1) has resolution \(n); at least 2 is needed")
            }
            guard grid.values.count == n * n else {
                throw ClassicalForceFieldError.badOptions("CMAP grid \(index + 1) has \(grid.values.count) values, expected \(n * n)")
            }
            guard grid.values.allSatisfy(\.isFinite) else {
                throw ClassicalForceFieldError.badOptions("CMAP grid \(index + 1) has non-finite values")
            }
            offsets.append(coefficients.count)
            coefficients += Self.patchCoefficients(size: n, energy: Self.openMMLayout(grid))
        }
        var list: [Term] = []
        list.reserveCapacity(amber.cmaps.count)
        for (index, cmap) in amber.cmaps.enumerated() {
            guard cmap.atoms.count == 5 else {
                throw ClassicalForceFieldError.badOptions("CMAP term \(index + 1) has \(cmap.atoms.count) atoms, expected 5")
            }
            guard cmap.atoms.allSatisfy({ $0 >= 0 && $0 < amber.atomCount }) else {
                throw ClassicalForceFieldError.badOptions("CMAP term \(index + 1) refers to an atom outside 1...\(amber.atomCount)")
            }
            guard cmap.type >= 0 && cmap.type < amber.cmapGrids.count else {
                throw ClassicalForceFieldError.badOptions("CMAP term \(index + 1) uses grid \(cmap.type + 1); there are \(amber.cmapGrids.count)")
            }
            let a = cmap.atoms.map { Int32($0) }
            list.append(Term(a0: a[0], a1: a[1], a2: a[2], a3: a[3], a4: a[4],
                             offset: offsets[cmap.type], size: amber.cmapGrids[cmap.type].resolution))
        }
        terms = list
        self.coefficients = coefficients
    }

    /// Adds −∇E to `forces` and returns E (kcal/mol).
    func compute(_ x: UnsafeBufferPointer<Double>, _ g: PeriodicGeometry, _ forces: UnsafeMutableBufferPointer<Double>) -> Double {
        coefficients.withUnsafeBufferPointer { coeff in
            var energy = 0.0
            for t in terms {
                guard let phi = Self.torsion(x, g, t.a0, t.a1, t.a2, t.a3),
                      let psi = Self.torsion(x, g, t.a1, t.a2, t.a3, t.a4) else { continue }
                let n = t.size
                let delta = 2 * Double.pi / Double(n)
                let angleA = fmod(phi.angle + 2 * Double.pi, 2 * Double.pi)
                let angleB = fmod(psi.angle + 2 * Double.pi, 2 * Double.pi)
                let s = Int(min(angleA / delta, Double(n - 1)))
                let u = Int(min(angleB / delta, Double(n - 1)))
                let c = t.offset + 16 * (s + n * u)
                let da = angleA / delta - Double(s)
                let db = angleB / delta - Double(u)
                var e = 0.0, dEdA = 0.0, dEdB = 0.0
                for i in stride(from: 3, through: 0, by: -1) {
                    e = da * e + ((coeff[c + i * 4 + 3] * db + coeff[c + i * 4 + 2]) * db + coeff[c + i * 4 + 1]) * db + coeff[c + i * 4]
                    dEdA = db * dEdA + (3.0 * coeff[c + i + 12] * da + 2.0 * coeff[c + i + 8]) * da + coeff[c + i + 4]
                    dEdB = da * dEdB + (3.0 * coeff[c + i * 4 + 3] * db + 2.0 * coeff[c + i * 4 + 2]) * db + coeff[c + i * 4 + 1]
                }
                dEdA /= delta
                dEdB /= delta
                energy += e
                Self.applyForce(dEdA, phi, t.a0, t.a1, t.a2, t.a3, forces)
                Self.applyForce(dEdB, psi, t.a1, t.a2, t.a3, t.a4, forces)
            }
            return energy
        }
    }

    // MARK: - Torsions

    /// A dihedral and its gradients with respect to its four atoms (Blondel & Karplus 1996, as in
    /// `BondedKernels.torsions`).
    private struct Torsion {
        var angle: Double
        var di, dj, dk, dl: SIMD3<Double>
    }

    @inline(__always)
    private static func torsion(_ x: UnsafeBufferPointer<Double>, _ g: PeriodicGeometry,
                                _ i: Int32, _ j: Int32, _ k: Int32, _ l: Int32) -> Torsion? {
        let xj = x.vector(j), xk = x.vector(k)
        let F = g.delta(xj, x.vector(i))
        let G = g.delta(xk, xj)
        let H = g.delta(xk, x.vector(l))
        let A = cross(F, G), B = cross(H, G)
        let a2 = dot(A, A), b2 = dot(B, B)
        let lg = length(G)
        guard a2 > 1e-24, b2 > 1e-24, lg > 0 else { return nil }
        let angle = atan2(dot(cross(B, A), G) / lg, dot(A, B))
        let di = A * (-lg / a2)
        let dl = B * (lg / b2)
        let fg = dot(F, G) / (a2 * lg), hg = dot(H, G) / (b2 * lg)
        return Torsion(angle: angle, di: di, dj: -di + A * fg - B * hg, dk: -dl - A * fg + B * hg, dl: dl)
    }

    @inline(__always)
    private static func applyForce(_ dEdAngle: Double, _ t: Torsion, _ i: Int32, _ j: Int32, _ k: Int32, _ l: Int32,
                                   _ forces: UnsafeMutableBufferPointer<Double>) {
        forces.add(i, t.di * -dEdAngle)
        forces.add(j, t.dj * -dEdAngle)
        forces.add(k, t.dk * -dEdAngle)
        forces.add(l, t.dl * -dEdAngle)
    }

    // MARK: - Map construction (OpenMM's CMAPTorsionForceImpl::calcMapDerivatives and SplineFitter)

    /// The prmtop grid (φ-major, from −180°) as OpenMM's map (first angle fastest, from 0°), exactly as
    /// OpenMM's amber_file_parser reorders it.
    static func openMMLayout(_ grid: Prmtop.CMAPGrid) -> [Double] {
        let n = grid.resolution, half = n / 2
        var map = [Double](repeating: 0, count: n * n)
        for b in 0..<n {
            for a in 0..<n {
                map[a + n * b] = grid.values[n * ((a + half) % n) + (b + half) % n]
            }
        }
        return map
    }

    /// 16 coefficients per patch, patch (s, t) at 16·(s + size·t); `energy[a + size·b]` is the value at
    /// angles (a·Δ, b·Δ).
    static func patchCoefficients(size: Int, energy: [Double]) -> [Double] {
        var d1 = [Double](repeating: 0, count: size * size), d2 = d1, d12 = d1
        let x = (0...size).map { Double($0) * 2 * Double.pi / Double(size) }
        var y = [Double](repeating: 0, count: size + 1)

        // With respect to the first angle.
        for i in 0..<size {
            for j in 0..<size { y[j] = energy[j + size * i] }
            y[size] = energy[size * i]
            let deriv = periodicSpline(x, y)
            for j in 0..<size { d1[j + size * i] = splineDerivative(x, y, deriv, x[j]) }
        }
        // With respect to the second angle.
        for i in 0..<size {
            for j in 0..<size { y[j] = energy[i + size * j] }
            y[size] = energy[i]
            let deriv = periodicSpline(x, y)
            for j in 0..<size { d2[i + size * j] = splineDerivative(x, y, deriv, x[j]) }
        }
        // Cross derivatives: the second-angle derivative differentiated along the first angle.
        for i in 0..<size {
            for j in 0..<size { y[j] = d2[j + size * i] }
            y[size] = d2[size * i]
            let deriv = periodicSpline(x, y)
            for j in 0..<size { d12[j + size * i] = splineDerivative(x, y, deriv, x[j]) }
        }

        let delta = 2 * Double.pi / Double(size)
        var out = [Double](repeating: 0, count: 16 * size * size)
        var rhs = [Double](repeating: 0, count: 16)
        for i in 0..<size {
            for j in 0..<size {
                let nexti = (i + 1) % size, nextj = (j + 1) % size
                let corners = [i + j * size, nexti + j * size, nexti + nextj * size, i + nextj * size]
                for k in 0..<4 {
                    rhs[k] = energy[corners[k]]
                    rhs[k + 4] = d1[corners[k]] * delta
                    rhs[k + 8] = d2[corners[k]] * delta
                    rhs[k + 12] = d12[corners[k]] * delta * delta
                }
                let base = 16 * (i + j * size)
                for k in 0..<16 {
                    var sum = 0.0
                    for m in 0..<16 { sum += Double(weights[k + 16 * m]) * rhs[m] }
                    out[base + k] = sum
                }
            }
        }
        return out
    }

    /// Bicubic interpolation weights (Numerical Recipes `bcucof`), in OpenMM's storage order.
    private static let weights: [Int8] = [
        1, 0, -3, 2, 0, 0, 0, 0, -3, 0, 9, -6, 2, 0, -6, 4,
        0, 0, 0, 0, 0, 0, 0, 0, 3, 0, -9, 6, -2, 0, 6, -4,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, -6, 0, 0, -6, 4,
        0, 0, 3, -2, 0, 0, 0, 0, 0, 0, -9, 6, 0, 0, 6, -4,
        0, 0, 0, 0, 1, 0, -3, 2, -2, 0, 6, -4, 1, 0, -3, 2,
        0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 3, -2, 1, 0, -3, 2,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3, 2, 0, 0, 3, -2,
        0, 0, 0, 0, 0, 0, 3, -2, 0, 0, -6, 4, 0, 0, 3, -2,
        0, 1, -2, 1, 0, 0, 0, 0, 0, -3, 6, -3, 0, 2, -4, 2,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 3, -6, 3, 0, -2, 4, -2,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3, 3, 0, 0, 2, -2,
        0, 0, -1, 1, 0, 0, 0, 0, 0, 0, 3, -3, 0, 0, -2, 2,
        0, 0, 0, 0, 0, 1, -2, 1, 0, -2, 4, -2, 0, 1, -2, 1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 2, -1, 0, 1, -2, 1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1, 0, 0, -1, 1,
        0, 0, 0, 0, 0, 0, -1, 1, 0, 0, 2, -2, 0, 0, -1, 1,
    ]

    /// Second derivatives of the periodic cubic spline through (x, y), y.last == y.first.
    private static func periodicSpline(_ x: [Double], _ y: [Double]) -> [Double] {
        var n = x.count
        var a = [Double](repeating: 0, count: n - 1), b = a, c = a, rhs = a
        a[0] = x[n - 1] - x[n - 2]
        b[0] = 2.0 * (x[1] - x[0] + x[n - 1] - x[n - 2])
        c[0] = x[1] - x[0]
        rhs[0] = 6.0 * ((y[1] - y[0]) / (x[1] - x[0]) - (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2]))
        for i in 1..<(n - 1) {
            a[i] = x[i] - x[i - 1]
            b[i] = 2.0 * (x[i + 1] - x[i - 1])
            c[i] = x[i + 1] - x[i]
            rhs[i] = 6.0 * ((y[i + 1] - y[i]) / (x[i + 1] - x[i]) - (y[i] - y[i - 1]) / (x[i] - x[i - 1]))
        }
        let beta = a[0], alpha = c[n - 2], gamma = -b[0]
        // Cyclic tridiagonal system, solved with Sherman–Morrison (two tridiagonal solves).
        n -= 1
        b[0] -= gamma
        b[n - 1] -= alpha * beta / gamma
        var deriv = solveTridiagonal(a, b, c, rhs)
        var u = [Double](repeating: 0, count: n)
        u[0] = gamma
        u[n - 1] = alpha
        let z = solveTridiagonal(a, b, c, u)
        let scale = (deriv[0] + beta * deriv[n - 1] / gamma) / (1.0 + z[0] + beta * z[n - 1] / gamma)
        for i in 0..<n { deriv[i] -= scale * z[i] }
        deriv.append(deriv[0])
        return deriv
    }

    private static func solveTridiagonal(_ a: [Double], _ b: [Double], _ c: [Double], _ rhs: [Double]) -> [Double] {
        let n = a.count
        var gamma = [Double](repeating: 0, count: n), sol = gamma
        sol[0] = rhs[0] / b[0]
        var beta = b[0]
        for i in 1..<max(n, 1) {
            gamma[i] = c[i - 1] / beta
            beta = b[i] - a[i] * gamma[i]
            sol[i] = (rhs[i] - a[i] * sol[i - 1]) / beta
        }
        for i in stride(from: n - 2, through: 0, by: -1) { sol[i] -= gamma[i + 1] * sol[i + 1] }
        return sol
    }

    /// Derivative of the cubic spline at t (OpenMM's SplineFitter::evaluateSplineDerivative).
    private static func splineDerivative(_ x: [Double], _ y: [Double], _ deriv: [Double], _ t: Double) -> Double {
        var lower = 0, upper = x.count - 1
        while upper - lower > 1 {
            let middle = (upper + lower) / 2
            if x[middle] > t { upper = middle } else { lower = middle }
        }
        let dx = x[upper] - x[lower]
        let a = (x[upper] - t) / dx
        let b = 1.0 - a
        let dadx = -1.0 / dx
        return dadx * y[lower] - dadx * y[upper] + ((1.0 - 3.0 * a * a) * deriv[lower] + (3.0 * b * b - 1.0) * deriv[upper]) * dx / 6.0
    }
}
