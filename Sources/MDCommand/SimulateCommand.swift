import AmberIO
import ClassicalFF
import Foundation
import Integrators
import LearnedFF
import MDCore

struct SimulateCommand: Subcommand {
    static let spec = CommandSpec(
        name: "simulate", summary: "Run molecular dynamics with classical or learned forces.",
        positionals: [CommonOptions.systemArgument],
        options: [
            CommonOptions.forces, CommonOptions.coordinates,
            OptionSpec("steps", value: "N", help: "Number of time steps (default 5000)."),
            OptionSpec("timestep", value: "FS", help: "Time step in femtoseconds (default 2; needs --constraints hbonds above ~1 fs)."),
            OptionSpec("integrator", value: "langevin|verlet", help: "Langevin, OpenMM's middle scheme (default), or velocity Verlet (NVE)."),
            OptionSpec("temperature", value: "K", help: "Thermostat temperature and initial velocities (default 300)."),
            OptionSpec("friction", value: "1/PS", help: "Langevin friction (default 1)."),
            OptionSpec("pressure", value: "BAR", help: "Hold the pressure with a Monte Carlo barostat (NPT; Langevin and a periodic box)."),
            OptionSpec("barostat-interval", value: "N", help: "Steps between barostat moves (default 25)."),
            OptionSpec("seed", value: "N", help: "Random seed for velocities and noise (default 1)."),
            OptionSpec("minimize", value: "N", help: "First minimise the energy (FIRE) for at most N iterations or until no force exceeds 1 kcal/mol/Å; 0 skips (default)."),
            OptionSpec("constraints", value: "hbonds|none", help: "Bonds to hydrogen and rigid waters (default hbonds), or none."),
        ] + ClassicalOptionsParser.options + [
            OptionSpec("out", value: "FILE.nc", help: "Trajectory (AMBER NetCDF); frames every --interval steps."),
            OptionSpec("interval", value: "N", help: "Steps between trajectory frames and log lines (default 500)."),
            OptionSpec("save-forces", help: "Store forces in the trajectory (training data)."),
            OptionSpec("save-velocities", help: "Store velocities in the trajectory."),
            OptionSpec("restart-in", value: "FILE", help: "Continue from a restart (NetCDF .ncrst or .rst7 with velocities)."),
            OptionSpec("restart-out", value: "FILE.ncrst", help: "Restart written every --restart-interval steps, at the end and on Ctrl-C."),
            OptionSpec("restart-interval", value: "N", help: "Steps between restarts (default 1000)."),
            OptionSpec("log", value: "FILE.csv", help: "Energy and temperature log (step, time, energies, temperature)."),
            OptionSpec("append", help: "Append to an existing --out trajectory and --log (continuing a run)."),
            CommonOptions.overwrite, CommonOptions.quiet,
        ],
        discussion: """
        Units: Å, ps, kcal/mol, K. Defaults are a chemist's: 2 fs, 300 K, 1/ps, H-bond constraints,
        PME 9 Å. Ctrl-C or kill stops at the end of the current step, writing the trajectory so far
        and a restart; continuing from that restart with the same seed and thread count reproduces
        the uninterrupted run bit for bit. A non-finite force stops the run naming the step and atom.
        """)

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        let selection = try ForceSelection.parse(arguments, command: spec.name)
        let steps = try arguments.value("steps", as: Int.self) ?? 5000
        let dtFs = try arguments.value("timestep", as: Double.self) ?? 2
        let temperature = try arguments.value("temperature", as: Double.self) ?? 300
        let friction = try arguments.value("friction", as: Double.self) ?? 1
        let seed = try arguments.value("seed", as: UInt64.self) ?? 1
        let interval = try arguments.value("interval", as: Int.self) ?? 500
        let restartInterval = try arguments.value("restart-interval", as: Int.self) ?? 1000
        let integratorName = arguments.string("integrator") ?? "langevin"
        let constraintKind = try Constraints.Kind(rawValue: arguments.string("constraints") ?? "hbonds")
            .orThrow(CommandLineError(command: spec.name, "--constraints expects hbonds or none"))
        guard steps >= 0, interval > 0, restartInterval > 0 else {
            throw CommandLineError(command: spec.name, "--steps must be ≥ 0 and --interval, --restart-interval positive")
        }
        guard dtFs > 0, dtFs <= 5, temperature >= 0, friction >= 0 else {
            throw CommandLineError(command: spec.name, "--timestep must be in (0, 5] fs, --temperature and --friction non-negative")
        }
        let overwrite = arguments.flag("overwrite"), append = arguments.flag("append")
        // Refuse to touch any output before doing any work.
        for name in ["out", "restart-out", "log"] {
            if let path = arguments.string(name), FileManager.default.fileExists(atPath: path), !overwrite,
               !(append && name != "restart-out") {
                throw FileAccessError(file: path, "exists; pass --overwrite to replace it" + (name == "restart-out" ? "" : " or --append to continue it"))
            }
        }

