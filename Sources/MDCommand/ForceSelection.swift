import AmberIO
import ClassicalFF
import Foundation
import LearnedFF
import MDCore

/// `--forces classical|learned[=MODEL]`: which provider drives the atoms. A learned model drives
/// the atoms it was trained on (protein atoms for the paper's models) and the classical force field
/// the rest; without a path, the shipped default model is used.
enum ForceSelection {
    case classical
    case learned(path: String)

    static func parse(_ arguments: ParsedArguments, command: String) throws -> ForceSelection {
        guard let value = arguments.string("forces"), value != "classical" else { return .classical }
        if value == "learned" { return .learned(path: try defaultModelPath()) }
        if value.hasPrefix("learned=") { return .learned(path: String(value.dropFirst("learned=".count))) }
        throw CommandLineError(command: command, "--forces expects classical, learned or learned=MODEL, got '\(value)'")
    }

    static let defaultModelName = "models/default.safetensors"

    /// $MD_MODEL, else models/default.safetensors in the working directory or beside the md
    /// executable's checkout (…/.build/release/md → …/models).
    static func defaultModelPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["MD_MODEL"] { return path }
        var candidates = [defaultModelName]
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent(defaultModelName).path)
            directory = directory.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw FileAccessError(file: defaultModelName, "no default model found (looked in the working directory and beside md); name one with --forces learned=MODEL or $MD_MODEL")
        }
        return found
    }

    /// The provider for a loaded system; `classical` is the system's classical force field.
    static func provider(_ selection: ForceSelection, prmtop: Prmtop, classical: ClassicalForceField) throws -> ForceProvider {
        switch selection {
        case .classical: return classical
        case let .learned(path):
            let model = try LearnedModel.load(path)
            guard model.target == .force else { throw NotAForceModel(source: path, target: model.target) }
            guard model.configuration.predictsVectors else {
                throw FileFormatError(file: path, "is an order-0 model: it predicts force magnitudes, not forces, and cannot drive dynamics")
            }
            return try LearnedForceField(model: model, topology: prmtop.topology, elements: prmtop.elements,
                                         classical: model.learnedAtoms == .all ? nil : classical,
                                         prior: try prior(model.prior, atoms: model.learnedAtoms, prmtop: prmtop), source: prmtop.path)
        }
    }

    /// The provider of a model's prior on a system (nil for none), over the atoms the model drives.
    static func prior(_ prior: ForcePrior, atoms: LearnedAtoms, prmtop: Prmtop) throws -> ForceProvider? {
        switch prior {
        case .none: return nil
        case .amberBonded, .amberBondedLJ:
            return try AmberPrior(prmtop: prmtop, atoms: atoms.atoms(in: prmtop.topology), lennardJones: prior == .amberBondedLJ)
        }
    }

    /// One line saying who drives which atoms.
    static func describe(_ provider: ForceProvider, path: String?) -> String {
        guard let learned = provider as? LearnedForceField else { return "classical AMBER" }
        let c = learned.model.configuration
        var text = "learned network \(path ?? "") (order \(c.maxDegree), \(c.neighbors) neighbours, trained on \(learned.model.learnedAtoms.rawValue) atoms) drives \(learned.learnedAtoms.count) atoms"
        if learned.classicalAtomCount > 0 {
            text += "; classical AMBER drives the other \(learned.classicalAtomCount) (solvent, ions: the model was not trained on them)"
        }
        if learned.model.prior != .none { text += "; prior \(learned.model.prior.rawValue): \(learned.model.prior.summary)" }
        return text + "; the net learned force is removed each step; no potential energy (the network predicts forces)"
    }
}
