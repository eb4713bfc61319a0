import AmberIO
import Foundation
import LearnedFF
import Refinement

/// `md refine CANDIDATE --solution SOLUTION`: the paper's structure-refinement targets (Algorithm 1)
/// of a predicted structure against its experimental solution; `md refine CANDIDATE --model M --out
/// REFINED.pdb`: the structure moved against a trained network's predicted vectors.
struct RefineCommand: Subcommand {
    static let spec = CommandSpec(
        name: "refine", summary: "Structure-refinement vectors of a candidate against its solution (the paper's Algorithm 1), or refinement with a trained model.",
        positionals: [PositionalSpec("CANDIDATE", help: "Predicted structure (PDB; the first MODEL is used).")],
        options: [
            OptionSpec("solution", value: "SOLUTION.pdb", help: "The experimental structure the vectors point to (PDB; required unless --model; with --model, RMSD to it is reported)."),
            OptionSpec("targets", value: "OUT.json|OUT.csv",
                       help: "Write every matched atom (chain, residue, names, element, candidate position, vector) with the statistics; format by extension."),
            OptionSpec("neighbors", value: "K", help: "Atoms in each local alignment, the atom itself included (default 50, the paper's; at least 3)."),
            OptionSpec("include-hydrogens", help: "Match and use hydrogens too (default: hydrogens are ignored in both files)."),
            OptionSpec("threads", value: "N", help: "Worker threads for the neighbour search (default 2)."),
            OptionSpec("model", value: "MODEL", help: "Refine CANDIDATE with a trained refinement network (md train on a refinement dataset); needs --out or --vectors."),
            OptionSpec("out", value: "REFINED.pdb", help: "With --model: the refined structure (CANDIDATE's first model with new coordinates)."),
            OptionSpec("vectors", value: "OUT.json|OUT.csv",
                       help: "With --model: write the model's vector for every atom of CANDIDATE as given (beside Algorithm 1's with --solution); format by extension."),
            OptionSpec("step", value: "F", help: "With --model: move each atom by −F·v per iteration, v the predicted vector (default 1)."),
            OptionSpec("iterations", value: "N", help: "With --model: predict and move N times (default 1)."),
            CommonOptions.json, CommonOptions.overwrite,
        ],
        discussion: """
        Targets (Townshend et al. 2020, Section 4.4, Algorithm 1). For every matched candidate atom a:
          N(a)   a and its K − 1 nearest other matched atoms in the candidate (K = --neighbors, 50)
          T_a    the optimal rigid superposition (Kabsch; always a proper rotation, unweighted) of the
                 solution's N(a) atoms onto the candidate's N(a) atoms
          v_a    = p_candidate(a) − T_a(p_solution(a)), in Å
        v_a, as Algorithm 1 writes it, points from the locally aligned solution to the candidate: the
        paper's prediction target. Moving the candidate atom by −v_a puts it on the locally aligned
        solution position. The paper's Algorithm 1 does not say whether a is in N(a); md includes it.

        Matching. Atoms pair by (chain, residue number + insertion code, residue name, atom name) in
        the first MODEL of each file. Of alternate locations the highest occupancy is kept (the first
        on ties). Hydrogens are ignored unless --include-hydrogens. Atoms that cannot be paired are
        skipped and counted by reason, never guessed: absent from the other file, residue name differs,
        duplicated key (in this file or the other). Gzip-compressed files must be decompressed first.

        Output: a summary on standard output (matched and skipped atoms, mean, RMS and largest |v|,
        mean local RMSD, all-atom RMSD after one global superposition); with --json the same as JSON
        (sorted keys). --targets writes the per-atom file: OUT.json holds {"report": ..., "atoms": [...]};
        OUT.csv has the report as '#' lines, then one row per atom (chain, residue, residue_name,
        atom_name, element, serials, x, y, z, vx, vy, vz, length, local_rmsd). Existing files are never
        replaced without --overwrite.

        Refinement with a trained network (--model M --out REFINED.pdb): the model predicts v for every
        heavy atom of CANDIDATE's first model (those matched to SOLUTION when it is given, as in
        training), each moves by −F·v (--step), and this repeats --iterations times on the moved
        structure. Hydrogens and unmatched atoms ride along with the nearest moved atom of their
        residue. REFINED.pdb is CANDIDATE's first model with new coordinates (ANISOU records dropped).
        With --solution, the all-atom RMSD to it (one optimal superposition) and the mean local |v| of
        Algorithm 1 are reported before and after every iteration. --vectors writes what the model
        predicts for CANDIDATE as given, atom by atom (chain, residue, residue_name, atom_name, element,
        serial, x, y, z, px, py, pz, predicted_length; with --solution also Algorithm 1's vx, vy, vz,
        target_length): the predicted field to draw over the structure or to score; --model with
        --vectors alone refines nothing.
        Exit status: 0, 1 for a bad or unreadable file or no atoms in common, 2 for a wrong command line.
        """)

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        let command = spec.name
        if let model = arguments.string("model") {
            return try refine(with: model, arguments, console: console)
        }
        for name in ["out", "step", "iterations"] where arguments.string(name) != nil {
            throw CommandLineError(command: command, "--\(name) applies to refinement with a model (--model MODEL)")
        }
        guard let solutionPath = arguments.string("solution") else {
            throw CommandLineError(command: command, "missing --solution SOLUTION.pdb (the experimental structure)")
        }
        let neighbors = try arguments.value("neighbors", as: Int.self) ?? 50
        guard neighbors >= 3 else { throw CommandLineError(command: command, "--neighbors must be at least 3") }
        let threads = try arguments.value("threads", as: Int.self) ?? 2
        guard threads >= 1 else { throw CommandLineError(command: command, "--threads must be at least 1") }
        let targets = arguments.string("targets")
        let overwrite = arguments.flag("overwrite")
        let csv = try targets.map { try perAtomFile($0, option: "targets", overwrite: overwrite) } ?? false

