import AmberIO
import Analysis
import Equivariant
import Foundation
import MDCore

/// `md compare A B --system SYSTEM`: two trajectories of one system side by side (typically learned-force
/// MD against classical MD): structural drift, bonded geometry and collapse, water structure,
/// temperature, and the paper's force metrics when both files carry forces on the same frames.
struct CompareCommand: Subcommand {
    static let spec = CommandSpec(
        name: "compare", summary: "Compare two trajectories of one system (learned against classical MD).",
        positionals: [PositionalSpec("A", help: "First trajectory (AMBER NetCDF .nc; a restart or rst7 counts as one frame)."),
                      PositionalSpec("B", help: "Second trajectory, the reference (classical MD): RMSD fits to its first frame and force metrics take its forces as the target.")],
        options: [
            OptionSpec("system", value: "SYSTEM", help: "The system both trajectories simulate (required): a folder with one .prmtop and one .rst7, or a .prmtop."),
            CommonOptions.coordinates,
            OptionSpec("reference", value: "b|system|FILE[:INDEX]",
                       help: "Structure the RMSD is fitted to: B's first frame (default), the SYSTEM's coordinates, or a frame of any coordinate file."),
        ] + CommonOptions.frameRange("analysed", each: " in each trajectory") + [
            OptionSpec("collapse-threshold", value: "Å", help: "A bond further than this from its reference length r0 is a collapse (default 0.5)."),
            OptionSpec("clash-distance", value: "Å", help: "Two solute atoms that share no bond, angle or torsion closer than this are a clash (default 1.4; classical MD keeps them ≥ ~1.5 Å apart)."),
            OptionSpec("rdf-max", value: "Å", help: "Range of the water O–O g(r) (default 8; cut to half the cell's smallest width if larger)."),
            OptionSpec("rdf-bin", value: "Å", help: "Bin width of the g(r) (default 0.05)."),
            OptionSpec("constraints", value: "hbonds|none",
                       help: "Constraints the runs held: hbonds (default, md simulate's rigid water and bonds to H) or none. Sets the temperature's degrees of freedom and which bonds and angles count as free."),
            OptionSpec("report", value: "OUT.md", help: "Write the report as Markdown, with its SVG plots beside it (OUT-rmsd.svg, OUT-rg.svg, OUT-bonds.svg, OUT-angles.svg, OUT-rdf.svg, OUT-temperature.svg)."),
            OptionSpec("fail-on-collapse", help: "Exit with status 1 when either trajectory collapses or has a clash (after printing the report)."),
            CommonOptions.json, CommonOptions.overwrite, CommonOptions.quiet,
        ],
        discussion: """
        Measured for each trajectory, frame by frame:
          RMSD     solute atoms (outside water and ion residues), all and heavy atoms, unweighted, after
                   optimal superposition (Kabsch, by Horn's quaternion method) on the reference structure
          Rg       mass-weighted radius of gyration of the solute
          bonds    r − r0 and θ − θ0 over every bond and angle of the prmtop (minimum image, triclinic
                   cells too): RMS over all and over the free terms (those --constraints leaves
                   flexible), maximum, histograms of the free terms; the first frame where any bond is
                   more than --collapse-threshold from r0 is reported with the bond's atoms and residue
          contacts the closest pair of solute atoms that share no bond, angle or torsion (outside the
                   prmtop's exclusions), per frame; any closer than --clash-distance is a clash, which
                   a learned force field without short-range repulsion can make while bonds hold
          g(r)     water O–O radial distribution function (periodic), its first peak, and the RMS
                   difference between the two trajectories' g(r)
          T        temperature from stored velocities, with 3N − constraints − 3 degrees of freedom
                   (--constraints); trajectories without velocities say so
          forces   when both files store forces and frames with the same index have the same coordinates
                   (within 1e-3 Å), the paper's metrics of A's forces against B's (tensor, magnitude, angle,
                   Pearson r, relative tensor error) averaged over frames, for protein atoms and all
                   atoms, in meV/Å with kcal/mol/Å beside
        Molecules are made whole across periodic boundaries before RMSD and Rg. Atom numbers in the
        output are 1-based; frame indices are 0-based, as in FILE:INDEX.

        Output: the summary tables in Markdown on standard output; with --report, the Markdown file and
        its plots instead (never replacing files without --overwrite); with --json, the same numbers and
        the per-frame series as JSON (sorted keys) on standard output.
        Exit status: 0, or 1 for a bad file, and with --fail-on-collapse when a collapse or clash is found.
        """)

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        let command = spec.name
        guard let systemArgument = arguments.string("system") else {
            throw CommandLineError(command: command, "missing --system SYSTEM (the system both trajectories simulate)")
        }
        var options = AnalysisOptions()
        options.collapseThreshold = try positive(arguments, "collapse-threshold") ?? options.collapseThreshold
        options.clashDistance = try positive(arguments, "clash-distance") ?? options.clashDistance
        options.rdfMaxDistance = try positive(arguments, "rdf-max") ?? options.rdfMaxDistance
        options.rdfBinWidth = try positive(arguments, "rdf-bin") ?? options.rdfBinWidth
        guard options.rdfBinWidth <= options.rdfMaxDistance else {
            throw CommandLineError(command: command, "--rdf-bin must not exceed --rdf-max")
        }
        let range = try FrameRange(arguments)
        let constraintsText = arguments.string("constraints") ?? "hbonds"
        guard let constraints = ConstraintRule(rawValue: constraintsText) else {
            throw CommandLineError(command: command, "--constraints expects hbonds or none, got '\(constraintsText)'")
        }
        let overwrite = arguments.flag("overwrite"), quiet = arguments.flag("quiet"), json = arguments.flag("json")
        let outputs = try arguments.string("report").map { try ReportFiles(path: $0, command: command) }
        if let outputs, !overwrite {
            for path in outputs.all where FileManager.default.fileExists(atPath: path) {
                throw FileAccessError(file: path, "exists; pass --overwrite to replace it")
            }
        }

