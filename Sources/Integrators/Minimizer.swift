import Foundation
import MDCore

/// Energy minimisation by FIRE (Bitzek et al., PRL 97, 170201, 2006): damped dynamics that turns the
/// velocity toward the force and accelerates while the energy keeps falling. Robust on the clashes
/// tleap leaves; constrained bonds are restored afterwards by the integrator's first SHAKE/SETTLE.
public struct FIREMinimizer {
    /// Stop when no atom feels more than this force, kcal/mol/Å.
    public var forceTolerance: Double
    public var maxIterations: Int
    /// Largest step an atom may take per iteration, Å.
    public var maxStep = 0.1

    public init(forceTolerance: Double = 1, maxIterations: Int = 1000) {
        self.forceTolerance = forceTolerance
        self.maxIterations = maxIterations
    }

    public struct Result {
        public var iterations: Int
        public var initialEnergy: Double
        public var finalEnergy: Double
        public var maxForce: Double
    }

    public func minimize(_ state: inout SimulationState, _ dynamics: Dynamics, progress: ((Int, Double) -> Void)? = nil) throws -> Result {
        let n = dynamics.masses.count
        var velocity = [Double](repeating: 0, count: 3 * n)
        var dt = 0.002, alpha = 0.1
        var positiveSteps = 0
        try dynamics.updateForces(state)
        let initial = dynamics.potentialEnergy ?? .nan
        var maxForce = Self.largest(dynamics.forces)
        var iteration = 0
        while iteration < maxIterations && maxForce > forceTolerance {
            iteration += 1
            let f = dynamics.forces
            var power = 0.0, vNorm = 0.0, fNorm = 0.0
            for k in 0..<3 * n { power += f[k] * velocity[k]; vNorm += velocity[k] * velocity[k]; fNorm += f[k] * f[k] }
            (vNorm, fNorm) = (vNorm.squareRoot(), fNorm.squareRoot())
            if power > 0 {
                for k in 0..<3 * n { velocity[k] = (1 - alpha) * velocity[k] + alpha * vNorm * f[k] / fNorm }
                positiveSteps += 1
                if positiveSteps > 5 { dt = min(dt * 1.1, 0.02); alpha *= 0.99 }
            } else {
                for k in 0..<3 * n { velocity[k] = 0 }
                positiveSteps = 0
                dt *= 0.5
                alpha = 0.1
            }
            // Unit masses: FIRE only needs a descent direction, and heavy atoms would crawl otherwise.
            var largestMove = 0.0
            for k in 0..<3 * n {
                velocity[k] += dt * f[k]
                largestMove = max(largestMove, abs(dt * velocity[k]))
            }
            let scale = largestMove > maxStep ? maxStep / largestMove : 1
            for k in 0..<3 * n { state.positions[k] += scale * dt * velocity[k] }
            try dynamics.updateForces(state)
            maxForce = Self.largest(dynamics.forces)
            progress?(iteration, maxForce)
        }
        return Result(iterations: iteration, initialEnergy: initial, finalEnergy: dynamics.potentialEnergy ?? .nan, maxForce: maxForce)
    }

    static func largest(_ forces: [Double]) -> Double {
        var m = 0.0
        for i in 0..<forces.count / 3 {
            m = max(m, (forces[3 * i] * forces[3 * i] + forces[3 * i + 1] * forces[3 * i + 1] + forces[3 * i + 2] * forces[3 * i + 2]).squareRoot())
        }
        return m
    }
}
