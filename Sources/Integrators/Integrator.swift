import Foundation
import MDCore

/// One time-stepping scheme. `step` advances the state by one time step, leaving `dynamics.forces` at
/// the new positions (so energies and saved forces always belong to the state).
public protocol Integrator {
    /// ps.
    var timeStep: Double { get }
    func step(_ state: inout SimulationState, _ dynamics: Dynamics) throws
}

/// Velocity Verlet with RATTLE: microcanonical (NVE) dynamics, time-reversible and symplectic.
public struct VelocityVerlet: Integrator {
    public let timeStep: Double

    public init(timeStep: Double) { self.timeStep = timeStep }

    public func step(_ state: inout SimulationState, _ dynamics: Dynamics) throws {
        let dt = timeStep
        let half = 0.5 * dt * Kinetics.accelerationPerForce
        kick(&state, dynamics, half)
        let old = dynamics.savePositions(state)
        for k in 0..<state.positions.count { state.positions[k] += dt * state.velocities[k] }
        try dynamics.constrainDrift(reference: old, &state, timeStep: dt)
        try dynamics.updateForces(state)
        kick(&state, dynamics, half)
        try dynamics.constrainVelocities(&state)
        dynamics.removeMomentum(&state)
        state.step += 1
        state.time += dt
    }
}

/// Langevin dynamics in OpenMM's "middle" splitting (LangevinMiddleIntegrator, the BAOAB family of
/// Leimkuhler & Matthews): a full force kick, half a drift, the friction-and-noise update, half a drift,
/// then constraints. Configurational sampling is exact to O(dt²) and insensitive to the friction.
public struct LangevinMiddle: Integrator {
    public let timeStep: Double
    /// K.
    public let temperature: Double
    /// 1/ps.
    public let friction: Double
    public let noise: ThermostatNoise

    public init(timeStep: Double, temperature: Double, friction: Double, seed: UInt64) {
        self.timeStep = timeStep
        self.temperature = temperature
        self.friction = friction
        noise = ThermostatNoise(seed: seed)
    }

    public func step(_ state: inout SimulationState, _ dynamics: Dynamics) throws {
        let dt = timeStep
        let n = dynamics.masses.count
        kick(&state, dynamics, dt * Kinetics.accelerationPerForce)
        try dynamics.constrainVelocities(&state)
        let old = dynamics.savePositions(state)
        let decay = exp(-friction * dt)
        let kick = (1 - decay * decay).squareRoot()
        let kT = Units.boltzmann * temperature / Kinetics.kcalPerAmuAngstrom2PerPs2
        for i in 0..<n {
            let w = dynamics.inverseMasses[i]
            let sigma = kick * (kT * w).squareRoot()
            let g = noise.gaussians(step: state.step, atom: i)
            for d in 0..<3 {
                let k = 3 * i + d
                state.positions[k] += 0.5 * dt * state.velocities[k]
                state.velocities[k] = decay * state.velocities[k] + sigma * g[d]
                state.positions[k] += 0.5 * dt * state.velocities[k]
            }
        }
        try dynamics.constrainDrift(reference: old, &state, timeStep: dt)
        // The noise has components along the constraints; projecting them out here changes nothing in
        // the next step (its kick is projected anyway) but makes the kinetic energy the constrained one.
        try dynamics.constrainVelocities(&state)
        dynamics.removeMomentum(&state)
        state.step += 1
        state.time += dt
        try dynamics.updateForces(state)
    }
}

/// v += scale · F/m (scale in ps·Å/ps² per kcal/mol/Å·amu).
@inline(__always)
func kick(_ state: inout SimulationState, _ dynamics: Dynamics, _ scale: Double) {
    let f = dynamics.forces
    for i in 0..<dynamics.masses.count {
        let s = scale * dynamics.inverseMasses[i]
        state.velocities[3 * i] += s * f[3 * i]
        state.velocities[3 * i + 1] += s * f[3 * i + 1]
        state.velocities[3 * i + 2] += s * f[3 * i + 2]
    }
}
