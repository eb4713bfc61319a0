import AmberIO
import ClassicalFF
import Foundation
import Integrators
import MDCore

/// Shipped systems as ready dynamics, for the integrator tests.
enum TestSystem {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var longTests: Bool { ProcessInfo.processInfo.environment["MD_LONG_TESTS"] == "1" }

    static func load(_ name: String, constraints kind: Constraints.Kind, nonbonded: ClassicalOptions.Nonbonded? = nil,
                     temperature: Double = 300, seed: UInt64 = 7) throws -> (Dynamics, SimulationState, Prmtop) {
        let prmtop = try Prmtop(contentsOf: root.appendingPathComponent("systems/\(name)/\(name).prmtop").path)
        let frame = try Rst7.read(root.appendingPathComponent("systems/\(name)/\(name).rst7").path).frame
        let method = nonbonded ?? (frame.box == nil ? .noCutoff : .pmeDefault)
        let ff = try ClassicalForceField(prmtop: prmtop, options: ClassicalOptions(nonbonded: method))
        let dynamics = Dynamics(provider: ff, masses: prmtop.masses, constraints: Constraints(kind, prmtop: prmtop))
        var state = SimulationState(positions: frame.positions, box: method == .noCutoff ? nil : frame.box)
        try dynamics.constrainInitialPositions(&state)
        try dynamics.assignVelocities(&state, temperature: temperature, seed: seed)
        try dynamics.updateForces(state)
        return (dynamics, state, prmtop)
    }

    static func totalEnergy(_ dynamics: Dynamics, _ state: SimulationState) -> Double {
        dynamics.potentialEnergy! + dynamics.kineticEnergy(state)
    }

    /// Least-squares slope of y against x.
    static func slope(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx) }
        return sxy / sxx
    }
}

/// The regularised lower incomplete gamma function P(a, x) by its series (converges for all x ≥ 0;
/// used near the mean, x ≈ a, where ~100 terms suffice).
func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
    guard x > 0 else { return 0 }
    var term = 1 / a, sum = term, n = 1.0
    while term > sum * 1e-15 && n < 10_000 {
        term *= x / (a + n)
        sum += term
        n += 1
    }
    return sum * exp(-x + a * log(x) - lgamma(a))
}
