import Foundation
import MDCore

/// Isotropic Monte Carlo barostat (Chow & Ferguson 1995; Åqvist et al. 2004), as OpenMM's
/// MonteCarloBarostat: every `interval` steps a random volume change scales the box and the
/// molecules' centres of mass (molecules stay rigid), accepted with probability
/// min(1, exp(−(ΔU + PΔV − N kT ln(V′/V)) / kT)). The largest trial change adapts toward 25–75%
/// acceptance. Random numbers are a function of (seed, step), like the thermostat's.
public final class MonteCarloBarostat {
    /// bar.
    public let pressure: Double
    public let temperature: Double
    public let interval: Int
    /// Atoms of each molecule.
    public let molecules: [[Int]]
    private let noise: ThermostatNoise
    /// Largest trial volume change, Å³ (carried in restarts so continued runs stay exact).
    public var maxVolumeChange: Double
    public private(set) var attempted = 0
    public private(set) var accepted = 0
    private var recentAttempts = 0, recentAccepted = 0

    /// 1 bar in kcal/(mol·Å³): 10⁵ Pa · 10⁻³⁰ m³/Å³ · N_A / 4184 J/kcal.
    public static let kcalPerMolPerCubicAngstromPerBar = 1e5 * 1e-30 * 6.02214076e23 / 4184

    public init(pressure: Double, temperature: Double, interval: Int = 25, molecules: [[Int]], seed: UInt64, initialVolume: Double) {
        self.pressure = pressure
        self.temperature = temperature
        self.interval = interval
        self.molecules = molecules
        noise = ThermostatNoise(seed: seed ^ 0xBA60_5747)
        maxVolumeChange = 0.01 * initialVolume
    }

    /// What a restart must carry for a continued run to make the same moves.
    public var restartAttributes: [String: Double] {
        ["md_barostat_max_volume_change": maxVolumeChange, "md_barostat_recent_attempts": Double(recentAttempts),
         "md_barostat_recent_accepted": Double(recentAccepted)]
    }

    public func restore(from attributes: (String) -> Double?) {
        if let v = attributes("md_barostat_max_volume_change") { maxVolumeChange = v }
        if let v = attributes("md_barostat_recent_attempts") { recentAttempts = Int(v) }
        if let v = attributes("md_barostat_recent_accepted") { recentAccepted = Int(v) }
    }

    /// Tries a volume move when the step calls for one; returns whether the box changed.
    @discardableResult
    public func apply(_ state: inout SimulationState, _ dynamics: Dynamics) throws -> Bool {
        guard state.step % interval == 0, let box = state.box, let energy = dynamics.potentialEnergy else { return false }
        // A stream no atom uses: the thermostat draws atoms 0..<N at the same step from another seed anyway.
        let random = noise.gaussians(step: state.step, atom: Int(Int32.max))
        // Two uniforms from the normal deviates' CDF: the volume change and the acceptance test.
        let uniform = { (g: Double) in 0.5 * erfc(-g / 2.squareRoot()) }
        let volume = box.volume
        let deltaV = maxVolumeChange * (2 * uniform(random.x) - 1)
        let newVolume = volume + deltaV
        guard newVolume > 0 else { return false }
        let scale = pow(newVolume / volume, 1.0 / 3.0)
        let saved = state.positions
        let savedForces = dynamics.forces
        scaleCentres(&state.positions, by: scale, masses: dynamics.masses)
        state.box = Box(lengths: box.lengths * scale, angles: box.angles)
        attempted += 1
        recentAttempts += 1
        var acceptedMove = false
        do {
            try dynamics.updateForces(state)
            let kT = Units.boltzmann * temperature
            let work = (dynamics.potentialEnergy ?? .infinity) - energy
                + pressure * MonteCarloBarostat.kcalPerMolPerCubicAngstromPerBar * deltaV
                - Double(molecules.count) * kT * log(newVolume / volume)
            acceptedMove = work <= 0 || uniform(random.y) < exp(-work / kT)
        } catch DynamicsError.nonFiniteForce {
            acceptedMove = false
        }
        if acceptedMove {
            accepted += 1
            recentAccepted += 1
        } else {
            state.positions = saved
            state.box = box
            dynamics.restore(forces: savedForces, energy: energy)
        }
        if recentAttempts >= 10 {
            let rate = Double(recentAccepted) / Double(recentAttempts)
            if rate < 0.25 { maxVolumeChange *= 0.9 } else if rate > 0.75 { maxVolumeChange = min(maxVolumeChange * 1.1, 0.3 * volume) }
            recentAttempts = 0
            recentAccepted = 0
        }
        return acceptedMove
    }

    private func scaleCentres(_ x: inout [Double], by scale: Double, masses: [Double]) {
        for molecule in molecules {
            var centre = SIMD3<Double>.zero, mass = 0.0
            for a in molecule {
                centre += SIMD3(x[3 * a], x[3 * a + 1], x[3 * a + 2]) * masses[a]
                mass += masses[a]
            }
            guard mass > 0 else { continue }
            let shift = centre / mass * (scale - 1)
            for a in molecule {
                x[3 * a] += shift.x; x[3 * a + 1] += shift.y; x[3 * a + 2] += shift.z
            }
        }
    }
}
