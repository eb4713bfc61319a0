import Foundation

/// Real spherical harmonics Y_l^m(r̂) for l = 0…L, evaluated by recurrence (any L), with their
/// gradients with respect to the (unnormalised) vector r.
///
/// **md's convention** (its own; not e3nn's axes):
/// - z is the polar axis; components are stored per vector at index `l² + l + m`, m = −l…l.
/// - For m > 0, Y_l^m ∝ P_l^m(cos θ) cos(mφ); for m < 0, Y_l^m ∝ P_l^|m|(cos θ) sin(|m|φ); no
///   Condon–Shortley phase. So Y_1 = √3·(y, z, x) for m = −1, 0, 1.
/// - "Component" normalisation, as e3nn's default: (1/4π)∫ Y_l^m Y_l'^m' dΩ = δ_ll' δ_mm', hence
///   ‖Y_l(r̂)‖² = Σ_m (Y_l^m)² = 2l + 1 at every r̂, and Y_0 = 1.
/// e3nn uses y as its polar axis, so its harmonics are md's up to a fixed orthogonal change of basis
/// within each l (for l = 1: e3nn's (x, y, z) against md's (y, z, x)). Only the invariants are tested:
/// orthonormality, equivariance Y(Rr̂) = D(R)Y(r̂), parity (−1)^l.
///
/// Construction: r^l P_l^m(z/r) without the phase is Q_l^m(z) with Q_l^l = (2l−1)!!,
/// Q_l^{l−1} = (2l−1) z Q_{l−1}^{l−1} and (l−m) Q_l^m = (2l−1) z Q_{l−1}^m − (l+m−1) Q_{l−2}^m on the
/// unit sphere; sin^m θ cos mφ and sin^m θ sin mφ are the real and imaginary parts of (x + iy)^m.
///
/// **Gradients** are analytic: with f(u) = N Q(u_z)·(c_m or s_m)(u_x, u_y), a polynomial equal to Y on
/// the unit sphere, dY/dr = (I − r̂r̂ᵀ)∇f(r̂)/|r|. (The network predicts forces directly, so training
/// does not need them; they are here for conservative variants and for checks.) At r = 0 the
/// direction is undefined: md returns Y_0 = 1, every other component 0 and zero gradients.
public struct SphericalHarmonics: Sendable {
    public let maxDegree: Int
    /// Number of components per vector, (L + 1)².
    public var count: Int { (maxDegree + 1) * (maxDegree + 1) }
    /// N_l^|m| = √((2l+1)(l−|m|)!/(l+|m|)!), times √2 for m ≠ 0, at index l(l+1)/2 + |m|.
    private let norms: [Double]

    public init(maxDegree: Int) {
        precondition(maxDegree >= 0, "SphericalHarmonics: negative degree")
        self.maxDegree = maxDegree
        var norms: [Double] = []
        for l in 0...maxDegree {
            for m in 0...l {
                // (l−m)!/(l+m)! as a running product, exact enough for any practical l.
                var ratio = 1.0
                if m > 0 { for k in (l - m + 1)...(l + m) { ratio /= Double(k) } }
                norms.append(((Double(2 * l + 1)) * ratio * (m == 0 ? 1 : 2)).squareRoot())
            }
        }
        self.norms = norms
    }

    @inline(__always) public static func index(l: Int, m: Int) -> Int { l * l + l + m }

