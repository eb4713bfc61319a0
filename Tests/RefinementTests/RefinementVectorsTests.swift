import Analysis
import Foundation
import MDCore
import XCTest
@testable import Refinement

final class RefinementVectorsTests: XCTestCase {
    /// The fixture solution's 366 heavy atoms (matched against itself).
    private func solutionPositions() throws -> [SIMD3<Double>] {
        let m = try StructureMatch(candidatePath: Fixtures.solution, solutionPath: Fixtures.solution)
        XCTAssertEqual(m.atoms.count, 366)
        XCTAssertEqual(m.candidatePositions, m.solutionPositions)
        return m.solutionPositions
    }

    private func length(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }

    /// N(a, P) by brute force: a and its k − 1 nearest others, ties by index; and the gap between the
    /// k-th and (k+1)-th distances (how safely the set is defined).
    private func neighborhood(_ a: Int, _ p: [SIMD3<Double>], k: Int) -> (members: Set<Int>, gap: Double) {
        let order = p.indices.sorted {
            let (da, db) = (length(p[$0] - p[a]), length(p[$1] - p[a]))
            return da != db ? da < db : $0 < $1
        }
        XCTAssertEqual(order[0], a)
        let gap = order.count > k ? length(p[order[k]] - p[a]) - length(p[order[k - 1]] - p[a]) : .infinity
        return (Set(order.prefix(k)), gap)
    }

    func testRigidlyMovedCopyGivesZeroVectors() throws {
        let solution = try solutionPositions()
        var rng = SplitMix64(seed: 7)
        for _ in 0..<3 {
            let r = Matrix3.randomRotation(using: &rng)
            let t = SIMD3(Double.random(in: -80...80, using: &rng), Double.random(in: -80...80, using: &rng), Double.random(in: -80...80, using: &rng))
            let candidate = solution.map { r * $0 + t }
            let result = RefinementVectors.compute(candidate: candidate, solution: solution)
            XCTAssertEqual(result.neighborhoodSize, 50)
            XCTAssertLessThan(result.vectors.map(length).max()!, 1e-9)
            XCTAssertLessThan(result.localRMSD.max()!, 1e-9)
        }
    }

