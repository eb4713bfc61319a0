import XCTest
@testable import Analysis
import MDCore

final class SuperpositionTests: XCTestCase {
    private func randomPoints(_ n: Int, _ rng: inout SplitMix64, spread: Double = 10) -> [SIMD3<Double>] {
        (0..<n).map { _ in SIMD3(Double.random(in: -spread...spread, using: &rng), Double.random(in: -spread...spread, using: &rng),
                                 Double.random(in: -spread...spread, using: &rng)) }
    }

    private func randomRotation(_ rng: inout SplitMix64, angle: Double? = nil) -> Matrix3 {
        let axis = SIMD3(Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng))
        return Matrix3(rotationAbout: axis, angle: angle ?? Double.random(in: -Double.pi...Double.pi, using: &rng))
    }

    /// RMSD of an arbitrary transform, computed directly.
    private func rmsd(_ r: Matrix3, _ t: SIMD3<Double>, _ x: [SIMD3<Double>], _ y: [SIMD3<Double>], _ w: [Double]? = nil) -> Double {
        var sum = 0.0, total = 0.0
        for k in 0..<x.count {
            let d = r * x[k] + t - y[k]
            let weight = w?[k] ?? 1
            sum += weight * (d * d).sum()
            total += weight
        }
        return (sum / total).squareRoot()
    }

    func testRecoversRandomRotationsAndTranslations() {
        var rng = SplitMix64(seed: 11)
        // Random angles, and the awkward ones: none, tiny, and half turns (quaternion scalar part zero).
        let angles: [Double?] = [nil, nil, nil, nil, 0, 1e-9, Double.pi, -Double.pi + 1e-12]
        for angle in angles {
            let mobile = randomPoints(40, &rng)
            let rotation = randomRotation(&rng, angle: angle)
            let translation = SIMD3(Double.random(in: -50...50, using: &rng), Double.random(in: -50...50, using: &rng), 30)
            let reference = mobile.map { rotation * $0 + translation }
            let fit = Superposition(fitting: mobile, onto: reference)
            XCTAssertLessThan(fit.rotation.maxDifference(rotation), 1e-10, "angle \(String(describing: angle))")
            XCTAssertLessThan(abs(fit.translation - translation).max(), 1e-10)
            XCTAssertLessThan(fit.rmsd, 1e-10)
            XCTAssertEqual(fit.rotation.determinant, 1, accuracy: 1e-12)
        }
    }

    func testReflectionGivesTheBestProperRotation() {
        // Points ±a x̂, ±b ŷ, ±c ẑ (a > b > c) against their mirror image in x. Kabsch's SVD finds
        // singular values (a², b², c²)·2 with det < 0, so the smallest direction is flipped: the best
        // proper rotation is a half turn about y, leaving the two ±c points 2c out: RMSD² = 8c²/6.
        let (a, b, c) = (5.0, 3.0, 1.5)
        let reference = [SIMD3(a, 0, 0), SIMD3(-a, 0, 0), SIMD3(0, b, 0), SIMD3(0, -b, 0), SIMD3(0, 0, c), SIMD3(0, 0, -c)]
        let mobile = reference.map { SIMD3(-$0.x, $0.y, $0.z) }
        let fit = Superposition(fitting: mobile, onto: reference)
        XCTAssertEqual(fit.rotation.determinant, 1, accuracy: 1e-12)
        XCTAssertEqual(fit.rmsd, (8 * c * c / 6).squareRoot(), accuracy: 1e-12)
        XCTAssertLessThan(fit.rotation.maxDifference(Matrix3(rows: SIMD3(-1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, -1))), 1e-12)

        // A random chiral set against its mirror image: still a proper rotation, its RMSD is what the
        // transform gives, and no nearby rotation does better.
        var rng = SplitMix64(seed: 5)
        let points = randomPoints(25, &rng)
        let mirror = Matrix3(rotationAbout: SIMD3(1, 2, 3), angle: 0.7)
        let target = points.map { mirror * SIMD3(-$0.x, $0.y, $0.z) + SIMD3(1, 2, 3) }
        let best = Superposition(fitting: points, onto: target)
        XCTAssertEqual(best.rotation.determinant, 1, accuracy: 1e-12)
        XCTAssertLessThan((best.rotation * best.rotation.transposed).maxDifference(.identity), 1e-12)
        XCTAssertEqual(best.rmsd, rmsd(best.rotation, best.translation, points, target), accuracy: 1e-12)
        XCTAssertGreaterThan(best.rmsd, 1)
        for _ in 0..<500 {
            let nudge = randomRotation(&rng, angle: Double.random(in: -0.05...0.05, using: &rng))
            let r = nudge * best.rotation
            // The best translation for a given rotation puts the centroids together.
            let cx = points.reduce(.zero, +) / Double(points.count), cy = target.reduce(.zero, +) / Double(points.count)
            XCTAssertGreaterThanOrEqual(rmsd(r, cy - r * cx, points, target), best.rmsd - 1e-12)
        }
    }

    func testWeightsActLikeRepeatedPointsAndCanIgnoreOutliers() {
        var rng = SplitMix64(seed: 8)
        let mobile = randomPoints(30, &rng)
        let rotation = randomRotation(&rng)
        let noisy = mobile.map { rotation * $0 + SIMD3(2, -1, 4) + randomPoints(1, &rng, spread: 0.3)[0] }
        let weights = (0..<30).map { Double(1 + $0 % 3) }
        let weighted = Superposition(fitting: mobile, onto: noisy, weights: weights)
        var repeatedMobile: [SIMD3<Double>] = [], repeatedReference: [SIMD3<Double>] = []
        for k in 0..<30 {
            for _ in 0..<Int(weights[k]) { repeatedMobile.append(mobile[k]); repeatedReference.append(noisy[k]) }
        }
        let repeated = Superposition(fitting: repeatedMobile, onto: repeatedReference)
        XCTAssertLessThan(weighted.rotation.maxDifference(repeated.rotation), 1e-12)
        XCTAssertLessThan(abs(weighted.translation - repeated.translation).max(), 1e-11)
        XCTAssertEqual(weighted.rmsd, repeated.rmsd, accuracy: 1e-12)
        XCTAssertEqual(weighted.rmsd, rmsd(weighted.rotation, weighted.translation, mobile, noisy, weights), accuracy: 1e-12)
        // Unweighted differs from weighted on noisy data (the weights do something).
        XCTAssertGreaterThan(Superposition(fitting: mobile, onto: noisy).rotation.maxDifference(weighted.rotation), 1e-6)

        // Exact data with one wild point: zero weight on it recovers the transform exactly.
        var reference = mobile.map { rotation * $0 + SIMD3(2, -1, 4) }
        reference[7] += SIMD3(20, 0, 0)
        var w = [Double](repeating: 1, count: 30)
        w[7] = 0
        let fit = Superposition(fitting: mobile, onto: reference, weights: w)
        XCTAssertLessThan(fit.rotation.maxDifference(rotation), 1e-10)
        XCTAssertLessThan(fit.rmsd, 1e-10)
    }

    func testFlatBuffersAndAtomSelectionsAgreeWithPointArrays() {
        var rng = SplitMix64(seed: 21)
        let mobile = randomPoints(20, &rng), reference = randomPoints(20, &rng)
        let masses = (0..<20).map { _ in Double.random(in: 1...16, using: &rng) }
        let atoms = [1, 4, 5, 9, 13, 17, 18]
        let expected = Superposition(fitting: atoms.map { mobile[$0] }, onto: atoms.map { reference[$0] }, weights: atoms.map { masses[$0] })
        let flatMobile = mobile.flatMap { [$0.x, $0.y, $0.z] }, flatReference = reference.flatMap { [$0.x, $0.y, $0.z] }
        let flat = flatMobile.withUnsafeBufferPointer { x in
            flatReference.withUnsafeBufferPointer { y in
                atoms.withUnsafeBufferPointer { a in masses.withUnsafeBufferPointer { Superposition(fitting: x, onto: y, atoms: a, weights: $0) } }
            }
        }
        let points = mobile.withUnsafeBufferPointer { x in
            reference.withUnsafeBufferPointer { y in
                atoms.withUnsafeBufferPointer { a in masses.withUnsafeBufferPointer { Superposition(fitting: x, onto: y, atoms: a, weights: $0) } }
            }
        }
        for fit in [flat, points] {
            XCTAssertLessThan(fit.rotation.maxDifference(expected.rotation), 1e-12)
            XCTAssertEqual(fit.rmsd, expected.rmsd, accuracy: 1e-12)
        }
        // Degenerate inputs do not trap.
        XCTAssertEqual(Superposition(fitting: [], onto: []).rmsd, 0)
        XCTAssertEqual(Superposition(fitting: [SIMD3(1, 2, 3)], onto: [SIMD3(4, 5, 6)]).rmsd, 0, accuracy: 1e-12)
    }
}

private func abs(_ v: SIMD3<Double>) -> SIMD3<Double> { SIMD3(Swift.abs(v.x), Swift.abs(v.y), Swift.abs(v.z)) }
