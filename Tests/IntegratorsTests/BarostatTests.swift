import XCTest
@testable import Integrators
import MDCore

/// No interactions at all: an ideal gas.
private final class IdealGas: ForceProvider {
    let atomCount: Int
    init(atomCount: Int) { self.atomCount = atomCount }
    func compute(positions: UnsafeBufferPointer<Double>, box: Box?, forces: UnsafeMutableBufferPointer<Double>) throws -> Double? {
        forces.update(repeating: 0)
        return 0
    }
}

final class BarostatTests: XCTestCase {
    /// For N ideal-gas molecules at pressure P the isothermal-isobaric volume distribution is
    /// p(V) ∝ V^N e^(−PV/kT), so ⟨V⟩ = (N+1) kT / P exactly.
    func testIdealGasMeanVolumeIsAnalytic() throws {
        let n = 200
        let temperature = 300.0, pressure = 8.0   // bar
        let kT = Units.boltzmann * temperature
        let expected = Double(n + 1) * kT / (pressure * MonteCarloBarostat.kcalPerMolPerCubicAngstromPerBar)
        let side = pow(expected, 1.0 / 3.0) * 0.8
        var rng = SystemRandomNumberGenerator()
        let positions = (0..<3 * n).map { _ in Double.random(in: 0..<side, using: &rng) }
        var state = SimulationState(positions: positions, box: Box(a: side, b: side, c: side))
        let dynamics = Dynamics(provider: IdealGas(atomCount: n), masses: Array(repeating: 40, count: n))
        try dynamics.assignVelocities(&state, temperature: temperature, seed: 3)
        try dynamics.updateForces(state)
        let integrator = LangevinMiddle(timeStep: 0.002, temperature: temperature, friction: 1, seed: 5)
        let barostat = MonteCarloBarostat(pressure: pressure, temperature: temperature, interval: 1,
                                          molecules: (0..<n).map { [$0] }, seed: 9, initialVolume: side * side * side)
        for _ in 0..<2000 { try integrator.step(&state, dynamics); try barostat.apply(&state, dynamics) }
        var sum = 0.0
        let samples = 40_000
        for _ in 0..<samples {
            try integrator.step(&state, dynamics)
            try barostat.apply(&state, dynamics)
            sum += state.box!.volume
        }
        let mean = sum / Double(samples)
        print("ideal gas: ⟨V⟩ \(mean) Å³ vs (N+1)kT/P \(expected); acceptance \(Double(barostat.accepted) / Double(barostat.attempted))")
        XCTAssertEqual(mean, expected, accuracy: 0.015 * expected)
        let acceptance = Double(barostat.accepted) / Double(barostat.attempted)
        XCTAssertGreaterThan(acceptance, 0.2)
        XCTAssertLessThan(acceptance, 0.8)
    }

    /// Restarts carry the adapted step, so a continued run proposes the same moves.
    func testRestartAttributesRoundTrip() {
        let a = MonteCarloBarostat(pressure: 1, temperature: 300, molecules: [[0]], seed: 1, initialVolume: 1000)
        a.maxVolumeChange = 3.25
        let b = MonteCarloBarostat(pressure: 1, temperature: 300, molecules: [[0]], seed: 1, initialVolume: 5000)
        let attributes = a.restartAttributes
        b.restore { attributes[$0] }
        XCTAssertEqual(b.maxVolumeChange, 3.25)
        XCTAssertEqual(b.restartAttributes, attributes)
    }
}
