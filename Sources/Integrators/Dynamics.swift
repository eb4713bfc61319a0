import Foundation
import MDCore

/// The fixed part of a simulation that the integrators need: masses, constraints and the forces.
public final class Dynamics {
    public let provider: ForceProvider
    public let masses: [Double]
    public let inverseMasses: [Double]
    public let constraints: Constraints
    /// Remove centre-of-mass motion every step (as OpenMM's CMMotionRemover does by default).
    public var removeCenterOfMassMotion: Bool

    /// Forces at the current positions, kcal/mol/Å, kept between steps.
    public private(set) var forces: [Double]
    /// Potential energy at the current positions (nil for providers without one).
    public private(set) var potentialEnergy: Double?
    private var scratch: [Double]
    private var unconstrained: [Double]

    public init(provider: ForceProvider, masses: [Double], constraints: Constraints = .none, removeCenterOfMassMotion: Bool = true) {
        self.provider = provider
        self.masses = masses
        inverseMasses = masses.map { $0 > 0 ? 1 / $0 : 0 }
        self.constraints = constraints
        self.removeCenterOfMassMotion = removeCenterOfMassMotion
        forces = Array(repeating: 0, count: 3 * masses.count)
        scratch = forces
        unconstrained = forces
    }

    /// Degrees of freedom: 3N minus constraints minus the 3 of the centre of mass when it is held.
    public var degreesOfFreedom: Int {
        3 * masses.filter { $0 > 0 }.count - constraints.count - (removeCenterOfMassMotion ? 3 : 0)
    }

    /// Recomputes forces (and energy) at the state's positions; throws on non-finite forces, naming the atom.
    public func updateForces(_ state: SimulationState) throws {
        potentialEnergy = try state.positions.withUnsafeBufferPointer { x in
            try forces.withUnsafeMutableBufferPointer { f in try provider.compute(positions: x, box: state.box, forces: f) }
        }
        for i in 0..<masses.count {
            let f = SIMD3(forces[3 * i], forces[3 * i + 1], forces[3 * i + 2])
            if !(f.x.isFinite && f.y.isFinite && f.z.isFinite) {
                throw DynamicsError.nonFiniteForce(step: state.step, atom: i)
            }
        }
    }

    /// Puts back forces and energy saved before a rejected Monte Carlo move.
    func restore(forces saved: [Double], energy: Double?) {
        forces = saved
        potentialEnergy = energy
    }

    /// ½ Σ m v², kcal/mol (Å²/ps² · amu converted).
    public func kineticEnergy(_ state: SimulationState) -> Double {
        var sum = 0.0
        for i in 0..<masses.count {
            let v = SIMD3(state.velocities[3 * i], state.velocities[3 * i + 1], state.velocities[3 * i + 2])
            sum += masses[i] * (v * v).sum()
        }
        return 0.5 * sum * Kinetics.kcalPerAmuAngstrom2PerPs2
    }

    public func temperature(_ state: SimulationState) -> Double {
        2 * kineticEnergy(state) / (Double(max(degreesOfFreedom, 1)) * Units.boltzmann)
    }

    public func removeMomentum(_ state: inout SimulationState) {
        guard removeCenterOfMassMotion else { return }
        var p = SIMD3<Double>.zero, m = 0.0
        for i in 0..<masses.count {
            p += SIMD3(state.velocities[3 * i], state.velocities[3 * i + 1], state.velocities[3 * i + 2]) * masses[i]
            m += masses[i]
        }
        let v = p / m
        for i in 0..<masses.count where masses[i] > 0 {
            state.velocities[3 * i] -= v.x; state.velocities[3 * i + 1] -= v.y; state.velocities[3 * i + 2] -= v.z
        }
    }

    /// Puts `positions` on the constraints relative to `reference`; then velocities follow the change.
    func constrain(reference: [Double], positions: inout [Double]) throws {
        guard !constraints.isEmpty else { return }
        try reference.withUnsafeBufferPointer { old in
            try positions.withUnsafeMutableBufferPointer { new in
                try inverseMasses.withUnsafeBufferPointer { w in
                    try masses.withUnsafeBufferPointer { m in
                        try constraints.constrainPositions(old: old, new: new, inverseMasses: w, masses: m)
                    }
                }
            }
        }
    }

