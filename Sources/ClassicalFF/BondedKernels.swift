import Foundation
import MDCore

/// Bonds, angles, torsions and 1-4 pairs: energy returned, forces added into `forces`. Double
/// throughout; these are O(N) and cheap beside the nonbonded sum.
enum BondedKernels {
    /// Every bonded term of `terms` (CMAP when given), energies by term into `e`.
    static func all(_ terms: AmberTerms, cmap: CMAPTerms?, coulomb: Double, _ x: UnsafeBufferPointer<Double>, _ g: PeriodicGeometry,
                    _ forces: UnsafeMutableBufferPointer<Double>, into e: inout EnergyTerms) {
        e.bond = bonds(terms.bonds, x, g, forces)
        e.angle = angles(terms.angles, x, g, forces)
        e.dihedral = torsions(terms.propers, x, g, forces)
        e.improper = torsions(terms.impropers, x, g, forces)
        if let cmap { e.cmap = cmap.compute(x, g, forces) }
        (e.elec14, e.vdw14) = pairs14(terms.pairs14, coulomb: coulomb, x, g, forces)
    }

    /// E = k (r − r0)² (AMBER's k carries the ½).
    static func bonds(_ terms: [AmberTerms.Bond], _ x: UnsafeBufferPointer<Double>, _ g: PeriodicGeometry,
                      _ forces: UnsafeMutableBufferPointer<Double>) -> Double {
        var energy = 0.0
        for t in terms {
            let d = g.delta(x.vector(t.i), x.vector(t.j))
            let r = length(d)
            let dr = r - t.r0
            energy += t.k * dr * dr
            guard r > 0 else { continue }
            let f = d * (2 * t.k * dr / r)
            forces.add(t.i, f)
            forces.add(t.j, -f)
        }
        return energy
    }

    /// E = k (θ − θ0)².
    static func angles(_ terms: [AmberTerms.Angle], _ x: UnsafeBufferPointer<Double>, _ g: PeriodicGeometry,
                       _ forces: UnsafeMutableBufferPointer<Double>) -> Double {
        var energy = 0.0
        for t in terms {
            let center = x.vector(t.j)
            let a = g.delta(center, x.vector(t.i))
            let b = g.delta(center, x.vector(t.k))
            let la = length(a), lb = length(b)
            let normal = cross(a, b)
            let sine = length(normal)   // |a||b| sin θ
            let theta = atan2(sine, dot(a, b))
            let dt = theta - t.theta0
            energy += t.force * dt * dt
            guard sine > 1e-12, la > 0, lb > 0 else { continue }
            let dEdTheta = 2 * t.force * dt
            // ∂θ/∂xi = (a × n)/(|a|²|n|) and ∂θ/∂xk = (n × b)/(|b|²|n|), n = a × b: in-plane, away from the other arm.
            let fi = cross(a, normal) * (-dEdTheta / (la * la * sine))
            let fk = cross(normal, b) * (-dEdTheta / (lb * lb * sine))
            forces.add(t.i, fi)
            forces.add(t.k, fk)
            forces.add(t.j, -(fi + fk))
        }
        return energy
    }

    /// E = V (1 + cos(nφ − γ)), φ the IUPAC dihedral of i-j-k-l (impropers use the same form).
    static func torsions(_ terms: [AmberTerms.Torsion], _ x: UnsafeBufferPointer<Double>, _ g: PeriodicGeometry,
                         _ forces: UnsafeMutableBufferPointer<Double>) -> Double {
        var energy = 0.0
        for t in terms {
            // Blondel & Karplus (1996): F = xi − xj, G = xj − xk, H = xl − xk.
            let xj = x.vector(t.j), xk = x.vector(t.k)
            let F = g.delta(xj, x.vector(t.i))
            let G = g.delta(xk, xj)
            let H = g.delta(xk, x.vector(t.l))
            let A = cross(F, G), B = cross(H, G)
            let a2 = dot(A, A), b2 = dot(B, B)
            let lg = length(G)
            guard a2 > 1e-24, b2 > 1e-24, lg > 0 else { continue }
            let phi = atan2(dot(cross(B, A), G) / lg, dot(A, B))
            energy += t.barrier * (1 + cos(t.periodicity * phi - t.phase))
            let dEdPhi = -t.barrier * t.periodicity * sin(t.periodicity * phi - t.phase)
            let dPhiDi = A * (-lg / a2)
            let dPhiDl = B * (lg / b2)
            let fg = dot(F, G) / (a2 * lg), hg = dot(H, G) / (b2 * lg)
            let dPhiDj = -dPhiDi + A * fg - B * hg
            let dPhiDk = -dPhiDl - A * fg + B * hg
            forces.add(t.i, dPhiDi * -dEdPhi)
            forces.add(t.j, dPhiDj * -dEdPhi)
            forces.add(t.k, dPhiDk * -dEdPhi)
            forces.add(t.l, dPhiDl * -dEdPhi)
        }
        return energy
    }

    /// 1-4 Coulomb (÷SCEE) and Lennard-Jones (÷SCNB), both already folded into each pair.
    static func pairs14(_ pairs: [AmberTerms.Pair14], coulomb: Double, _ x: UnsafeBufferPointer<Double>, _ g: PeriodicGeometry,
                        _ forces: UnsafeMutableBufferPointer<Double>) -> (elec: Double, vdw: Double) {
        var elec = 0.0, vdw = 0.0
        for p in pairs {
            let d = g.delta(x.vector(p.i), x.vector(p.j))
            let r2 = dot(d, d)
            let inv2 = 1 / r2
            let inv = inv2.squareRoot()
            let inv6 = inv2 * inv2 * inv2
            let e = coulomb * p.chargeProduct * inv
            let lj12 = p.a * inv6 * inv6, lj6 = p.b * inv6
            elec += e
            vdw += lj12 - lj6
            // −dE/dr · (1/r) multiplies the displacement.
            let fOverR = (e + 12 * lj12 - 6 * lj6) * inv2
            forces.add(p.i, d * -fOverR)
            forces.add(p.j, d * fOverR)
        }
        return (elec, vdw)
    }
}
