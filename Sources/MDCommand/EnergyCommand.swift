import AmberIO
import ClassicalFF
import Foundation
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
        if let forces = arguments.string("forces"), forces != "classical" {
            throw NotImplementedError(command: "energy --forces \(forces)", issue: 9)
        }
        let system = try LoadedSystem.load(arguments.positionals[0], coordinates: arguments.string("coordinates"),
                                           frame: arguments.string("frame"))
        let options = try ClassicalOptionsParser.parse(arguments, periodic: system.frame.box != nil)
        let forceField = try ClassicalForceField(prmtop: system.prmtop, options: options)
        var forces = [Double](repeating: 0, count: 3 * system.prmtop.atomCount)
        let total = try system.frame.positions.withUnsafeBufferPointer { x in
            try forces.withUnsafeMutableBufferPointer { f in
                try forceField.compute(positions: x, box: options.nonbonded == .noCutoff ? nil : system.frame.box, forces: f)
            }
        }!
        let terms = forceField.lastEnergies
        if let out = arguments.string("write-forces") {
            var frame = system.frame
            frame.forces = forces
            frame.velocities = nil
            let writer = try AmberNetCDFTrajectoryWriter(creating: out, atomCount: frame.atomCount, contents: .init(of: frame),
                                                         title: "md energy", overwrite: arguments.flag("overwrite"))
            try writer.append(frame)
            writer.close()
        }
        let rms = (forces.reduce(0) { $0 + $1 * $1 } / Double(max(1, forces.count / 3))).squareRoot()
        let description = describe(options, forceField)
        if arguments.flag("json") {
            let report = EnergyReport(system: system.prmtop.path, coordinates: system.coordinatesPath, method: description,
                                      total: total, terms: terms, rmsForce: rms)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            console.print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            console.print("\(system.prmtop.path) with \(system.coordinatesPath)")
            console.print("  " + description)
            for (name, value) in terms.rows { console.print("  " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%18.6f", value)) }
            console.print("  " + "total".padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%18.6f", total) + "  kcal/mol")
            console.print(String(format: "  rms force   %18.6f  kcal/mol/Å per atom", rms))
        }
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

struct EnergyReport: Codable {
    var system: String
    var coordinates: String
    var method: String
    var total: Double
    var terms: EnergyTerms
    var rmsForce: Double
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
