import XCTest
import AmberIO
import ClassicalFF
@testable import Integrators
import MDCore

final class ConstraintTests: XCTestCase {
    func testSETTLEAndSHAKEHoldGeometryThroughDynamics() throws {
        var (dynamics, state, _) = try TestSystem.load("ala2-water", constraints: .hBonds)
        let integrator = LangevinMiddle(timeStep: 0.002, temperature: 300, friction: 1, seed: 3)
        for _ in 0..<50 { try integrator.step(&state, dynamics) }
        let x = state.positions
        func distance(_ i: Int32, _ j: Int32) -> Double {
            let (i, j) = (Int(i), Int(j))
            let d = SIMD3(x[3 * i] - x[3 * j], x[3 * i + 1] - x[3 * j + 1], x[3 * i + 2] - x[3 * j + 2])
            return (d * d).sum().squareRoot()
        }
        XCTAssertEqual(dynamics.constraints.waters.count, 630)
        var worstWater = 0.0
        for w in dynamics.constraints.waters {
            worstWater = max(worstWater, abs(distance(w.oxygen, w.hydrogen1) - w.oh), abs(distance(w.oxygen, w.hydrogen2) - w.oh),
                             abs(distance(w.hydrogen1, w.hydrogen2) - w.hh))
        }
        XCTAssertLessThan(worstWater, 1e-6, "SETTLE geometry error \(worstWater) Å")
        var worstBond = 0.0
        for c in dynamics.constraints.distances { worstBond = max(worstBond, abs(distance(c.i, c.j) - c.length)) }
        XCTAssertLessThan(worstBond, 1e-6, "SHAKE error \(worstBond) Å")
        // Velocities have no component along any constraint.
        let v = state.velocities
        for w in dynamics.constraints.waters.prefix(50) {
            for (i, j) in [(w.oxygen, w.hydrogen1), (w.oxygen, w.hydrogen2), (w.hydrogen1, w.hydrogen2)] {
                let (a, b) = (Int(i), Int(j))
                let r = SIMD3(x[3 * a] - x[3 * b], x[3 * a + 1] - x[3 * b + 1], x[3 * a + 2] - x[3 * b + 2])
                let dv = SIMD3(v[3 * a] - v[3 * b], v[3 * a + 1] - v[3 * b + 1], v[3 * a + 2] - v[3 * b + 2])
                XCTAssertLessThan(abs((r * dv).sum()) / (r * r).sum(), 1e-8)
            }
        }
    }

    func testSETTLEOnAPerturbedWaterRestoresTheTriangle() throws {
        // One TIP3P water: O at the origin, H's in the xy plane; move all three atoms randomly.
        let (oh, hh) = (0.9572, 1.5139)
        let half = hh / 2, height = (oh * oh - half * half).squareRoot()
        let old: [Double] = [0, 0, 0, half, height, 0, -half, height, 0]
        var new = old
        var rng = SystemRandomNumberGenerator()
        for k in 0..<9 { new[k] += Double.random(in: -0.05...0.05, using: &rng) }
        let masses = [15.999, 1.008, 1.008]
        let c = Constraints(waters: [.init(oxygen: 0, hydrogen1: 1, hydrogen2: 2, oh: oh, hh: hh)])
        func centerOfMass(_ x: [Double]) -> SIMD3<Double> {
            var c = SIMD3<Double>.zero
            for a in 0..<3 { c += SIMD3(x[3 * a], x[3 * a + 1], x[3 * a + 2]) * masses[a] }
            return c
        }
        let before = centerOfMass(new)
        try old.withUnsafeBufferPointer { o in
            try new.withUnsafeMutableBufferPointer { n in
                try masses.map { 1 / $0 }.withUnsafeBufferPointer { w in
                    try masses.withUnsafeBufferPointer { m in try c.constrainPositions(old: o, new: n, inverseMasses: w, masses: m) }
                }
            }
        }
        func d(_ i: Int, _ j: Int) -> Double {
            let v = SIMD3(new[3 * i] - new[3 * j], new[3 * i + 1] - new[3 * j + 1], new[3 * i + 2] - new[3 * j + 2])
            return (v * v).sum().squareRoot()
        }
        XCTAssertEqual(d(0, 1), oh, accuracy: 1e-12)
        XCTAssertEqual(d(0, 2), oh, accuracy: 1e-12)
        XCTAssertEqual(d(1, 2), hh, accuracy: 1e-12)
        // SETTLE conserves the centre of mass.
        let shift = centerOfMass(new) - before
        XCTAssertLessThan((shift * shift).sum().squareRoot(), 1e-12)
    }
}

