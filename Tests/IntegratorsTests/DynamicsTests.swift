import XCTest
import AmberIO
import ClassicalFF
@testable import Integrators
import MDCore

final class DynamicsTests: XCTestCase {
    /// Velocity Verlet's energy error is second order: halving dt quarters the energy fluctuation.
    func testEnergyErrorScalesAsTimeStepSquared() throws {
        var fluctuations: [Double] = []
        for dt in [0.0005, 0.00025] {
            var (dynamics, state, _) = try TestSystem.load("ala2-vacuum", constraints: .none, seed: 11)
            let integrator = VelocityVerlet(timeStep: dt)
            var energies: [Double] = []
            let steps = Int((0.5 / dt).rounded())   // 0.5 ps
            for n in 0..<steps {
                try integrator.step(&state, dynamics)
                if n % Int(0.0005 / dt) == 0 { energies.append(TestSystem.totalEnergy(dynamics, state)) }
            }
            let mean = energies.reduce(0, +) / Double(energies.count)
            fluctuations.append((energies.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(energies.count)).squareRoot())
        }
        let ratio = fluctuations[0] / fluctuations[1]
        XCTAssertEqual(ratio, 4, accuracy: 0.4, "energy fluctuation ratio \(ratio) for dt 0.5 fs vs 0.25 fs (\(fluctuations))")
    }

    /// NVE with SETTLE, SHAKE and PME at 1 fs: the energy drift per degree of freedom. The short run
    /// (CI, 2 ps) bounds it loosely; MD_LONG_TESTS=1 runs 50 ps against the 0.01 kT/ns target.
    func testConstrainedNVEConservesEnergy() throws {
        var (dynamics, state, _) = try TestSystem.load("ala2-water", constraints: .hBonds, seed: 5)
        // Start from 20 ps of thermostatted dynamics: while the tleap structure relaxes and heats, the
        // integrator's O(dt²) energy offset changes with it and reads as a drift.
        let equilibrated = try AmberNetCDFReader(TestSystem.root.appendingPathComponent("Tests/Fixtures/ala2-water.equilibrated.ncrst").path).frame(0)
        state.positions = equilibrated.positions
        state.velocities = equilibrated.velocities!
        let integrator = VelocityVerlet(timeStep: 0.001)
        try dynamics.updateForces(state)
        var times: [Double] = [], energies: [Double] = []
        let steps = TestSystem.longTests ? 50_000 : 2000
        for n in 0..<steps {
            try integrator.step(&state, dynamics)
            if n % 10 == 0 { times.append(state.time); energies.append(TestSystem.totalEnergy(dynamics, state)) }
        }
        let kT = Units.boltzmann * 300
        let drift = TestSystem.slope(times, energies) * 1000 / kT / Double(dynamics.degreesOfFreedom)   // kT/ns per dof
        print("NVE drift: \(drift) kT/ns per degree of freedom over \(Double(steps) * 0.001) ps (\(dynamics.degreesOfFreedom) dof)")
        // Over 2 ps the ±0.3 kcal/mol fluctuation dominates a fitted slope; 0.5 still catches a broken
        // integrator (averaging the Langevin noise into the velocities gave ~100).
        XCTAssertLessThan(abs(drift), TestSystem.longTests ? 0.01 : 0.5)
    }

    /// Langevin samples the canonical ensemble: mean temperature within 1% and the kinetic energy
    /// distributed as Gamma(dof/2, kT) (Kolmogorov–Smirnov at the 0.1% level).
    func testLangevinSamplesTheCanonicalKineticEnergy() throws {
        var (dynamics, state, _) = try TestSystem.load("ala2-vacuum", constraints: .none, seed: 21)
        let integrator = LangevinMiddle(timeStep: 0.001, temperature: 300, friction: 5, seed: 17)
        for _ in 0..<2000 { try integrator.step(&state, dynamics) }
        var kinetic: [Double] = [], temperatureSum = 0.0, temperatureCount = 0
        let samples = TestSystem.longTests ? 20_000 : 2000
        for n in 0..<(samples * 500) {
            try integrator.step(&state, dynamics)
            if n % 10 == 0 { temperatureSum += dynamics.temperature(state); temperatureCount += 1 }
            if n % 500 == 0 { kinetic.append(dynamics.kineticEnergy(state)) }
        }
        let meanT = temperatureSum / Double(temperatureCount)
        XCTAssertEqual(meanT, 300, accuracy: 3, "mean temperature \(meanT) K")
        let kT = Units.boltzmann * 300
        let shape = Double(dynamics.degreesOfFreedom) / 2
        let sorted = kinetic.sorted()
        var ks = 0.0
        for (k, e) in sorted.enumerated() {
            let cdf = regularizedGammaP(shape, e / kT)
            ks = max(ks, abs(cdf - Double(k) / Double(sorted.count)), abs(cdf - Double(k + 1) / Double(sorted.count)))
        }
        let critical = 1.95 / Double(sorted.count).squareRoot()
        print("Langevin: mean T \(meanT) K; KS statistic \(ks) (critical \(critical) at 0.1%) over \(sorted.count) samples")
        XCTAssertLessThan(ks, critical)
    }
}

extension DynamicsTests {
    /// With constraints the kinetic temperature counts 3N − constraints − 3 degrees of freedom; over
    /// 40 ps of solvated dynamics its mean must still be the bath's within 1% (MD_LONG_TESTS=1).
    func testLangevinTemperatureWithConstraintsInWater() throws {
        guard TestSystem.longTests else { throw XCTSkip("40 ps of solvated dynamics: set MD_LONG_TESTS=1") }
        var (dynamics, state, _) = try TestSystem.load("ala2-water", constraints: .hBonds, seed: 5)
        let equilibrated = try AmberNetCDFReader(TestSystem.root.appendingPathComponent("Tests/Fixtures/ala2-water.equilibrated.ncrst").path).frame(0)
        state.positions = equilibrated.positions
        state.velocities = equilibrated.velocities!
        try dynamics.updateForces(state)
        let integrator = LangevinMiddle(timeStep: 0.002, temperature: 300, friction: 1, seed: 23)
        var sum = 0.0, count = 0
        for n in 0..<20_000 {
            try integrator.step(&state, dynamics)
            if n % 10 == 0 { sum += dynamics.temperature(state); count += 1 }
        }
        let mean = sum / Double(count)
        print("Langevin in water with constraints: mean T \(mean) K over 40 ps")
        XCTAssertEqual(mean, 300, accuracy: 3)
    }
}
