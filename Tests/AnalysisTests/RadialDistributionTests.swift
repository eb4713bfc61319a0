import XCTest
@testable import Analysis
import MDCore

final class RadialDistributionTests: XCTestCase {
    /// Uniform random points in a cell (fractional coordinates uniform in [0, 1)³).
    private func idealGas(_ n: Int, box: Box, _ rng: inout SplitMix64) -> [SIMD3<Double>] {
        let (a, b, c) = box.vectors
        return (0..<n).map { _ in
            a * Double.random(in: 0..<1, using: &rng) + b * Double.random(in: 0..<1, using: &rng) + c * Double.random(in: 0..<1, using: &rng)
        }
    }

    /// g(r) of an ideal gas is 1 at every r: each bin within 5σ of its Poisson noise, and the average
    /// over 2–8 Å within 1%. Three cells: a small cube (all-pairs path), a larger cube and a truncated
    /// octahedron (cell-list path, orthorhombic and triclinic).
    func testIdealGasIsFlatAtOne() {
        let cells = [(Box(a: 20, b: 20, c: 20), 800), (Box(a: 33, b: 31, c: 35), 2500),
                     (Box(a: 36, b: 36, c: 36, alpha: 109.4712206, beta: 109.4712206, gamma: 109.4712206), 2500)]
        var rng = SplitMix64(seed: 99)
        for (box, n) in cells {
            var rdf = RadialDistribution(maxDistance: 8, binWidth: 0.1)
            let frames = 12
            for _ in 0..<frames { rdf.add(idealGas(n, box: box, &rng), box: box) }
            XCTAssertFalse(rdf.rangeLimitedByCell)
            let g = rdf.values, r = rdf.radii
            var sum = 0.0, count = 0
            for k in 0..<g.count where r[k] > 1 {
                let (r0, r1) = (Double(k) * 0.1, Double(k + 1) * 0.1)
                let expected = Double(frames) * Double(n * (n - 1)) / 2 / box.volume * 4 / 3 * .pi * (r1 * r1 * r1 - r0 * r0 * r0)
                XCTAssertEqual(g[k], 1, accuracy: 5 / expected.squareRoot(), "\(box.shapeName) r = \(r[k])")
                if r[k] > 2 { sum += g[k]; count += 1 }
            }
            XCTAssertEqual(sum / Double(count), 1, accuracy: 0.01, box.description)
        }
    }

    /// A simple cubic lattice of spacing a has neighbours at a, a√2, a√3, 2a, a√5, a√6 (6, 12, 8, 6,
    /// 24, 24 of them) within 8 Å, and nothing in between.
    func testSimpleCubicLatticePeaksAtTheLatticeDistances() {
        let a = 3.01, side = 8
        var points: [SIMD3<Double>] = []
        for i in 0..<side { for j in 0..<side { for k in 0..<side { points.append(SIMD3(Double(i), Double(j), Double(k)) * a) } } }
        let box = Box(a: a * Double(side), b: a * Double(side), c: a * Double(side))
        var rdf = RadialDistribution(maxDistance: 8, binWidth: 0.05)
        rdf.add(points, box: box)
        let n = Double(points.count)
        let shells: [(Double, Double)] = [(1, 6), (2, 12), (3, 8), (4, 6), (5, 24), (6, 24)]
        var expected = [Double](repeating: 0, count: rdf.counts.count)
        for (squared, multiplicity) in shells { expected[Int(a * squared.squareRoot() / 0.05)] = n * multiplicity / 2 }
        XCTAssertEqual(rdf.counts, expected)
        let g = rdf.values
        for (squared, _) in shells {
            let bin = Int(a * squared.squareRoot() / 0.05)
            XCTAssertGreaterThan(g[bin], 5, "peak at \(a * squared.squareRoot()) Å")
        }
        let peak = try? XCTUnwrap(RadialDistribution.firstPeak(radii: rdf.radii, values: g))
        XCTAssertEqual(peak?.r ?? 0, 3.025, accuracy: 1e-12)
        // The first shell's height from the ideal count: 6 neighbours in a shell of the bin's volume.
        let (r0, r1) = (3.0, 3.05)
        XCTAssertEqual(peak?.g ?? 0, 6 / ((n - 1) / box.volume * 4 / 3 * .pi * (r1 * r1 * r1 - r0 * r0 * r0)), accuracy: 1e-9)
    }

    func testSmallCellsCutTheRangeAndDifferencesAreMeasured() {
        var rng = SplitMix64(seed: 3)
        let box = Box(a: 12, b: 12, c: 12)
        var rdf = RadialDistribution(maxDistance: 8, binWidth: 0.05)
        rdf.add(idealGas(100, box: box, &rng), box: box)
        XCTAssertTrue(rdf.rangeLimitedByCell)
        XCTAssertLessThanOrEqual(rdf.maxDistance, 6)
        XCTAssertEqual(rdf.values.count, rdf.radii.count)
        XCTAssertEqual(RadialDistribution.rmsDifference([1, 2, 3], [1, 2, 3]), 0)
        XCTAssertEqual(RadialDistribution.rmsDifference([1, 1], [2, 4])!, (5.0).squareRoot(), accuracy: 1e-12)
        XCTAssertNil(RadialDistribution.firstPeak(radii: [1, 2], values: [0.5, 0.9]))
    }
}
