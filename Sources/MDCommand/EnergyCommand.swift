import AmberIO
import ClassicalFF
import Foundation
import LearnedFF
import MDCore

struct EnergyCommand: Subcommand {
    static let spec = CommandSpec(
        name: "energy", summary: "Single-point energy by term and forces for one frame.",
        positionals: [CommonOptions.systemArgument],
        options: [
            CommonOptions.forces, CommonOptions.coordinates,
            OptionSpec("frame", value: "FILE:INDEX", help: "Take coordinates from a trajectory frame (0-based; negative counts from the end)."),
        ] + ClassicalOptionsParser.options + [
            OptionSpec("write-forces", value: "OUT.nc", help: "Write the frame with its forces (AMBER NetCDF trajectory, `forces` variable)."),
            CommonOptions.json, CommonOptions.overwrite,
        ],
        discussion: "Energies in kcal/mol, forces in kcal/mol/Å.")

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        let selection = try ForceSelection.parse(arguments, command: "energy")
        let system = try LoadedSystem.load(arguments.positionals[0], coordinates: arguments.string("coordinates"),
                                           frame: arguments.string("frame"))
        let options = try ClassicalOptionsParser.parse(arguments, periodic: system.frame.box != nil)
        let forceField = try ClassicalForceField(prmtop: system.prmtop, options: options)
        let provider = try ForceSelection.provider(selection, prmtop: system.prmtop, classical: forceField)
        var forces = [Double](repeating: 0, count: 3 * system.prmtop.atomCount)
        let energy = try system.frame.positions.withUnsafeBufferPointer { x in
            try forces.withUnsafeMutableBufferPointer { f in
                try provider.compute(positions: x, box: options.nonbonded == .noCutoff ? nil : system.frame.box, forces: f)
            }
        }
        let learned = provider as? LearnedForceField
        // The classical energy is reported when the classical force field drives some atoms (with
        // learned forces it is the whole frame's AMBER energy, not a potential of the dynamics).
        let classicalDrives = learned.map { $0.classicalAtomCount > 0 } ?? true
        let terms = classicalDrives ? forceField.lastEnergies : nil
        let total = classicalDrives ? energy ?? forceField.lastEnergies.total : nil
        if let out = arguments.string("write-forces") {
            var frame = system.frame
            frame.forces = forces
            frame.velocities = nil
            let writer = try AmberNetCDFTrajectoryWriter(creating: out, atomCount: frame.atomCount, contents: .init(of: frame),
                                                         title: "md energy", overwrite: arguments.flag("overwrite"))
            try writer.append(frame)
            writer.close()
        }
        let summary = ForceSummary(forces)
        let description = describe(options, forceField)
        let modelPath: String? = if case let .learned(path) = selection { path } else { nil }
        let learnedReport = learned.map {
            LearnedEnergyReport(model: modelPath ?? "", learnedAtoms: $0.learnedAtoms.count, classicalAtoms: $0.classicalAtomCount,
                                netForceRemoved: [$0.lastNetForce.x, $0.lastNetForce.y, $0.lastNetForce.z],
                                receptiveFieldAtoms: $0.lastFieldAtoms)
        }
        if arguments.flag("json") {
            let report = EnergyReport(system: system.prmtop.path, coordinates: system.coordinatesPath, method: description,
                                      forces: learned == nil ? "classical" : "learned", total: total, terms: terms,
                                      rmsForce: summary.rms, maxForce: summary.max, maxForceAtom: summary.maxAtom, learned: learnedReport)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            console.print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        func row(_ name: String, _ text: String) { console.print("  " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + text) }
        console.print("\(system.prmtop.path) with \(system.coordinatesPath)")
        if let learned { console.print("  forces: " + ForceSelection.describe(learned, path: modelPath)) }
        console.print("  " + (learned == nil ? "" : "classical forces: AMBER, ") + description)
        if let terms, let total {
            if let learned {
                console.print("  classical AMBER energy of the whole frame (it gives the forces on the \(learned.classicalAtomCount) classical atoms; the learned forces have no energy):")
            }
            for (name, value) in terms.rows { row(name, String(format: "%18.6f", value)) }
            row("total", String(format: "%18.6f", total) + "  kcal/mol")
        }
        if let learned, let report = learnedReport {
            row("atoms", "\(report.learnedAtoms) learned, \(report.classicalAtoms) classical; receptive field \(report.receptiveFieldAtoms) atoms")
            let net = learned.lastNetForce
            row("net learned", String(format: "%18.6f  kcal/mol/Å removed (%.6f, %.6f, %.6f), spread over the learned atoms",
                                      (net * net).sum().squareRoot(), net.x, net.y, net.z))
        }
        row("max force", String(format: "%18.6f  kcal/mol/Å on atom %d (%@)", summary.max, summary.maxAtom + 1,
                                atomName(system.prmtop.topology, summary.maxAtom)))
        row("rms force", String(format: "%18.6f  kcal/mol/Å per atom", summary.rms))
    }

    /// "CA ALA 2": an atom as a chemist finds it.
    static func atomName(_ topology: Topology, _ atom: Int) -> String {
        let a = topology.atoms[atom], r = topology.residues[a.residueIndex]
        return "\(a.name) \(r.name) \(r.number)"
    }

