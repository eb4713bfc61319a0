import Foundation
import MDCore

/// Holonomic distance constraints: rigid waters solved analytically by SETTLE (Miyamoto & Kollman
/// 1992), every other constrained bond (bonds to hydrogen) by SHAKE for positions and RATTLE for
/// velocities, iterated to a relative tolerance.
public struct Constraints: Sendable {
    public struct Distance: Sendable, Equatable {
        public var i: Int32, j: Int32
        /// Å.
        public var length: Double
        public init(i: Int, j: Int, length: Double) { self.i = Int32(i); self.j = Int32(j); self.length = length }
    }

    public struct Water: Sendable, Equatable {
        public var oxygen: Int32, hydrogen1: Int32, hydrogen2: Int32
        /// O–H and H–H distances, Å.
        public var oh: Double, hh: Double
        public init(oxygen: Int, hydrogen1: Int, hydrogen2: Int, oh: Double, hh: Double) {
            self.oxygen = Int32(oxygen); self.hydrogen1 = Int32(hydrogen1); self.hydrogen2 = Int32(hydrogen2)
            self.oh = oh; self.hh = hh
        }
    }

    public var distances: [Distance]
    public var waters: [Water]
    /// Relative tolerance of SHAKE/RATTLE: |r² − d²| < 2·tolerance·d².
    public var tolerance: Double
    public var maxIterations = 1000

    public init(distances: [Distance] = [], waters: [Water] = [], tolerance: Double = 1e-10) {
        self.distances = distances
        self.waters = waters
        self.tolerance = tolerance
    }

    public static let none = Constraints()

    /// Constrained degrees of freedom.
    public var count: Int { distances.count + 3 * waters.count }
    public var isEmpty: Bool { distances.isEmpty && waters.isEmpty }

    /// Moves `new` positions onto the constraints, along the bond directions of `old` (which satisfy them).
    public func constrainPositions(old: UnsafeBufferPointer<Double>, new: UnsafeMutableBufferPointer<Double>,
                                   inverseMasses: UnsafeBufferPointer<Double>, masses: UnsafeBufferPointer<Double>) throws {
        for w in waters { settle(w, old, new, masses) }
        guard !distances.isEmpty else { return }
        for iteration in 0..<maxIterations {
            var converged = true
            for c in distances {
                let (i, j) = (Int(c.i), Int(c.j))
                let ro = SIMD3(old[3 * i] - old[3 * j], old[3 * i + 1] - old[3 * j + 1], old[3 * i + 2] - old[3 * j + 2])
                let rn = SIMD3(new[3 * i] - new[3 * j], new[3 * i + 1] - new[3 * j + 1], new[3 * i + 2] - new[3 * j + 2])
                let d2 = c.length * c.length
                let diff = d2 - (rn * rn).sum()
                if abs(diff) <= 2 * tolerance * d2 { continue }
                converged = false
                let (wi, wj) = (inverseMasses[i], inverseMasses[j])
                let denominator = 2 * (ro * rn).sum() * (wi + wj)
                guard denominator.magnitude > 1e-12 * d2 else {
                    throw ConstraintError.diverged(atoms: (i, j), iteration: iteration)
                }
                let g = diff / denominator
                for d in 0..<3 {
                    new[3 * i + d] += g * wi * ro[d]
                    new[3 * j + d] -= g * wj * ro[d]
                }
            }
            if converged { return }
        }
        throw ConstraintError.notConverged(maxIterations)
    }

    /// Removes velocity components along every constraint (RATTLE's second half): rigid waters exactly
    /// (a 3×3 solve per molecule), the other bonds by iteration.
    public func constrainVelocities(positions: UnsafeBufferPointer<Double>, velocities: UnsafeMutableBufferPointer<Double>,
                                    inverseMasses: UnsafeBufferPointer<Double>) throws {
        for w in waters { rigidWaterVelocities(w, positions, velocities, inverseMasses) }
        guard !distances.isEmpty else { return }
        func project(_ i: Int, _ j: Int, _ converged: inout Bool) {
            let r = SIMD3(positions[3 * i] - positions[3 * j], positions[3 * i + 1] - positions[3 * j + 1], positions[3 * i + 2] - positions[3 * j + 2])
            let v = SIMD3(velocities[3 * i] - velocities[3 * j], velocities[3 * i + 1] - velocities[3 * j + 1], velocities[3 * i + 2] - velocities[3 * j + 2])
            let r2 = (r * r).sum()
            let rv = (r * v).sum()
            // Relative velocity along the bond, in units of the bond length per ps.
            if abs(rv) <= tolerance * r2 { return }
            converged = false
            let (wi, wj) = (inverseMasses[i], inverseMasses[j])
            let k = rv / (r2 * (wi + wj))
            for d in 0..<3 {
                velocities[3 * i + d] -= k * wi * r[d]
                velocities[3 * j + d] += k * wj * r[d]
            }
        }
        for _ in 0..<maxIterations {
            var converged = true
            for c in distances { project(Int(c.i), Int(c.j), &converged) }
            if converged { return }
        }
        throw ConstraintError.notConverged(maxIterations)
    }