        let system = try LoadedSystem.load(arguments.positionals[0], coordinates: arguments.string("restart-in") ?? arguments.string("coordinates"), frame: nil)
        let prmtop = system.prmtop
        let options = try ClassicalOptionsParser.parse(arguments, periodic: system.frame.box != nil)
        let forceField = try ClassicalForceField(prmtop: prmtop, options: options)
        let constraints = Constraints(constraintKind, prmtop: prmtop)
        let provider = try ForceSelection.provider(selection, prmtop: prmtop, classical: forceField)
        let dynamics = Dynamics(provider: provider, masses: prmtop.masses, constraints: constraints)
        let dt = dtFs / 1000
        let integrator: Integrator
        switch integratorName {
        case "langevin": integrator = LangevinMiddle(timeStep: dt, temperature: temperature, friction: friction, seed: seed)
        case "verlet": integrator = VelocityVerlet(timeStep: dt)
        default: throw CommandLineError(command: spec.name, "--integrator expects langevin or verlet, got '\(integratorName)'")
        }

        let barostat = try Self.barostat(arguments, prmtop: prmtop, options: options, integrator: integratorName,
                                         temperature: temperature, seed: seed, box: system.frame.box)
        var state = SimulationState(positions: system.frame.positions, velocities: system.frame.velocities,
                                    box: options.nonbonded == .noCutoff ? nil : system.frame.box, time: system.frame.time)
        let continuing = arguments.string("restart-in") != nil
        if continuing {
            guard system.frame.velocities != nil else {
                throw FileFormatError(file: system.coordinatesPath, "holds no velocities; a run continues only from a restart with velocities")
            }
            state.step = Int((state.time / dt).rounded())
            if let barostat, let restart = arguments.string("restart-in"), let reader = try? AmberNetCDFReader(restart) {
                barostat.restore(from: reader.numericAttribute)
            }
        } else {
            let minimizeSteps = try arguments.value("minimize", as: Int.self) ?? 0
            if minimizeSteps > 0 {
                // Minimisation needs an energy: it always uses the classical force field.
                let classical = provider === forceField ? dynamics : Dynamics(provider: forceField, masses: prmtop.masses, constraints: constraints)
                let result = try FIREMinimizer(maxIterations: minimizeSteps).minimize(&state, classical)
                console.printError(String(format: "md simulate: minimised %.3f → %.3f kcal/mol in %d iterations, largest force %.2f kcal/mol/Å",
                                          result.initialEnergy, result.finalEnergy, result.iterations, result.maxForce))
            }
            try dynamics.constrainInitialPositions(&state)
            if system.frame.velocities == nil {
                try dynamics.assignVelocities(&state, temperature: temperature, seed: seed)
            }
        }
        try dynamics.updateForces(state)

        let describe = EnergyCommand.describe(options, forceField)
        console.printError("md simulate: \(prmtop.atomCount) atoms, \(integratorName) \(dtFs) fs"
            + (integratorName == "langevin" ? ", \(temperature) K, friction \(friction)/ps, seed \(seed)" : "")
            + ", constraints \(constraintKind.rawValue) (\(constraints.distances.count) bonds, \(constraints.waters.count) rigid waters), \(dynamics.degreesOfFreedom) degrees of freedom")
        if case let .learned(path) = selection {
            console.printError("  forces: " + ForceSelection.describe(provider, path: path))
        }
        console.printError("  classical forces: AMBER, \(describe)")

