import Foundation

/// Clebsch–Gordan coefficients: complex (Racah's formula, Condon–Shortley phase) and their real form
/// for md's real spherical harmonics (see `SphericalHarmonics`).
///
/// The real coupling tensor C^{l3}_{l1 l2}[m1, m2, m3] couples real features x (order l1) and y
/// (order l2) into z_{m3} = Σ C[m1, m2, m3] x_{m1} y_{m2}, which transforms with D^{l3} when x and y
/// transform with D^{l1} and D^{l2}. It is C = U3 · CG · (U1 ⊗ U2)† with U_l the unitary change of
/// basis from complex to md's real harmonics (Y_real = U Y_complex). That product is either real or
/// i × real (by the parity of l1 + l2 + l3); md keeps the real factor, a global phase that does not
/// touch equivariance.
///
/// **Normalisation**: unitary changes of basis keep the CG orthogonality, so for fixed (l1, l2):
/// Σ_{m1 m2} C^{l3}[m1,m2,m3] C^{l3'}[m1,m2,m3'] = δ_{l3 l3'} δ_{m3 m3'} and
/// Σ_{l3 m3} C^{l3}[m1,m2,m3] C^{l3}[m1',m2',m3] = δ_{m1 m1'} δ_{m2 m2'}; ‖C^{l3}_{l1 l2}‖²_F = 2l3 + 1.
/// (e3nn's `wigner_3j` has unit Frobenius norm: it is C/√(2l3+1) up to sign, in e3nn's y-polar basis.)
public enum ClebschGordan {
    /// ⟨l1 m1 l2 m2 | l3 m3⟩ by Racah's formula (integer l; Condon–Shortley phase).
    public static func complex(_ l1: Int, _ m1: Int, _ l2: Int, _ m2: Int, _ l3: Int, _ m3: Int) -> Double {
        guard m1 + m2 == m3, abs(m1) <= l1, abs(m2) <= l2, abs(m3) <= l3,
              l3 >= abs(l1 - l2), l3 <= l1 + l2 else { return 0 }
        func f(_ n: Int) -> Double { n < 2 ? 1 : (2...n).reduce(1.0) { $0 * Double($1) } }
        let prefactor = (Double(2 * l3 + 1) * f(l3 + l1 - l2) * f(l3 - l1 + l2) * f(l1 + l2 - l3) / f(l1 + l2 + l3 + 1)).squareRoot()
            * (f(l3 + m3) * f(l3 - m3) * f(l1 - m1) * f(l1 + m1) * f(l2 - m2) * f(l2 + m2)).squareRoot()
        var sum = 0.0
        let kMin = max(0, max(l2 - l3 - m1, l1 - l3 + m2))
        let kMax = min(l1 + l2 - l3, min(l1 - m1, l2 + m2))
        if kMin <= kMax {
            for k in kMin...kMax {
                let term = 1 / (f(k) * f(l1 + l2 - l3 - k) * f(l1 - m1 - k) * f(l2 + m2 - k) * f(l3 - l2 + m1 + k) * f(l3 - l1 - m2 + k))
                sum += k % 2 == 0 ? term : -term
            }
        }
        return prefactor * sum
    }

    /// U_l[m, μ] (rows: real index m = −l…l; columns: complex μ = −l…l), as (re, im) arrays of (2l+1)².
    public static func complexToReal(_ l: Int) -> (re: [Double], im: [Double]) {
        let n = 2 * l + 1
        var re = [Double](repeating: 0, count: n * n), im = re
        let h = 1 / 2.0.squareRoot()
        func at(_ m: Int, _ mu: Int) -> Int { (m + l) * n + (mu + l) }
        re[at(0, 0)] = 1
        if l >= 1 {
            for k in 1...l {
                let sign: Double = k % 2 == 0 ? 1 : -1
                // m = +k: (1/√2)((−1)^k Y^k + Y^−k)
                re[at(k, k)] = sign * h
                re[at(k, -k)] = h
                // m = −k: (1/(i√2))((−1)^k Y^k − Y^−k) = (−i/√2)(−1)^k Y^k + (i/√2) Y^−k
                im[at(-k, k)] = -sign * h
                im[at(-k, -k)] = h
            }
        }
        return (re, im)
    }

    /// The real coupling tensor, dense, laid out [m1][m2][m3] with sizes (2l1+1, 2l2+1, 2l3+1);
    /// zeros when l3 is outside |l1 − l2|…l1 + l2.
    public static func real(_ l1: Int, _ l2: Int, _ l3: Int) -> [Double] {
        let (n1, n2, n3) = (2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1)
        var re = [Double](repeating: 0, count: n1 * n2 * n3), im = re
        guard l3 >= abs(l1 - l2), l3 <= l1 + l2 else { return re }
        let u1 = complexToReal(l1), u2 = complexToReal(l2), u3 = complexToReal(l3)
        for m1 in -l1...l1 { for m2 in -l2...l2 { for m3 in -l3...l3 {
            var sr = 0.0, si = 0.0
            for mu1 in -l1...l1 {
                let a1 = (u1.re[(m1 + l1) * n1 + mu1 + l1], -u1.im[(m1 + l1) * n1 + mu1 + l1])  // conj(U1)
                if a1.0 == 0 && a1.1 == 0 { continue }
                for mu2 in -l2...l2 {
                    let mu3 = mu1 + mu2
                    guard abs(mu3) <= l3 else { continue }
                    let a2 = (u2.re[(m2 + l2) * n2 + mu2 + l2], -u2.im[(m2 + l2) * n2 + mu2 + l2])  // conj(U2)
                    let a3 = (u3.re[(m3 + l3) * n3 + mu3 + l3], u3.im[(m3 + l3) * n3 + mu3 + l3])
                    if (a2.0 == 0 && a2.1 == 0) || (a3.0 == 0 && a3.1 == 0) { continue }
                    let cg = complex(l1, mu1, l2, mu2, l3, mu3)
                    if cg == 0 { continue }
                    let p = (a1.0 * a2.0 - a1.1 * a2.1, a1.0 * a2.1 + a1.1 * a2.0)
                    let q = (p.0 * a3.0 - p.1 * a3.1, p.0 * a3.1 + p.1 * a3.0)
                    sr += cg * q.0; si += cg * q.1
                }
            }
            let k = ((m1 + l1) * n2 + (m2 + l2)) * n3 + (m3 + l3)
            re[k] = sr; im[k] = si
        } } }
        let normRe = re.reduce(0) { $0 + $1 * $1 }, normIm = im.reduce(0) { $0 + $1 * $1 }
        let chosen = normRe >= normIm ? re : im
        precondition(min(normRe, normIm) < 1e-20 * max(normRe, normIm), "ClebschGordan.real: mixed phase")
        return chosen.map { abs($0) < 1e-14 ? 0 : $0 }
    }

    /// One non-zero entry of a real coupling tensor.
    public struct Entry: Equatable, Sendable {
        public var m1: Int, m2: Int, m3: Int   // indices 0…2l, i.e. m + l
        public var value: Double
    }

    /// The non-zero entries of `real(l1, l2, l3)`, in [m1][m2][m3] order: the sparse form kernels use.
    public static func sparse(_ l1: Int, _ l2: Int, _ l3: Int) -> [Entry] {
        let dense = real(l1, l2, l3)
        let (n2, n3) = (2 * l2 + 1, 2 * l3 + 1)
        var entries: [Entry] = []
        for (k, v) in dense.enumerated() where v != 0 {
            entries.append(Entry(m1: k / (n2 * n3), m2: (k / n3) % n2, m3: k % n3, value: v))
        }
        return entries
    }
}
