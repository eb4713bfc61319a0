import XCTest
import MDCore
@testable import Equivariant

final class HarmonicsTests: XCTestCase {
    let L = 6

    private func randomUnit(_ g: inout SplitMix64) -> SIMD3<Double> {
        while true {
            let v = SIMD3(Double.random(in: -1...1, using: &g), Double.random(in: -1...1, using: &g), Double.random(in: -1...1, using: &g))
            let n2 = (v * v).sum()
            if n2 > 0.01 && n2 <= 1 { return v / n2.squareRoot() }
        }
    }

    private func apply(_ d: [Double], _ x: ArraySlice<Double>) -> [Double] {
        let n = x.count, x = Array(x)
        return (0..<n).map { a in (0..<n).reduce(0) { $0 + d[a * n + $1] * x[$1] } }
    }

    /// (1/4π)∫ Y_l^m Y_l'^m' = δ on a product grid exact well beyond degree 2L, and a finer grid agrees.
    func testOrthonormalityByQuadrature() {
        let sh = SphericalHarmonics(maxDegree: L)
        let n = sh.count
        for degree in [2 * L + 1, 4 * L + 3] {
            let q = SphereQuadrature(exactDegree: degree)
            XCTAssertEqual(q.weights.reduce(0, +), 1, accuracy: 1e-14)
            var gram = [Double](repeating: 0, count: n * n)
            for (p, w) in zip(q.points, q.weights) {
                let y = sh.values(p)
                for a in 0..<n { for b in 0..<n { gram[a * n + b] += w * y[a] * y[b] } }
            }
            var worst = 0.0
            for a in 0..<n { for b in 0..<n { worst = max(worst, abs(gram[a * n + b] - (a == b ? 1 : 0))) } }
            XCTAssertLessThan(worst, 1e-12, "degree \(degree)")
        }
    }

    /// Component normalisation pointwise, the stated low-order forms, and scale invariance.
    func testNormalisationAndConvention() {
        let sh = SphericalHarmonics(maxDegree: L)
        var g = SplitMix64(seed: 1)
        for _ in 0..<20 {
            let u = randomUnit(&g)
            let y = sh.values(u * 3.7)
            for l in 0...L {
                let s = (0..<(2 * l + 1)).reduce(0.0) { $0 + y[l * l + $1] * y[l * l + $1] }
                XCTAssertEqual(s, Double(2 * l + 1), accuracy: 1e-11)
            }
            XCTAssertEqual(y[0], 1)
            let r3 = 3.0.squareRoot()
            XCTAssertEqual(y[1], r3 * u.y, accuracy: 1e-14)
            XCTAssertEqual(y[2], r3 * u.z, accuracy: 1e-14)
            XCTAssertEqual(y[3], r3 * u.x, accuracy: 1e-14)
            XCTAssertEqual(y[6], 5.0.squareRoot() / 2 * (3 * u.z * u.z - 1), accuracy: 1e-13)
        }
        XCTAssertEqual(sh.values(.zero), [1] + [Double](repeating: 0, count: sh.count - 1))
    }