    /// Impulses λ along the three bonds of a rigid water that cancel every relative velocity along them:
    /// the 3×3 system M·λ = rates, solved by Cramer's rule. Bonds: 0 = O–H1, 1 = O–H2, 2 = H1–H2.
    private func rigidWaterVelocities(_ w: Water, _ x: UnsafeBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Double>,
                                      _ inverseMasses: UnsafeBufferPointer<Double>) {
        let (o, h1, h2) = (Int(w.oxygen), Int(w.hydrogen1), Int(w.hydrogen2))
        func vec(_ a: Int) -> SIMD3<Double> { SIMD3(x[3 * a], x[3 * a + 1], x[3 * a + 2]) }
        func vel(_ a: Int) -> SIMD3<Double> { SIMD3(v[3 * a], v[3 * a + 1], v[3 * a + 2]) }
        func unit(_ r: SIMD3<Double>) -> SIMD3<Double> { r / (r * r).sum().squareRoot() }
        let (wo, wh1, wh2) = (inverseMasses[o], inverseMasses[h1], inverseMasses[h2])
        let e0 = unit(vec(o) - vec(h1)), e1 = unit(vec(o) - vec(h2)), e2 = unit(vec(h1) - vec(h2))
        var (vo, v1, v2) = (vel(o), vel(h1), vel(h2))
        let rates = SIMD3(((vo - v1) * e0).sum(), ((vo - v2) * e1).sum(), ((v1 - v2) * e2).sum())
        func d(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
        // Column l: how an impulse on bond l changes each bond's stretch rate.
        let c0 = SIMD3((wo + wh1) * d(e0, e0), wo * d(e1, e0), -wh1 * d(e2, e0))
        let c1 = SIMD3(wo * d(e0, e1), (wo + wh2) * d(e1, e1), wh2 * d(e2, e1))
        let c2 = SIMD3(-wh1 * d(e0, e2), wh2 * d(e1, e2), (wh1 + wh2) * d(e2, e2))
        func determinant(_ a: SIMD3<Double>, _ b: SIMD3<Double>, _ c: SIMD3<Double>) -> Double { d(a, cross3(b, c)) }
        let det = determinant(c0, c1, c2)
        guard det.magnitude > 1e-300 else { return }
        let lambda = SIMD3(determinant(rates, c1, c2), determinant(c0, rates, c2), determinant(c0, c1, rates)) / det
        vo -= (e0 * lambda.x + e1 * lambda.y) * wo
        v1 += (e0 * lambda.x - e2 * lambda.z) * wh1
        v2 += (e1 * lambda.y + e2 * lambda.z) * wh2
        func store(_ atom: Int, _ u: SIMD3<Double>) { v[3 * atom] = u.x; v[3 * atom + 1] = u.y; v[3 * atom + 2] = u.z }
        store(o, vo)
        store(h1, v1)
        store(h2, v2)
    }

    /// SETTLE: the rigid-water position that conserves the molecule's centre of mass and is reached by
    /// rotating the unconstrained one; exact up to rounding, no iteration.
    private func settle(_ w: Water, _ old: UnsafeBufferPointer<Double>, _ new: UnsafeMutableBufferPointer<Double>,
                        _ masses: UnsafeBufferPointer<Double>) {
        func vec(_ b: UnsafeBufferPointer<Double>, _ i: Int32) -> SIMD3<Double> { SIMD3(b[3 * Int(i)], b[3 * Int(i) + 1], b[3 * Int(i) + 2]) }
        func vec(_ b: UnsafeMutableBufferPointer<Double>, _ i: Int32) -> SIMD3<Double> { SIMD3(b[3 * Int(i)], b[3 * Int(i) + 1], b[3 * Int(i) + 2]) }
        func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
        func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
            SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
        }
        let (mO, mH) = (masses[Int(w.oxygen)], masses[Int(w.hydrogen1)])
        let total = mO + 2 * mH
        // Old geometry and new positions, relative to the old oxygen.
        let a0 = vec(old, w.oxygen)
        let b0 = vec(old, w.hydrogen1) - a0, c0 = vec(old, w.hydrogen2) - a0
        let a1 = vec(new, w.oxygen) - a0, b1 = vec(new, w.hydrogen1) - a0, c1 = vec(new, w.hydrogen2) - a0
        let com = (a1 * mO + (b1 + c1) * mH) / total
        let (ra1, rb1, rc1) = (a1 - com, b1 - com, c1 - com)
        // Frame: z normal to the old plane, x perpendicular to it and to the new oxygen's offset.
        let zAxis = cross(b0, c0)
        let xAxis = cross(ra1, zAxis)
        let yAxis = cross(zAxis, xAxis)
        let (ex, ey, ez) = (xAxis / xAxis.squaredLength.squareRoot(), yAxis / yAxis.squaredLength.squareRoot(), zAxis / zAxis.squaredLength.squareRoot())
        func local(_ v: SIMD3<Double>) -> SIMD3<Double> { SIMD3(dot(ex, v), dot(ey, v), dot(ez, v)) }
        let (b0d, c0d) = (local(b0), local(c0))
        let (a1d, b1d, c1d) = (local(ra1), local(rb1), local(rc1))
        // Canonical triangle: O at distance ra from the centre of mass, H's at −rb along y, ±rc along x.
        let rc = w.hh / 2
        var rb = (w.oh * w.oh - rc * rc).squareRoot()
        let ra = rb * 2 * mH / total
        rb -= ra
        let sinPhi = a1d.z / ra
        let cosPhi = (1 - sinPhi * sinPhi).squareRoot()
        let sinPsi = (b1d.z - c1d.z) / (2 * rc * cosPhi)
        let cosPsi = (1 - sinPsi * sinPsi).squareRoot()
        let ya2 = ra * cosPhi
        var xb2 = -rc * cosPsi
        let yb2 = -rb * cosPhi - rc * sinPsi * sinPhi
        let yc2 = -rb * cosPhi + rc * sinPsi * sinPhi
        // Restore the exact H–H distance lost to rounding in the angles above.
        let hh2 = 4 * xb2 * xb2 + (yb2 - yc2) * (yb2 - yc2) + (b1d.z - c1d.z) * (b1d.z - c1d.z)
        xb2 -= (2 * xb2 + (4 * xb2 * xb2 - hh2 + w.hh * w.hh).squareRoot()) / 2
        // Rotation about z that matches the unconstrained motion.
        let alpha = xb2 * (b0d.x - c0d.x) + b0d.y * yb2 + c0d.y * yc2
        let beta = xb2 * (c0d.y - b0d.y) + b0d.x * yb2 + c0d.x * yc2
        let gamma = b0d.x * b1d.y - b1d.x * b0d.y + c0d.x * c1d.y - c1d.x * c0d.y
        let ab2 = alpha * alpha + beta * beta
        let sinTheta = (alpha * gamma - beta * (ab2 - gamma * gamma).squareRoot()) / ab2
        let cosTheta = (1 - sinTheta * sinTheta).squareRoot()
        let a3 = SIMD3(-ya2 * sinTheta, ya2 * cosTheta, a1d.z)
        let b3 = SIMD3(xb2 * cosTheta - yb2 * sinTheta, xb2 * sinTheta + yb2 * cosTheta, b1d.z)
        let c3 = SIMD3(-xb2 * cosTheta - yc2 * sinTheta, -xb2 * sinTheta + yc2 * cosTheta, c1d.z)
        func global(_ v: SIMD3<Double>) -> SIMD3<Double> { ex * v.x + ey * v.y + ez * v.z }
        func store(_ atom: Int32, _ p: SIMD3<Double>) {
            new[3 * Int(atom)] = p.x; new[3 * Int(atom) + 1] = p.y; new[3 * Int(atom) + 2] = p.z
        }
        store(w.oxygen, a0 + com + global(a3))
        store(w.hydrogen1, a0 + com + global(b3))
        store(w.hydrogen2, a0 + com + global(c3))
    }
}

public enum ConstraintError: Error, CustomStringConvertible {
    case diverged(atoms: (Int, Int), iteration: Int)
    case notConverged(Int)

    public var description: String {
        switch self {
        case let .diverged(atoms, iteration):
            return "constraint between atoms \(atoms.0 + 1) and \(atoms.1 + 1) cannot be satisfied (SHAKE iteration \(iteration)): the bond turned perpendicular to its old direction; the time step is too large or the forces exploded"
        case let .notConverged(n):
            return "constraints did not converge in \(n) iterations; the time step is too large or the forces exploded"
        }
    }
}

extension SIMD3 where Scalar == Double {
    var squaredLength: Double { (self * self).sum() }
}

@inline(__always)
func cross3(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