        let system = try LoadedSystem.load(systemArgument, coordinates: arguments.string("coordinates"), frame: nil)
        let prmtop = system.prmtop
        let paths = [arguments.positionals[0], arguments.positionals[1]]
        let sources = try paths.map { path -> FrameSource in
            let source = try FrameSource(path: path)
            guard source.atomCount == prmtop.atomCount else {
                throw FileFormatError(file: path, "has \(source.atomCount) atoms but \(prmtop.path) has \(prmtop.atomCount)")
            }
            return source
        }
        let indices = try sources.map(range.indices)

        let (referenceFrame, referenceText) = try reference(arguments.string("reference") ?? "b", system: system, b: sources[1], atomCount: prmtop.atomCount)
        let analysisSystem = AnalysisSystem(prmtop: prmtop, constraints: constraints)
        let analyses = [0, 1].map { _ in
            TrajectoryAnalysis(system: analysisSystem, reference: referenceFrame.positions, referenceBox: referenceFrame.box, options: options)
        }
        var forces = ForceComparison(protein: analysisSystem.selection.protein)
        let progress = Progress(console: console, total: indices[0].count + indices[1].count, label: "compare", quiet: quiet,
                                rate: { String(format: "%.0f frames/s", $0) })
        var done = 0
        for k in 0..<max(indices[0].count, indices[1].count) {
            var frames: [Frame?] = [nil, nil]
            for t in 0..<2 where k < indices[t].count {
                let frame = try sources[t].frame(indices[t][k])
                analyses[t].add(frame, index: indices[t][k])
                frames[t] = frame
                done += 1
                progress.update(done)
            }
            if let a = frames[0], let b = frames[1] {
                forces.add(a, b, frameA: indices[0][k], frameB: indices[1][k])
            }
        }
        progress.finish()

