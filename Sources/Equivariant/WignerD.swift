import Foundation
import MDCore

/// A product quadrature on the unit sphere: Gauss–Legendre in cos θ times equally spaced φ. With
/// n points in cos θ and 2n in φ it integrates every spherical polynomial of degree ≤ 2n − 1 exactly.
/// Weights sum to 1 (they average over the sphere, i.e. (1/4π)∫ dΩ).
public struct SphereQuadrature: Sendable {
    public var points: [SIMD3<Double>] = []
    public var weights: [Double] = []

    /// Exact for polynomials of degree ≤ `degree`.
    public init(exactDegree degree: Int) {
        let n = degree / 2 + 1
        let (nodes, w) = SphereQuadrature.gaussLegendre(n)
        let nPhi = 2 * n
        for (z, wz) in zip(nodes, w) {
            let rho = max(0, 1 - z * z).squareRoot()
            for k in 0..<nPhi {
                let phi = 2 * Double.pi * (Double(k) + 0.5) / Double(nPhi)
                points.append(SIMD3(rho * cos(phi), rho * sin(phi), z))
                weights.append(wz / 2 / Double(nPhi))
            }
        }
    }

    /// Nodes and weights of n-point Gauss–Legendre on [−1, 1] (Newton on P_n).
    public static func gaussLegendre(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: n), weights = nodes
        for i in 0..<n {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var dp = 0.0
            for _ in 0..<100 {
                var pm = 1.0, pn = x  // P_{k-1}, P_k, up to k = n
                for k in stride(from: 2, through: n, by: 1) {
                    (pm, pn) = (pn, (Double(2 * k - 1) * x * pn - Double(k - 1) * pm) / Double(k))
                }
                dp = Double(n) * (x * pn - pm) / (x * x - 1)
                let dx = pn / dp
                x -= dx
                if abs(dx) < 1e-16 { break }
            }
            nodes[i] = x
            weights[i] = 2 / ((1 - x * x) * dp * dp)
        }
        return (nodes, weights)
    }
}

/// Wigner D-matrices of md's real spherical harmonics: Y_l(R r̂) = D^l(R) Y_l(r̂) for any orthogonal R
/// (rotations, and reflections, where D^l(−I) = (−1)^l I).
///
/// Computed by projection, D^l_{mm'} = (1/4π)∫ Y_l^m(R r̂) Y_l^{m'}(r̂) dΩ, with a product quadrature exact
/// for the degree-2l integrand: no Euler angles, any l, accurate to rounding. For checks and data
/// augmentation, not for the hot path.
public enum WignerD {
    /// Block-diagonal D for l = 0…L: `blocks[l]` is (2l+1)² numbers, row-major [m][m'].
    public static func real(maxDegree L: Int, rotation: Matrix3) -> [[Double]] {
        let sh = SphericalHarmonics(maxDegree: L)
        let quadrature = SphereQuadrature(exactDegree: 2 * L + 1)
        var blocks = (0...L).map { l in [Double](repeating: 0, count: (2 * l + 1) * (2 * l + 1)) }
        for (p, w) in zip(quadrature.points, quadrature.weights) {
            let y = sh.values(p), yr = sh.values(rotation * p)
            for l in 0...L {
                let n = 2 * l + 1, base = l * l
                for a in 0..<n { for b in 0..<n { blocks[l][a * n + b] += w * yr[base + a] * y[base + b] } }
            }
        }
        return blocks
    }

    /// D^l alone.
    public static func real(l: Int, rotation: Matrix3) -> [Double] { real(maxDegree: l, rotation: rotation)[l] }
}