    static func describe(_ options: ClassicalOptions, _ forceField: ClassicalForceField) -> String {
        let coulomb = "Coulomb constant \(options.coulomb.rawValue) (\(String(format: "%.7f", options.coulomb.value)))"
        switch options.nonbonded {
        case .noCutoff:
            return "nonbonded: all pairs, no cutoff; " + coulomb
        case let .pme(cutoff, tolerance):
            let p = forceField.pmeParameters!
            return String(format: "nonbonded: PME, cutoff %.2f Å, tolerance %.1e, α %.6f Å⁻¹, grid %d×%d×%d, order %d, dispersion correction %@; ",
                          cutoff, tolerance, p.alpha, p.gridSize.x, p.gridSize.y, p.gridSize.z, p.order,
                          options.dispersionCorrection ? "on" : "off") + coulomb
        }
    }
}

/// RMS of |F| over atoms and the largest |F| with its atom (0-based), kcal/mol/Å.
struct ForceSummary {
    var rms = 0.0, max = 0.0, maxAtom = 0

    init(_ forces: [Double]) {
        let atoms = forces.count / 3
        var sum = 0.0
        for i in 0..<atoms {
            let f2 = forces[3 * i] * forces[3 * i] + forces[3 * i + 1] * forces[3 * i + 1] + forces[3 * i + 2] * forces[3 * i + 2]
            sum += f2
            if f2.squareRoot() > max { max = f2.squareRoot(); maxAtom = i }
        }
        rms = (sum / Double(Swift.max(1, atoms))).squareRoot()
    }
}

struct EnergyReport: Codable {
    var system: String
    var coordinates: String
    var method: String
    /// "classical" or "learned".
    var forces: String
    /// The classical force field's energy; absent when it drives no atom (a model of every atom).
    var total: Double?
    var terms: EnergyTerms?
    var rmsForce: Double
    var maxForce: Double
    /// 0-based.
    var maxForceAtom: Int
    var learned: LearnedEnergyReport?
}

/// What `md simulate` logs of a learned provider, for one frame.
struct LearnedEnergyReport: Codable {
    var model: String
    var learnedAtoms: Int
    var classicalAtoms: Int
    /// Σ of the raw learned forces (kcal/mol/Å), removed evenly over the learned atoms.
    var netForceRemoved: [Double]
    var receptiveFieldAtoms: Int
}

/// The classical force-field options shared by `energy` and `simulate`: their spellings and their parsing.
enum ClassicalOptionsParser {
    static let options = [
        OptionSpec("nonbonded", value: "pme|nocutoff", help: "PME (default for periodic systems) or all pairs without cutoff (default in vacuum)."),
        OptionSpec("cutoff", value: "Å", help: "Real-space cutoff with PME (default 9)."),
        OptionSpec("pme-tolerance", value: "TOL", help: "Ewald error tolerance that sets α and the PME grid (default 2e-4; OpenMM's 5e-4 is looser)."),
        OptionSpec("coulomb", value: "amber|openmm", help: "Coulomb constant: AMBER's 332.0522173 (default) or OpenMM's 332.0637 kcal·Å/(mol·e²)."),
        OptionSpec("precision", value: "mixed|double",
                   help: "Pair forces in Float with Double sums (default, as OpenMM's mixed) or all in Double."),
    ]

    static func parse(_ arguments: ParsedArguments, periodic: Bool) throws -> ClassicalOptions {
        var options = ClassicalOptions()
        guard case let .pme(defaultCutoff, defaultTolerance) = ClassicalOptions.Nonbonded.pmeDefault else { preconditionFailure() }
        let method = arguments.string("nonbonded") ?? (periodic ? "pme" : "nocutoff")
        let cutoff = try arguments.value("cutoff", as: Double.self) ?? defaultCutoff
        let tolerance = try arguments.value("pme-tolerance", as: Double.self) ?? defaultTolerance
        switch method {
        case "pme":
            guard periodic else { throw CommandLineError(command: arguments.command, "--nonbonded pme needs a periodic box; these coordinates have none") }
            guard cutoff > 0 else { throw CommandLineError(command: arguments.command, "--cutoff must be positive") }
            guard tolerance > 0 && tolerance < 0.5 else { throw CommandLineError(command: arguments.command, "--pme-tolerance must be in (0, 0.5)") }
            options.nonbonded = .pme(cutoff: cutoff, tolerance: tolerance)
        case "nocutoff":
            options.nonbonded = .noCutoff
        default:
            throw CommandLineError(command: arguments.command, "--nonbonded expects pme or nocutoff, got '\(method)'")
        }
        if let precision = arguments.string("precision") {
            guard let value = ClassicalOptions.Precision(rawValue: precision) else {
                throw CommandLineError(command: arguments.command, "--precision expects mixed or double, got '\(precision)'")
            }
            options.precision = value
        }
        if let coulomb = arguments.string("coulomb") {
            guard let c = ClassicalOptions.CoulombConstant(rawValue: coulomb) else {
                throw CommandLineError(command: arguments.command, "--coulomb expects amber or openmm, got '\(coulomb)'")
            }
            options.coulomb = c
        }
        return options
    }
}