        let report = ComparisonReport(system: prmtop.path, reference: referenceText,
                                      first: analyses[0].summary(file: paths[0]), second: analyses[1].summary(file: paths[1]))
        let forceResult = forces.result(sources: sources)
        let plots = outputs.map { files in zip(files.plotNames, files.plots).map { (name: $0, file: URL(fileURLWithPath: $1).lastPathComponent) } } ?? []
        let markdown = report.markdown(extraSections: [forceResult.markdown], plots: plots)
        if let outputs {
            let documents = report.plotDocuments()
            for (name, svg) in documents {
                guard let index = outputs.plotNames.firstIndex(of: name) else { continue }
                try FileBytes.write(Array(svg.utf8), to: outputs.plots[index], overwrite: overwrite)
            }
            try FileBytes.write(Array(markdown.utf8), to: outputs.report, overwrite: overwrite)
        }
        if json {
            let result = CompareJSON(system: prmtop.path, reference: referenceText, a: report.first, b: report.second,
                                     rdfRMSDifference: report.rdfRMSDifference, forces: forceResult,
                                     collapse: report.summaries.contains { $0.bonds.collapse != nil },
                                     clash: report.summaries.contains { $0.contacts?.firstClash != nil },
                                     report: outputs?.report, plots: outputs?.plots)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            console.print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else if let outputs {
            console.print("wrote \(outputs.report) and \(outputs.plots.count) plots beside it")
            for (name, summary) in zip(["A", "B"], report.summaries) {
                console.print("\(name) collapse: " + ComparisonReport.collapseText(summary).replacingOccurrences(of: "**", with: ""))
                console.print("\(name) clash: " + ComparisonReport.clashText(summary).replacingOccurrences(of: "**", with: ""))
            }
        } else {
            console.print(markdown.trimmingCharacters(in: .newlines))
        }
        if arguments.flag("fail-on-collapse") {
            let failures = zip(paths, report.summaries).flatMap { path, s -> [String] in
                (s.bonds.collapse == nil ? [] : ["\(path): collapse " + ComparisonReport.collapseText(s)])
                    + (s.contacts?.firstClash == nil ? [] : ["\(path): clash " + ComparisonReport.clashText(s)])
            }
            if !failures.isEmpty { throw CollapseDetected(files: failures.map { $0.replacingOccurrences(of: "**", with: "") }) }
        }
    }

    /// A positive number option, nil when absent.
    private static func positive(_ arguments: ParsedArguments, _ name: String) throws -> Double? {
        guard let value = try arguments.value(name, as: Double.self) else { return nil }
        guard value > 0 && value.isFinite else { throw CommandLineError(command: arguments.command, "--\(name) must be a positive number") }
        return value
    }

    /// The structure RMSD is fitted to, and its description.
    private static func reference(_ choice: String, system: LoadedSystem, b: FrameSource, atomCount: Int) throws -> (Frame, String) {
        switch choice {
        case "b", "B":
            return (try b.frame(0), "first frame of B (\(b.path):0)")
        case "system":
            return (system.frame, "the system's coordinates (\(system.coordinatesPath))")
        default:
            let (path, index) = FrameSource.parseReference(choice)
            let source = try FrameSource(path: path)
            guard source.atomCount == atomCount else {
                throw FileFormatError(file: path, "has \(source.atomCount) atoms but the system has \(atomCount)")
            }
            return (try source.frame(index ?? 0), "\(path):\(index ?? 0)")
        }
    }
}

/// --fail-on-collapse found one: exit status 1, naming where.
struct CollapseDetected: Error, CustomStringConvertible {
    var files: [String]
    var description: String { "collapse or clash detected (--fail-on-collapse): " + files.joined(separator: "; ") }
}

/// The report and its plots: OUT.md and OUT-NAME.svg beside it.
struct ReportFiles {
    let report: String
    let plotNames: [String]
    let plots: [String]

    init(path: String, command: String, plotNames: [String] = ["rmsd", "rg", "bonds", "angles", "rdf", "temperature"]) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard ext == "md" || ext == "markdown" else {
            throw CommandLineError(command: command, "--report writes Markdown; name the file OUT.md (got '\(path)')")
        }
        report = path
        self.plotNames = plotNames
        let stem = (path as NSString).deletingPathExtension
        plots = plotNames.map { "\(stem)-\($0).svg" }
    }

    var all: [String] { [report] + plots }
}

/// Everything `--json` prints.
struct CompareJSON: Encodable {
    var system: String
    var reference: String
    var a: TrajectorySummary
    var b: TrajectorySummary
    var rdfRMSDifference: Double?
    var forces: ForceComparison.Result
    var collapse: Bool
    var clash: Bool
    var report: String?
    var plots: [String]?
}