    func constrainVelocities(_ state: inout SimulationState) throws {
        guard !constraints.isEmpty else { return }
        try state.positions.withUnsafeBufferPointer { x in
            try state.velocities.withUnsafeMutableBufferPointer { v in
                try inverseMasses.withUnsafeBufferPointer { w in try constraints.constrainVelocities(positions: x, velocities: v, inverseMasses: w) }
            }
        }
    }

    /// Constrains positions that drifted from `reference` and adds the constraint displacement, over
    /// dt, to the velocities (RATTLE's position half, as OpenMM applies it).
    func constrainDrift(reference: [Double], _ state: inout SimulationState, timeStep dt: Double) throws {
        guard !constraints.isEmpty else { return }
        unconstrained.withUnsafeMutableBufferPointer { u in
            state.positions.withUnsafeBufferPointer { x in _ = u.update(fromContentsOf: x) }
        }
        try constrain(reference: reference, positions: &state.positions)
        for k in 0..<state.positions.count { state.velocities[k] += (state.positions[k] - unconstrained[k]) / dt }
    }

    /// A scratch copy of the positions, reused each step.
    func savePositions(_ state: SimulationState) -> [Double] {
        scratch.withUnsafeMutableBufferPointer { s in
            state.positions.withUnsafeBufferPointer { x in _ = s.update(fromContentsOf: x) }
        }
        return scratch
    }

    /// Puts starting coordinates exactly on the constraints (files round them to 7 decimals).
    public func constrainInitialPositions(_ state: inout SimulationState) throws {
        let reference = state.positions
        try constrain(reference: reference, positions: &state.positions)
    }

    /// Velocities drawn from Maxwell–Boltzmann at `temperature`, made consistent with the constraints
    /// and free of centre-of-mass motion, then rescaled to exactly that temperature.
    public func assignVelocities(_ state: inout SimulationState, temperature: Double, seed: UInt64) throws {
        let noise = ThermostatNoise(seed: seed ^ 0x5EED)
        for i in 0..<masses.count {
            let sigma = masses[i] > 0 ? (Units.boltzmann * temperature / (masses[i] * Kinetics.kcalPerAmuAngstrom2PerPs2)).squareRoot() : 0
            let g = noise.gaussians(step: -1, atom: i) * sigma
            state.velocities[3 * i] = g.x; state.velocities[3 * i + 1] = g.y; state.velocities[3 * i + 2] = g.z
        }
        try constrainVelocities(&state)
        removeMomentum(&state)
        let current = self.temperature(state)
        if current > 0 {
            let scale = (temperature / current).squareRoot()
            for k in 0..<state.velocities.count { state.velocities[k] *= scale }
        }
    }
}

public enum Kinetics {
    /// 1 amu·Å²/ps² in kcal/mol: 1.66053906660e-27 kg · 1e4 m²/s² · 6.02214076e23 / 4184 J/kcal.
    public static let kcalPerAmuAngstrom2PerPs2 = 1.0 / 418.4
    /// Acceleration of 1 kcal/mol/Å on 1 amu, in Å/ps².
    public static let accelerationPerForce = 418.4
}

public enum DynamicsError: Error, CustomStringConvertible {
    case nonFiniteForce(step: Int, atom: Int)
    case blewUp(step: Int, atom: Int, speed: Double)

    public var description: String {
        switch self {
        case let .nonFiniteForce(step, atom):
            return "the force on atom \(atom + 1) is not finite at step \(step); the simulation blew up"
        case let .blewUp(step, atom, speed):
            return String(format: "atom %d moves at %.1f Å/ps at step %d, far beyond thermal speeds; the simulation blew up (an unminimised structure? try --minimize 1000)", atom + 1, speed, step)
        }
    }
}