        let candidatePath = arguments.positionals[0]
        let match = try StructureMatch(candidatePath: candidatePath, solutionPath: solutionPath,
                                       includeHydrogens: arguments.flag("include-hydrogens"))
        guard match.atoms.count >= 3 else {
            let s = match.statistics
            throw NoCommonAtoms(candidate: candidatePath, solution: solutionPath, matched: s.matched,
                                detail: RefinementTargets.matchLines(s).dropFirst().joined(separator: "; "))
        }
        let result = RefinementTargets(match: match, neighbors: neighbors, threads: threads)
        if let targets {
            try FileBytes.write(csv ? result.csv() : result.json(), to: targets, overwrite: overwrite)
        }
        if arguments.flag("json") {
            try printJSON(result.report(targets: targets), console: console)
        } else {
            for line in RefinementTargets.statisticsLines(match.statistics, result.summary) { console.print(line) }
            console.print("neighbourhood: \(result.summary.neighborhoodSize) atoms (each atom and its nearest others); v = p_candidate - T(p_solution)")
            if let targets { console.print("wrote \(targets)") }
        }
    }

    /// Whether a per-atom output is CSV (else JSON), by its extension; refused before any work when
    /// it exists without --overwrite or its folder is missing.
    static func perAtomFile(_ path: String, option: String, overwrite: Bool) throws -> Bool {
        let csv: Bool
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "json": csv = false
        case "csv": csv = true
        default: throw CommandLineError(command: spec.name, "--\(option) writes .json or .csv; name the file OUT.json or OUT.csv (got '\(path)')")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw FileAccessError(file: path, "exists; pass --overwrite to replace it")
        }
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard folder.isEmpty || (FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) else {
            throw FileAccessError(file: path, "cannot be written: no folder \(folder)")
        }
        return csv
    }
}

