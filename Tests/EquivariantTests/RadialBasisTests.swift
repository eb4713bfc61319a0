import XCTest
@testable import Equivariant

final class RadialBasisTests: XCTestCase {
    let cutoff = 5.0

    /// Value, first and second derivative of the envelope vanish at x = 1; zero beyond.
    func testEnvelopeAtCutoff() {
        let u = PolynomialEnvelope(exponent: 6)
        XCTAssertEqual(u(0).value, 1)
        XCTAssertEqual(u(1).value, 0)
        XCTAssertEqual(u(1.2).value, 0)
        let e = 1 - 1e-9
        XCTAssertEqual(u(e).value, 0, accuracy: 1e-24)
        XCTAssertEqual(u(e).derivative, 0, accuracy: 1e-12)
        // u'' from the derivative by differences, near and at 1.
        let h = 1e-6
        XCTAssertEqual((u(1).derivative - u(1 - h).derivative) / h, 0, accuracy: 1e-3)
        // Below 1 the analytic derivative matches differences.
        for x in stride(from: 0.05, to: 1, by: 0.1) {
            XCTAssertEqual(u(x).derivative, (u(x + 1e-7).value - u(x - 1e-7).value) / 2e-7, accuracy: 1e-6)
        }
    }

    /// f, f′ and f″ of every basis function go to zero at rc as h³, h², h (with f″ by differences of f′).
    private func checkSmoothAtCutoff(_ basis: some RadialBasis) {
        for h in [1e-2, 1e-3] {
            let (v, d) = basis.valuesAndDerivatives(cutoff - h)
            let dPrev = basis.valuesAndDerivatives(cutoff - h - 1e-6).derivatives
            for k in 0..<basis.count {
                XCTAssertLessThan(abs(v[k]), 200 * h * h * h, "value \(k) at rc − \(h)")
                XCTAssertLessThan(abs(d[k]), 200 * h * h, "derivative \(k) at rc − \(h)")
                XCTAssertLessThan(abs((d[k] - dPrev[k]) / 1e-6), 200 * h, "second derivative \(k) at rc − \(h)")
            }
        }
        let (v, d) = basis.valuesAndDerivatives(cutoff)
        XCTAssertEqual(v, [Double](repeating: 0, count: basis.count))
        XCTAssertEqual(d, [Double](repeating: 0, count: basis.count))
        XCTAssertEqual(basis.values(cutoff + 1), [Double](repeating: 0, count: basis.count))
    }

    private func checkDerivatives(_ basis: some RadialBasis) {
        for r in stride(from: 0.0005, to: cutoff, by: 0.37) {
            let d = basis.valuesAndDerivatives(r).derivatives
            let p = basis.values(r + 1e-6), m = basis.values(r - 1e-6)
            for k in 0..<basis.count { XCTAssertEqual(d[k], (p[k] - m[k]) / 2e-6, accuracy: 1e-6 * max(1, abs(d[k]))) }
        }
    }

    func testBesselBasis() {
        let basis = BesselBasis(count: 8, cutoff: cutoff)
        checkSmoothAtCutoff(basis)
        checkDerivatives(basis)
        // Finite limit at r = 0: √(2/rc)·nπ/rc.
        let v0 = basis.values(0)
        for k in 0..<8 { XCTAssertEqual(v0[k], (2 / cutoff).squareRoot() * Double(k + 1) * Double.pi / cutoff, accuracy: 1e-12) }
        // Without the envelope at mid-range: the bare Bessel function.
        let r = 2.2, v = basis.values(r), u = PolynomialEnvelope()(r / cutoff).value
        XCTAssertEqual(v[2], (2 / cutoff).squareRoot() * sin(3 * Double.pi * r / cutoff) / r * u, accuracy: 1e-14)
    }

    /// The rotation recurrence against sin and cos of each function's own argument, over the whole
    /// range and across the small-argument series' threshold. Relative to the size of the terms
    /// (|sin(ar)/r| ≤ min(a, 1/r); d/dr's terms ≤ a·max(a, 1/r)): near the zeros of sin(ar), and in
    /// ar·cos(ar) − sin(ar) at small ar, both forms keep only the rounding of those terms.
    func testBesselRecurrenceMatchesDirectFormula() {
        let basis = BesselBasis(count: 16, cutoff: cutoff)
        let prefactor = (2 / cutoff).squareRoot()
        let radii = stride(from: 0.0, to: cutoff, by: 0.0137).map { $0 } + [1e-7, 1e-4, 3e-4, 1e-3 * cutoff / Double.pi, cutoff * (1 - 1e-9)]
        for r in radii {
            let (v, d) = basis.valuesAndDerivatives(r)
            let (u, du) = PolynomialEnvelope()(r / cutoff)
            for k in 0..<basis.count {
                let a = Double(k + 1) * Double.pi / cutoff, ar = a * r
                let f = ar < 1e-3 ? a * (1 - ar * ar / 6 + ar * ar * ar * ar / 120) : sin(ar) / r
                let df = ar < 1e-3 ? a * a * (-ar / 3 + ar * ar * ar / 30) : (ar * cos(ar) - sin(ar)) / (r * r)
                let fScale = r > 0 ? min(a, 1 / r) : a, dfScale = r > 0 ? a * max(a, 1 / r) : a * a
                XCTAssertEqual(v[k], prefactor * f * u, accuracy: 1e-12 * prefactor * abs(u) * fScale, "value \(k) at r = \(r)")
                XCTAssertEqual(d[k], prefactor * (df * u + f * du / cutoff),
                               accuracy: 1e-12 * prefactor * (abs(u) * dfScale + abs(du / cutoff) * fScale), "derivative \(k) at r = \(r)")
            }
        }
    }

    func testGaussianBasis() {
        let basis = GaussianBasis(count: 12, cutoff: cutoff)
        checkSmoothAtCutoff(basis)
        checkDerivatives(basis)
        XCTAssertEqual(basis.values(basis.centre(3))[3], PolynomialEnvelope()(basis.centre(3) / cutoff).value, accuracy: 1e-15)
    }

    func testBatchedFloat() {
        let basis = BesselBasis(count: 4, cutoff: cutoff)
        let r: [Float] = [0.9, 1.5, 3.2, 4.99, 6]
        var out = [Float](repeating: 0, count: r.count * 4), dout = out
        r.withUnsafeBufferPointer { rb in out.withUnsafeMutableBufferPointer { o in dout.withUnsafeMutableBufferPointer { basis.evaluate(distances: rb, values: o, derivatives: $0) } } }
        for (e, x) in r.enumerated() {
            let (v, d) = basis.valuesAndDerivatives(Double(x))
            for k in 0..<4 {
                XCTAssertEqual(Double(out[e * 4 + k]), v[k], accuracy: 1e-5)
                XCTAssertEqual(Double(dout[e * 4 + k]), d[k], accuracy: 1e-5)
            }
        }
    }
}