    /// Values of one vector (count numbers), allocating: for tests and small jobs.
    public func values(_ r: SIMD3<Double>) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { evaluate(r, values: $0.baseAddress!, gradients: nil) }
        return out
    }

    /// Values and gradients of one vector: gradients[3·k + axis] = ∂Y_k/∂r_axis.
    public func valuesAndGradients(_ r: SIMD3<Double>) -> (values: [Double], gradients: [Double]) {
        var out = [Double](repeating: 0, count: count)
        var grad = [Double](repeating: 0, count: 3 * count)
        out.withUnsafeMutableBufferPointer { o in
            grad.withUnsafeMutableBufferPointer { g in evaluate(r, values: o.baseAddress!, gradients: g.baseAddress!) }
        }
        return (out, grad)
    }

    /// Edge-major batch: `vectors` holds E vectors (3E numbers), `values` receives E·count numbers,
    /// `gradients` (optional) E·count·3 numbers laid out [edge][component][axis]. Computed in Double.
    public func evaluate<T: BinaryFloatingPoint>(vectors: UnsafeBufferPointer<T>, values: UnsafeMutableBufferPointer<T>,
                                                 gradients: UnsafeMutableBufferPointer<T>? = nil) {
        let edges = vectors.count / 3
        precondition(values.count >= edges * count, "SphericalHarmonics: values buffer too small")
        if let g = gradients { precondition(g.count >= edges * count * 3, "SphericalHarmonics: gradient buffer too small") }
        let n = count
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * n) { scratch in
            let y = scratch.baseAddress!, dy = y + n
            for e in 0..<edges {
                let r = SIMD3(Double(vectors[3 * e]), Double(vectors[3 * e + 1]), Double(vectors[3 * e + 2]))
                evaluate(r, values: y, gradients: gradients == nil ? nil : dy)
                for k in 0..<n { values[e * n + k] = T(y[k]) }
                if let g = gradients { for k in 0..<(3 * n) { g[e * n * 3 + k] = T(dy[k]) } }
            }
        }
    }

    /// Values (count) and optionally gradients (3·count, [component][axis]) of one vector.
    public func evaluate(_ r: SIMD3<Double>, values y: UnsafeMutablePointer<Double>, gradients dy: UnsafeMutablePointer<Double>?) {
        let L = maxDegree
        let n = count
        let length = (r * r).sum().squareRoot()
        guard length > 0 else {
            y.initialize(repeating: 0, count: n)
            y[0] = 1
            dy?.initialize(repeating: 0, count: 3 * n)
            return
        }
        let u = r / length
        let (x, yy, z) = (u.x, u.y, u.z)
        let triangle = (L + 1) * (L + 2) / 2
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * triangle + 2 * (L + 1)) { buffer in
            let q = buffer.baseAddress!, dq = q + triangle
            let c = dq + triangle, s = c + (L + 1)
            @inline(__always) func t(_ l: Int, _ m: Int) -> Int { l * (l + 1) / 2 + m }
            // (x + iy)^m = c_m + i s_m.
            c[0] = 1; s[0] = 0
            if L >= 1 { for m in 1...L { c[m] = x * c[m - 1] - yy * s[m - 1]; s[m] = x * s[m - 1] + yy * c[m - 1] } }
            q[0] = 1; dq[0] = 0
            if L >= 1 {
                for l in 1...L {
                    let a = Double(2 * l - 1)
                    q[t(l, l)] = a * q[t(l - 1, l - 1)]
                    dq[t(l, l)] = 0
                    q[t(l, l - 1)] = a * z * q[t(l - 1, l - 1)]
                    dq[t(l, l - 1)] = a * q[t(l - 1, l - 1)]
                    if l >= 2 {
                        for m in 0...(l - 2) {
                            let b = Double(l + m - 1), d = Double(l - m)
                            q[t(l, m)] = (a * z * q[t(l - 1, m)] - b * q[t(l - 2, m)]) / d
                            dq[t(l, m)] = (a * (q[t(l - 1, m)] + z * dq[t(l - 1, m)]) - b * dq[t(l - 2, m)]) / d
                        }
                    }
                }
            }
            for l in 0...L {
                let centre = l * l + l
                y[centre] = norms[t(l, 0)] * q[t(l, 0)]
                for m in stride(from: 1, through: l, by: 1) {
                    let nq = norms[t(l, m)] * q[t(l, m)]
                    y[centre + m] = nq * c[m]
                    y[centre - m] = nq * s[m]
                }
                guard let dy else { continue }
                // Gradient of the polynomial extension f, then projected on the tangent plane, over |r|.
                func store(_ k: Int, _ g: SIMD3<Double>) {
                    let tangential = (g - (g * u).sum() * u) / length
                    dy[3 * k] = tangential.x; dy[3 * k + 1] = tangential.y; dy[3 * k + 2] = tangential.z
                }
                store(centre, SIMD3(0, 0, norms[t(l, 0)] * dq[t(l, 0)]))
                for m in stride(from: 1, through: l, by: 1) {
                    let nm = norms[t(l, m)], nq = nm * q[t(l, m)], ndq = nm * dq[t(l, m)], fm = Double(m)
                    store(centre + m, SIMD3(nq * fm * c[m - 1], -nq * fm * s[m - 1], ndq * c[m]))
                    store(centre - m, SIMD3(nq * fm * s[m - 1], nq * fm * c[m - 1], ndq * s[m]))
                }
            }
        }
    }
}