extension RefineCommand {
    /// What `md refine --model --json` prints.
    struct RefinementJSON: Encodable {
        var candidate: String
        var model: String
        var solution: String?
        var out: String?
        var vectors: String?
        var atoms: Int
        var step: Double
        var iterations: [Iteration]
    }
    struct Iteration: Encodable {
        var iteration: Int
        /// Mean length of the move made to reach this structure (0 for the input), Å.
        var meanMove: Double
        var deviation: StructureRefiner.Deviation?
    }

    static func refine(with modelPath: String, _ arguments: ParsedArguments, console: Console) throws {
        let command = spec.name
        let out = arguments.string("out"), vectors = arguments.string("vectors")
        guard out != nil || vectors != nil else {
            throw CommandLineError(command: command, "--model needs --out REFINED.pdb, --vectors OUT.json|OUT.csv or both")
        }
        if let name = ["targets", "neighbors"].first(where: { arguments.string($0) != nil }) {
            throw CommandLineError(command: command, "--\(name) applies to writing targets, not to refinement with a model")
        }
        if out == nil, let name = ["step", "iterations"].first(where: { arguments.string($0) != nil }) {
            throw CommandLineError(command: command, "--\(name) applies to refinement (--out REFINED.pdb); --vectors alone moves nothing")
        }
        let step = try arguments.value("step", as: Double.self) ?? 1
        let iterations = try arguments.value("iterations", as: Int.self) ?? 1
        let threads = try arguments.value("threads", as: Int.self) ?? 2
        guard step > 0, iterations >= 1, threads >= 1 else {
            throw CommandLineError(command: command, "--step must be positive, --iterations and --threads at least 1")
        }
        let overwrite = arguments.flag("overwrite")
        if let out, !overwrite && FileManager.default.fileExists(atPath: out) { throw FileAccessError(file: out, "exists; pass --overwrite to replace it") }
        let vectorsCSV = try vectors.map { try perAtomFile($0, option: "vectors", overwrite: overwrite) } ?? false
        let model = try LearnedModel.load(modelPath)
        guard model.target == .refinement else {
            throw FileFormatError(file: modelPath, "predicts \(model.target.noun)s; md refine needs a refinement model (md train on a refinement dataset)")
        }
        let vectorModel = model.configuration.predictsVectors
        guard vectorModel || out == nil else {
            throw FileFormatError(file: modelPath, "is an order-0 model: it predicts vector lengths only, with no direction to move atoms in (--vectors alone writes them)")
        }

        let candidatePath = arguments.positionals[0]
        let bytes = try FileBytes.read(candidatePath)
        let candidate = try StructureMatch.readPDB(candidatePath)
        let solutionPath = arguments.string("solution")
        // Without a solution, the candidate matched to itself: its unique heavy atoms.
        let match = try solutionPath.map { StructureMatch(candidate: candidate, candidatePath: candidatePath,
                                                          solution: try StructureMatch.readPDB($0), solutionPath: $0,
                                                          includeHydrogens: arguments.flag("include-hydrogens")) }
            ?? StructureMatch(candidate: candidate, candidatePath: candidatePath, solution: candidate, solutionPath: candidatePath,
                              includeHydrogens: arguments.flag("include-hydrogens"))
        guard match.atoms.count >= 3 else {
            throw NoCommonAtoms(candidate: candidatePath, solution: solutionPath ?? candidatePath, matched: match.atoms.count,
                                detail: RefinementTargets.matchLines(match.statistics).dropFirst().joined(separator: "; "))
        }
        let sample = try RefinementSample(target: "", match: match, threads: threads)
        let refined = try vectorModel
            ? StructureRefiner(model: model, step: step, iterations: out == nil ? 1 : iterations, threads: threads)
                .refine(sample.candidatePositions, elements: sample.elements, sequence: sample.sequence, source: candidatePath)
            : nil
        if let vectors {
            var predicted = refined?.predictions[0] ?? []
            if !vectorModel {
                // An order-0 model's lengths, as md evaluate scores them.
                let flat = model.predictedForces(try sample.example(model: model), threads: threads)
                predicted = stride(from: 0, to: flat.count, by: 3).map { SIMD3(flat[$0], flat[$0 + 1], flat[$0 + 2]) }.map { ($0 * $0).sum().squareRoot() }
            }
            let field = RefinementPredictions(match: match, model: URL(fileURLWithPath: modelPath).lastPathComponent,
                                              order: model.configuration.maxDegree, predicted: predicted,
                                              targets: solutionPath == nil ? nil : sample.vectors)
            try FileBytes.write(vectorsCSV ? field.csv() : field.json(), to: vectors, overwrite: overwrite)
        }
        guard let out, let path = refined?.path else {
            if arguments.flag("json") {
                try printJSON(RefinementJSON(candidate: candidatePath, model: modelPath, solution: solutionPath, out: nil, vectors: vectors,
                                             atoms: match.atoms.count, step: step, iterations: []), console: console)
            } else {
                console.print("predicted \(vectorModel ? "vectors" : "vector lengths") of \(match.atoms.count) heavy atoms of \(candidatePath) with \(modelPath) (order \(model.configuration.maxDegree))")
                console.print("wrote \(vectors!)")
            }
            return
        }

        let records = candidate.models[0].atoms
        var moved: [Int: SIMD3<Double>] = [:]
        for (i, atom) in match.atoms.enumerated() { moved[atom.candidateRecord] = path.last![i] }
        let positions = RefinedPDB.positions(records: records, moved: moved)
        let remarks = ["REFINED BY md refine --model \(URL(fileURLWithPath: modelPath).lastPathComponent): \(match.atoms.count) HEAVY ATOMS",
                       "MOVED BY -\(step) * PREDICTED V, \(iterations) ITERATION\(iterations == 1 ? "" : "S"), FROM \(URL(fileURLWithPath: candidatePath).lastPathComponent)"]
        try FileBytes.write(RefinedPDB.rewrite(bytes, positions: positions, remarks: remarks), to: out, overwrite: overwrite)

        func meanMove(_ k: Int) -> Double {
            guard k > 0 else { return 0 }
            var sum = 0.0
            for (p, q) in zip(path[k], path[k - 1]) { sum += ((p - q) * (p - q)).sum().squareRoot() }
            return sum / Double(path[k].count)
        }
        let report = path.indices.map { k -> Iteration in
            let deviation = solutionPath == nil ? nil : StructureRefiner.deviation(path[k], solution: sample.solutionPositions, threads: threads)
            return Iteration(iteration: k, meanMove: meanMove(k), deviation: deviation)
        }
        if arguments.flag("json") {
            try printJSON(RefinementJSON(candidate: candidatePath, model: modelPath, solution: solutionPath, out: out, vectors: vectors,
                                         atoms: match.atoms.count, step: step, iterations: report), console: console)
            return
        }
        console.print("refined \(match.atoms.count) heavy atoms of \(candidatePath) with \(modelPath) (order \(model.configuration.maxDegree)): "
            + "\(iterations) iteration\(iterations == 1 ? "" : "s") of −\(step)·v")
        for r in report {
            var line = String(format: "iteration %d: mean move %.3f Å", r.iteration, r.meanMove)
            if let d = r.deviation { line += String(format: "; RMSD to solution %.3f Å, mean local |v| %.3f Å", d.globalRMSD, d.meanLocalVector) }
            console.print(line)
        }
        console.print("wrote \(out)")
        if let vectors { console.print("wrote \(vectors)") }
    }

    static func printJSON(_ value: some Encodable, console: Console) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        console.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// Fewer than three atoms pair up: no superposition to compute.
struct NoCommonAtoms: Error, CustomStringConvertible {
    var candidate: String
    var solution: String
    var matched: Int
    var detail: String
    var description: String {
        "\(candidate) and \(solution) have \(matched) atom\(matched == 1 ? "" : "s") in common (at least 3 needed; atoms pair by chain, residue number + insertion code, residue name and atom name): \(detail)"
    }
}