extension ConstraintTests {
    /// SETTLE's answer is the SHAKE answer: the same displacements along the old bonds, not just some
    /// rigid triangle. Solved both ways to 1e-14 on randomly moved waters.
    func testSETTLEAgreesWithIteratedSHAKE() throws {
        let (oh, hh) = (0.9572, 1.5139)
        let half = hh / 2, height = (oh * oh - half * half).squareRoot()
        var rng = SystemRandomNumberGenerator()
        let masses = [15.999, 1.008, 1.008]
        let inverse = masses.map { 1 / $0 }
        for _ in 0..<20 {
            // A randomly oriented water as the old (constrained) positions.
            let angle = Double.random(in: 0..<6.28, using: &rng), tilt = Double.random(in: -1...1, using: &rng)
            let rotate = { (v: SIMD3<Double>) -> SIMD3<Double> in
                let a = SIMD3(v.x * cos(angle) - v.y * sin(angle), v.x * sin(angle) + v.y * cos(angle), v.z)
                return SIMD3(a.x, a.y * cos(tilt) - a.z * sin(tilt), a.y * sin(tilt) + a.z * cos(tilt))
            }
            let atoms = [SIMD3(0.0, 0, 0), SIMD3(half, height, 0), SIMD3(-half, height, 0)].map(rotate)
            let old = atoms.flatMap { [$0.x, $0.y, $0.z] }
            var moved = old
            for k in 0..<9 { moved[k] += Double.random(in: -0.03...0.03, using: &rng) }
            let settle = Constraints(waters: [.init(oxygen: 0, hydrogen1: 1, hydrogen2: 2, oh: oh, hh: hh)])
            let shake = Constraints(distances: [.init(i: 0, j: 1, length: oh), .init(i: 0, j: 2, length: oh), .init(i: 1, j: 2, length: hh)],
                                    tolerance: 1e-15)
            func solve(_ c: Constraints) throws -> [Double] {
                var new = moved
                try old.withUnsafeBufferPointer { o in
                    try new.withUnsafeMutableBufferPointer { n in
                        try inverse.withUnsafeBufferPointer { w in
                            try masses.withUnsafeBufferPointer { m in try c.constrainPositions(old: o, new: n, inverseMasses: w, masses: m) }
                        }
                    }
                }
                return new
            }
            let (settled, shaken) = (try solve(settle), try solve(shake))
            for k in 0..<9 { XCTAssertEqual(settled[k], shaken[k], accuracy: 1e-9, "component \(k)") }
        }
    }
}

final class MinimizerTests: XCTestCase {
    func testFIREReachesTheForceToleranceAndLowersTheEnergy() throws {
        var (dynamics, state, _) = try TestSystem.load("ala2-vacuum", constraints: .none)
        let start = dynamics.potentialEnergy!
        let result = try FIREMinimizer(forceTolerance: 0.1, maxIterations: 20_000).minimize(&state, dynamics)
        XCTAssertLessThan(result.maxForce, 0.1)
        XCTAssertLessThan(result.finalEnergy, start - 1)
        XCTAssertEqual(result.finalEnergy, dynamics.potentialEnergy!)
    }
}
