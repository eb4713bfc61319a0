import AmberIO
import Foundation
import Refinement

/// `md refine CANDIDATE --solution SOLUTION`: the paper's structure-refinement targets (Algorithm 1)
/// of a predicted structure against its experimental solution. Moving atoms with a trained network
/// (`--model`) lands with the rest of issue 10.
struct RefineCommand: Subcommand {
    static let spec = CommandSpec(
        name: "refine", summary: "Structure-refinement vectors of a candidate structure against its solution (the paper's Algorithm 1).",
        positionals: [PositionalSpec("CANDIDATE", help: "Predicted structure (PDB; the first MODEL is used).")],
        options: [
            OptionSpec("solution", value: "SOLUTION.pdb", help: "The experimental structure the vectors point to (PDB; required unless --model)."),
            OptionSpec("targets", value: "OUT.json|OUT.csv",
                       help: "Write every matched atom (chain, residue, names, element, candidate position, vector) with the statistics; format by extension."),
            OptionSpec("neighbors", value: "K", help: "Atoms in each local alignment, the atom itself included (default 50, the paper's; at least 3)."),
            OptionSpec("include-hydrogens", help: "Match and use hydrogens too (default: hydrogens are ignored in both files)."),
            OptionSpec("threads", value: "N", help: "Worker threads for the neighbour search (default 2)."),
            OptionSpec("model", value: "MODEL", help: "Refine CANDIDATE with a trained network (not implemented yet: comes with the rest of issue 10)."),
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

        Refining a structure with a trained network (--model: predict v for every atom and move the
        candidate by −v) comes with the rest of issue 10, with training on these targets (Table 2).
        Exit status: 0, 1 for a bad or unreadable file or no atoms in common, 2 for a wrong command line.
        """)

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        let command = spec.name
        if arguments.string("model") != nil {
            throw NotImplementedError(command: "refine --model", issue: 10)
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
        var csv = false
        if let targets {
            switch URL(fileURLWithPath: targets).pathExtension.lowercased() {
            case "json": csv = false
            case "csv": csv = true
            default: throw CommandLineError(command: command, "--targets writes .json or .csv; name the file OUT.json or OUT.csv (got '\(targets)')")
            }
            // Refused before any work: files that exist without --overwrite, or a missing folder.
            if !overwrite && FileManager.default.fileExists(atPath: targets) {
                throw FileAccessError(file: targets, "exists; pass --overwrite to replace it")
            }
            let folder = (targets as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            guard folder.isEmpty || (FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) else {
                throw FileAccessError(file: targets, "cannot be written: no folder \(folder)")
            }
        }

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
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            console.print(String(decoding: try encoder.encode(result.report(targets: targets)), as: UTF8.self))
        } else {
            for line in RefinementTargets.statisticsLines(match.statistics, result.summary) { console.print(line) }
            console.print("neighbourhood: \(result.summary.neighborhoodSize) atoms (each atom and its nearest others); v = p_candidate - T(p_solution)")
            if let targets { console.print("wrote \(targets)") }
        }
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