        if let barostat {
            console.printError(String(format: "  barostat: Monte Carlo, %.3f bar every %d steps, %d molecules", barostat.pressure, barostat.interval, barostat.molecules.count))
        }
        let outputs = try RunOutputs(arguments: arguments, atomCount: prmtop.atomCount, state: state, dynamics: dynamics,
                                     title: "md simulate \(URL(fileURLWithPath: prmtop.path).lastPathComponent)",
                                     restartAttributes: { barostat?.restartAttributes ?? [:] })
        if !continuing { try outputs.record(state, dynamics) }

        let progress = Progress(console: console, total: steps, label: "step", quiet: arguments.flag("quiet")) { stepsPerSecond in
            String(format: "%.2f ns/day", stepsPerSecond * dtFs * 86400 / 1e6)
        }
        StopRequest.install()
        defer { StopRequest.reset() }
        let started = Date()
        var done = 0
        do {
            while done < steps && !StopRequest.isRequested {
                try integrator.step(&state, dynamics)
                try barostat?.apply(&state, dynamics)
                done += 1
                if let bad = Self.runaway(state) {
                    throw DynamicsError.blewUp(step: state.step, atom: bad.atom, speed: bad.speed)
                }
                if done % interval == 0 { try outputs.record(state, dynamics) }
                if done % restartInterval == 0 && done < steps { try outputs.checkpoint(&state, dynamics) }
                progress.update(done, detail: String(format: "T %.1f K", dynamics.temperature(state)))
            }
        } catch {
            progress.finish()
            outputs.close()
            throw error
        }
        progress.finish()
        try outputs.checkpoint(&state, dynamics)
        outputs.close()
        let seconds = Date().timeIntervalSince(started)
        let nsPerDay = seconds > 0 ? Double(done) * dtFs * 86400 / 1e6 / seconds : 0
        console.print(String(format: "%d steps (%.3f ps) in %.1f s: %.2f ns/day; final T %.1f K", done, Double(done) * dt, seconds, nsPerDay,
                             dynamics.temperature(state))
                      + (dynamics.potentialEnergy.map { String(format: ", potential %.3f kcal/mol", $0) } ?? ""))
        if let learned = provider as? LearnedForceField {
            console.print(String(format: "learned forces: mean |net force| removed %.3f kcal/mol/Å, receptive field %d atoms",
                                 learned.meanNetForce, learned.lastFieldAtoms))
        }
        if StopRequest.isRequested {
            throw Interrupted(step: state.step, restart: arguments.string("restart-out"))
        }
    }

    static func barostat(_ arguments: ParsedArguments, prmtop: Prmtop, options: ClassicalOptions, integrator: String,
                         temperature: Double, seed: UInt64, box: Box?) throws -> MonteCarloBarostat? {
        guard let pressure = try arguments.value("pressure", as: Double.self) else { return nil }
        guard integrator == "langevin", options.nonbonded != .noCutoff, let box else {
            throw CommandLineError(command: spec.name, "--pressure needs Langevin dynamics in a periodic box")
        }
        let interval = try arguments.value("barostat-interval", as: Int.self) ?? 25
        guard pressure > 0, interval > 0 else { throw CommandLineError(command: spec.name, "--pressure and --barostat-interval must be positive") }
        var molecules: [[Int]] = []
        if let sizes = prmtop.atomsPerMolecule {
            var start = 0
            for size in sizes { molecules.append(Array(start..<start + size)); start += size }
        } else {
            molecules = prmtop.topology.molecules()
        }
        return MonteCarloBarostat(pressure: pressure, temperature: temperature, interval: interval, molecules: molecules,
                                  seed: seed, initialVolume: box.volume)
    }

    /// The fastest atom if it moves faster than anything thermal could (hydrogen at 300 K: ~16 Å/ps rms).
    static func runaway(_ state: SimulationState) -> (atom: Int, speed: Double)? {
        var worst = 0, largest = 0.0
        for i in 0..<state.atomCount {
            let v2 = state.velocities[3 * i] * state.velocities[3 * i] + state.velocities[3 * i + 1] * state.velocities[3 * i + 1]
                + state.velocities[3 * i + 2] * state.velocities[3 * i + 2]
            if !(v2 <= largest) { largest = v2; worst = i }
        }
        return largest.isFinite && largest < 500 * 500 ? nil : (worst, largest.squareRoot())
    }
}

struct Interrupted: Error, CustomStringConvertible {
    var step: Int
    var restart: String?
    var description: String {
        "interrupted at step \(step); trajectory so far is saved" + (restart.map { " and \($0) holds the restart" } ?? "")
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
