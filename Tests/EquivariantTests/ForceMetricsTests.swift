import XCTest
@testable import Equivariant
import MDCore

final class ForceMetricsTests: XCTestCase {
    func testHandComputedCases() {
        // Atom 0: right magnitude, 90° off. Atom 1: right direction, twice too long.
        let target: [Double] = [1, 0, 0, 0, 2, 0]
        let predicted: [Double] = [0, 1, 0, 0, 4, 0]
        let m = ForceMetrics(predicted: predicted, target: target)
        XCTAssertEqual(m.count, 2)
        XCTAssertEqual(m.tensor, (2.0.squareRoot() + 2) / 2, accuracy: 1e-12)
        XCTAssertEqual(m.magnitude, (0 + 2) / 2, accuracy: 1e-12)
        XCTAssertEqual(m.angle, (90 + 0) / 2, accuracy: 1e-12)
        XCTAssertEqual(m.relativeTensor, (2.0.squareRoot() + 2) / (1 + 2), accuracy: 1e-12)  // Σ‖p − t‖ / Σ‖t‖
        // Magnitudes (1, 4) against (1, 2): two points are always perfectly correlated.
        XCTAssertEqual(m.pearson, 1, accuracy: 1e-12)
        // A selection counts only the named atoms.
        XCTAssertEqual(ForceMetrics(predicted: predicted, target: target, atoms: [1]).angle, 0, accuracy: 1e-12)
    }

    /// The paper's naive baselines: a zero prediction has tensor error = mean |t| and magnitude error =
    /// mean |t|; random directions average 90°.
    func testNaiveBaselines() {
        var rng = SplitMix64(seed: 3)
        let n = 20_000
        let target = (0..<(3 * n)).map { _ in Double.random(in: -1...1, using: &rng) }
        var meanNorm = 0.0
        for a in 0..<n { meanNorm += (target[3 * a] * target[3 * a] + target[3 * a + 1] * target[3 * a + 1] + target[3 * a + 2] * target[3 * a + 2]).squareRoot() }
        meanNorm /= Double(n)
        let zero = ForceMetrics(predicted: Array(repeating: 0, count: 3 * n), target: target)
        XCTAssertEqual(zero.tensor, meanNorm, accuracy: 1e-12)
        XCTAssertEqual(zero.relativeTensor, 1, accuracy: 1e-12)
        let random = ForceMetrics(predicted: (0..<(3 * n)).map { _ in Double.random(in: -1...1, using: &rng) }, target: target)
        XCTAssertEqual(random.angle, 90, accuracy: 1.5)
        XCTAssertEqual(ForceMetrics(predicted: target, target: target).tensor, 0)
        XCTAssertEqual(ForceMetrics(predicted: target, target: target).pearson, 1, accuracy: 1e-12)
    }

    func testMeVConversion() {
        let m = ForceMetrics(predicted: [1, 0, 0], target: [0, 0, 0]).inMeVPerAngstrom
        XCTAssertEqual(m.tensor, 43.364, accuracy: 1e-3)
    }
}
