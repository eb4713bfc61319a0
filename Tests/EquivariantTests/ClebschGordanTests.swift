import XCTest
import MDCore
@testable import Equivariant

final class ClebschGordanTests: XCTestCase {
    let maxL = 3

    private func couple(_ c: [Double], _ x: [Double], _ y: [Double], _ n3: Int) -> [Double] {
        let (n1, n2) = (x.count, y.count)
        var z = [Double](repeating: 0, count: n3)
        for a in 0..<n1 { for b in 0..<n2 { for m in 0..<n3 { z[m] += c[(a * n2 + b) * n3 + m] * x[a] * y[b] } } }
        return z
    }

    private func apply(_ d: [Double], _ x: [Double]) -> [Double] {
        let n = x.count
        return (0..<n).map { a in (0..<n).reduce(0) { $0 + d[a * n + $1] * x[$1] } }
    }

    /// Known values of the complex coefficients.
    func testComplexValues() {
        XCTAssertEqual(ClebschGordan.complex(1, 1, 1, -1, 0, 0), 1 / 3.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(ClebschGordan.complex(1, 0, 1, 0, 0, 0), -1 / 3.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(ClebschGordan.complex(1, 1, 1, 0, 1, 1), 1 / 2.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(ClebschGordan.complex(1, 0, 1, 0, 2, 0), (2 / 3.0).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(ClebschGordan.complex(2, 1, 1, -1, 1, 0), (3 / 10.0).squareRoot(), accuracy: 1e-15)
    }

    /// Σ C[m1,m2,m3](D1 x)(D2 y) = D3 Σ C x y for random x, y, rotations and every allowed (l1, l2, l3) ≤ maxL.
    func testRealCouplingIsEquivariant() {
        var g = SplitMix64(seed: 11)
        for _ in 0..<4 {
            let rotation = Matrix3.randomRotation(using: &g)
            let d = WignerD.real(maxDegree: maxL, rotation: rotation)
            for l1 in 0...maxL { for l2 in 0...maxL { for l3 in abs(l1 - l2)...min(l1 + l2, maxL) {
                let c = ClebschGordan.real(l1, l2, l3)
                XCTAssertGreaterThan(c.reduce(0) { $0 + abs($1) }, 0.5)
                let x = (0..<(2 * l1 + 1)).map { _ in Double.random(in: -1...1, using: &g) }
                let y = (0..<(2 * l2 + 1)).map { _ in Double.random(in: -1...1, using: &g) }
                let lhs = couple(c, apply(d[l1], x), apply(d[l2], y), 2 * l3 + 1)
                let rhs = apply(d[l3], couple(c, x, y, 2 * l3 + 1))
                for m in 0...(2 * l3) { XCTAssertEqual(lhs[m], rhs[m], accuracy: 1e-12, "(\(l1),\(l2),\(l3))") }
            } } }
        }
    }

    /// Both orthogonality relations, and ‖C‖² = 2l3 + 1.
    func testOrthogonality() {
        for l1 in 0...maxL { for l2 in 0...maxL {
            let (n1, n2) = (2 * l1 + 1, 2 * l2 + 1)
            let l3s = Array(abs(l1 - l2)...(l1 + l2))
            let tensors = l3s.map { ClebschGordan.real(l1, l2, $0) }
            for (i, la) in l3s.enumerated() { for (j, lb) in l3s.enumerated() {
                let (na, nb) = (2 * la + 1, 2 * lb + 1)
                for ma in 0..<na { for mb in 0..<nb {
                    var s = 0.0
                    for a in 0..<n1 { for b in 0..<n2 { s += tensors[i][(a * n2 + b) * na + ma] * tensors[j][(a * n2 + b) * nb + mb] } }
                    XCTAssertEqual(s, la == lb && ma == mb ? 1 : 0, accuracy: 1e-13)
                } }
            } }
            let frobenius = tensors[0].reduce(0) { $0 + $1 * $1 }
            XCTAssertEqual(frobenius, Double(2 * l3s[0] + 1), accuracy: 1e-12)
            for a in 0..<n1 { for b in 0..<n2 { for a2 in 0..<n1 { for b2 in 0..<n2 {
                var s = 0.0
                for (i, l3) in l3s.enumerated() { for m in 0..<(2 * l3 + 1) {
                    s += tensors[i][(a * n2 + b) * (2 * l3 + 1) + m] * tensors[i][(a2 * n2 + b2) * (2 * l3 + 1) + m]
                } }
                XCTAssertEqual(s, a == a2 && b == b2 ? 1 : 0, accuracy: 1e-13)
            } } } }
        } }
    }

    /// The top coupling of two harmonics of one direction is proportional to the harmonic of order l1 + l2,
    /// and the sparse form lists exactly the dense non-zeros.
    func testProductOfHarmonicsAndSparseForm() {
        let sh = SphericalHarmonics(maxDegree: 2 * maxL)
        var g = SplitMix64(seed: 12)
        let v = SIMD3(Double.random(in: -1...1, using: &g), Double.random(in: -1...1, using: &g), 0.3)
        let y = sh.values(v)
        for l1 in 1...maxL { for l2 in 1...maxL {
            let l3 = l1 + l2
            let z = couple(ClebschGordan.real(l1, l2, l3), Array(y[(l1 * l1)..<((l1 + 1) * (l1 + 1))]),
                           Array(y[(l2 * l2)..<((l2 + 1) * (l2 + 1))]), 2 * l3 + 1)
            let target = Array(y[(l3 * l3)..<((l3 + 1) * (l3 + 1))])
            let k = zip(z, target).map { $0 * $1 }.reduce(0, +) / target.map { $0 * $0 }.reduce(0, +)
            for m in 0..<(2 * l3 + 1) { XCTAssertEqual(z[m], k * target[m], accuracy: 1e-12) }
            XCTAssertGreaterThan(abs(k), 0.1)
        } }
        let dense = ClebschGordan.real(2, 1, 2)
        let sparse = ClebschGordan.sparse(2, 1, 2)
        XCTAssertEqual(sparse.count, dense.filter { $0 != 0 }.count)
        for e in sparse { XCTAssertEqual(dense[(e.m1 * 3 + e.m2) * 5 + e.m3], e.value) }
    }
}