    /// One atom d moved by δ. Exact consequences (a ∈ N(a), so v_a is the residual of atom a in its own
    /// least-squares fit, whose optimal cost is at most |δ|², the identity's):
    ///  - an atom whose neighbourhood does not hold d sees identical point sets: T = identity, v = 0;
    ///  - every |v_a| ≤ |δ|, d's own included;
    ///  - v_d is not δ: the fit of d's neighbourhood follows d a little. For δ along x_d − x̄ (x̄ the
    ///    solution centroid of N(d)) the covariance stays symmetric positive definite, so the optimal
    ///    rotation is exactly the identity and the translation δ/k: v_d = δ (k − 1)/k.
    ///    (Were a left out of N(a), v_d would be δ exactly, and v_a for a ≠ d not bounded by |δ| in general.)
    func testSingleDisplacedAtom() throws {
        let solution = try solutionPositions()
        let k = RefinementVectors.defaultNeighbors
        var rng = SplitMix64(seed: 3)
        var radialChecked = 0
        for d in stride(from: 5, to: solution.count, by: 47) {
            let n0 = neighborhood(d, solution, k: k).members
            let centroid = n0.reduce(SIMD3<Double>.zero) { $0 + solution[$1] } / Double(k)
            let outward = solution[d] - centroid
            guard length(outward) > 1 else { continue }

            // Radial displacement: exact.
            let radial = 0.3 * outward / length(outward)
            var candidate = solution
            candidate[d] += radial
            let (members, gap) = neighborhood(d, candidate, k: k)
            guard members == n0, gap > 1e-3 else { continue }
            let result = RefinementVectors.compute(candidate: candidate, solution: solution)
            XCTAssertLessThan(length(result.vectors[d] - radial * Double(k - 1) / Double(k)), 1e-9, "atom \(d)")
            var zeros = 0, nonzero = 0
            for a in solution.indices {
                XCTAssertLessThanOrEqual(length(result.vectors[a]), length(radial) + 1e-12)
                let (around, aGap) = neighborhood(a, candidate, k: k)
                if !around.contains(d) && aGap > 1e-6 {
                    XCTAssertLessThan(length(result.vectors[a]), 1e-9, "atom \(a) does not have \(d) among its neighbours")
                    zeros += 1
                } else if around.contains(d) {
                    nonzero += 1
                }
            }
            XCTAssertGreaterThan(zeros, 100)
            XCTAssertGreaterThan(nonzero, 10)
            radialChecked += 1

            // Any direction: the exact bounds, and v_d close to δ to first order (|v_d − δ| of order |δ|/k).
            var u = SIMD3(Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng))
            u /= length(u)
            let delta = 0.5 * u
            candidate = solution
            candidate[d] += delta
            let general = RefinementVectors.compute(candidate: candidate, solution: solution)
            for a in solution.indices {
                XCTAssertLessThanOrEqual(length(general.vectors[a]), length(delta) + 1e-12)
                let (around, aGap) = neighborhood(a, candidate, k: k)
                if !around.contains(d) && aGap > 1e-6 { XCTAssertLessThan(length(general.vectors[a]), 1e-9) }
            }
            // Observed on this fixture: |v_d − δ| is 2.0–2.7 % of |δ| (1/k = 2 % from the translation alone), the
            // other atoms' |v| at most 4.4 % of |δ|.
            XCTAssertLessThan(length(general.vectors[d] - delta), 0.1 * length(delta), "atom \(d): v_d = \(general.vectors[d]), δ = \(delta)")
            for a in solution.indices where a != d { XCTAssertLessThan(length(general.vectors[a]), 0.1 * length(delta)) }
        }
        XCTAssertGreaterThanOrEqual(radialChecked, 3)
    }

    func testEquivarianceAndInvariance() throws {
        let match = try StructureMatch(candidatePath: Fixtures.path(Fixtures.candidates[0]), solutionPath: Fixtures.solution)
        let base = RefinementVectors.compute(candidate: match.candidatePositions, solution: match.solutionPositions)
        var rng = SplitMix64(seed: 11)
        let r = Matrix3.randomRotation(using: &rng), t = SIMD3<Double>(12, -40, 7)
        // Moving the solution rigidly changes nothing; rotating the candidate rotates every vector.
        let movedSolution = RefinementVectors.compute(candidate: match.candidatePositions, solution: match.solutionPositions.map { r * $0 + t })
        let rotatedCandidate = RefinementVectors.compute(candidate: match.candidatePositions.map { r * $0 + t }, solution: match.solutionPositions)
        for i in base.vectors.indices {
            XCTAssertLessThan(length(movedSolution.vectors[i] - base.vectors[i]), 1e-9)
            XCTAssertLessThan(length(rotatedCandidate.vectors[i] - r * base.vectors[i]), 1e-9)
        }
    }

    func testMatchesIndependentNumPyReference() throws {
        let reference = try Fixtures.reference()
        XCTAssertEqual(reference.neighbors, RefinementVectors.defaultNeighbors)
        for name in Fixtures.candidates {
            let expected = reference.candidates[name]!
            let targets = RefinementTargets(match: try StructureMatch(candidatePath: Fixtures.path(name), solutionPath: Fixtures.solution))
            XCTAssertEqual(targets.match.statistics.candidate.records, expected.candidateRecords)
            XCTAssertEqual(targets.match.statistics.solution.records, expected.solutionRecords)
            XCTAssertEqual(targets.summary.matched, expected.matched)
            XCTAssertEqual(targets.summary.globalRMSD, expected.globalRMSD, accuracy: 1e-9)
            XCTAssertEqual(targets.summary.meanVectorLength, expected.meanVectorLength, accuracy: 1e-9)
            XCTAssertEqual(targets.summary.maxVectorLength, expected.maxVectorLength, accuracy: 1e-9)
            var worst = 0.0
            for (v, e) in zip(targets.result.vectors, expected.vectors) {
                worst = max(worst, length(v - SIMD3(e[0], e[1], e[2])))
            }
            XCTAssertLessThan(worst, 1e-8, name)
        }
    }

    func testNeighbourhoodOfEveryAtomIsTheGlobalFit() throws {
        // With k ≥ n every neighbourhood is the whole structure: every T_a is the global superposition,
        // v_a its residuals, and the RMS of |v| is the global RMSD.
        let match = try StructureMatch(candidatePath: Fixtures.path(Fixtures.candidates[1]), solutionPath: Fixtures.solution)
        let targets = RefinementTargets(match: match, neighbors: 1000)
        XCTAssertEqual(targets.summary.neighborhoodSize, 346)
        XCTAssertEqual(targets.summary.rmsVectorLength, targets.summary.globalRMSD, accuracy: 1e-9)
        let fit = Superposition(fitting: match.solutionPositions, onto: match.candidatePositions)
        for i in match.atoms.indices {
            XCTAssertLessThan(length(targets.result.vectors[i] - (match.candidatePositions[i] - fit.apply(match.solutionPositions[i]))), 1e-9)
        }
        // A smaller neighbourhood follows the structure more closely: smaller vectors than the global fit's.
        XCTAssertLessThan(RefinementTargets(match: match).summary.rmsVectorLength, targets.summary.rmsVectorLength)
    }
}