    /// Y(Rr) = D(R) Y(r); D orthogonal; D(R1 R2) = D(R1) D(R2); parity Y_l(−r) = (−1)^l Y_l(r), D(−I) = (−1)^l.
    func testWignerDEquivarianceHomomorphismParity() {
        let sh = SphericalHarmonics(maxDegree: L)
        var g = SplitMix64(seed: 2)
        for _ in 0..<5 {
            let r1 = Matrix3.randomRotation(using: &g), r2 = Matrix3.randomRotation(using: &g)
            let d1 = WignerD.real(maxDegree: L, rotation: r1), d2 = WignerD.real(maxDegree: L, rotation: r2)
            let d12 = WignerD.real(maxDegree: L, rotation: r1 * r2)
            for _ in 0..<5 {
                let v = randomUnit(&g) * 2.3
                let y = sh.values(v), yr = sh.values(r1 * v)
                for l in 0...L {
                    let dy = apply(d1[l], y[(l * l)..<((l + 1) * (l + 1))])
                    for m in 0..<(2 * l + 1) { XCTAssertEqual(yr[l * l + m], dy[m], accuracy: 1e-12) }
                }
            }
            for l in 0...L {
                let n = 2 * l + 1
                for a in 0..<n { for b in 0..<n {
                    let dtd = (0..<n).reduce(0.0) { $0 + d1[l][$1 * n + a] * d1[l][$1 * n + b] }
                    XCTAssertEqual(dtd, a == b ? 1 : 0, accuracy: 1e-12)
                    let prod = (0..<n).reduce(0.0) { $0 + d1[l][a * n + $1] * d2[l][$1 * n + b] }
                    XCTAssertEqual(d12[l][a * n + b], prod, accuracy: 1e-12)
                } }
            }
        }
        let inversion = Matrix3(rows: SIMD3(-1, 0, 0), SIMD3(0, -1, 0), SIMD3(0, 0, -1))
        let dInv = WignerD.real(maxDegree: L, rotation: inversion)
        for _ in 0..<10 {
            let v = randomUnit(&g)
            let y = sh.values(v), ym = sh.values(-v)
            for l in 0...L {
                let sign: Double = l % 2 == 0 ? 1 : -1
                for m in 0..<(2 * l + 1) { XCTAssertEqual(ym[l * l + m], sign * y[l * l + m], accuracy: 1e-12) }
                let n = 2 * l + 1
                for a in 0..<n { for b in 0..<n { XCTAssertEqual(dInv[l][a * n + b], a == b ? sign : 0, accuracy: 1e-12) } }
            }
        }
    }

    /// Analytic gradients against central differences, and tangency (r·∇Y = 0).
    func testGradientsMatchFiniteDifferences() {
        let sh = SphericalHarmonics(maxDegree: L)
        var g = SplitMix64(seed: 3)
        let h = 1e-6
        for _ in 0..<10 {
            let v = randomUnit(&g) * Double.random(in: 0.5...3, using: &g)
            let (_, grad) = sh.valuesAndGradients(v)
            for axis in 0..<3 {
                var e = SIMD3<Double>.zero; e[axis] = h
                let yp = sh.values(v + e), ym = sh.values(v - e)
                for k in 0..<sh.count {
                    XCTAssertEqual(grad[3 * k + axis], (yp[k] - ym[k]) / (2 * h), accuracy: 1e-7 * max(1, abs(grad[3 * k + axis])))
                }
            }
            for k in 0..<sh.count {
                XCTAssertEqual(grad[3 * k] * v.x + grad[3 * k + 1] * v.y + grad[3 * k + 2] * v.z, 0, accuracy: 1e-11)
            }
        }
    }

    /// The batched Float path agrees with the Double one.
    func testBatchedFloat() {
        let sh = SphericalHarmonics(maxDegree: 2)
        var g = SplitMix64(seed: 4)
        let vs = (0..<7).map { _ in randomUnit(&g) * 1.5 }
        let flat = vs.flatMap { [Float($0.x), Float($0.y), Float($0.z)] }
        var out = [Float](repeating: 0, count: 7 * sh.count), grads = [Float](repeating: 0, count: 7 * sh.count * 3)
        flat.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in grads.withUnsafeMutableBufferPointer { sh.evaluate(vectors: f, values: o, gradients: $0) } }
        }
        for (e, v) in vs.enumerated() {
            let (y, dy) = sh.valuesAndGradients(v)
            for k in 0..<sh.count { XCTAssertEqual(Double(out[e * sh.count + k]), y[k], accuracy: 1e-5) }
            for k in 0..<(3 * sh.count) { XCTAssertEqual(Double(grads[e * sh.count * 3 + k]), dy[k], accuracy: 1e-5) }
        }
    }
}
