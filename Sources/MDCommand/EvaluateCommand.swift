import AmberIO
import ClassicalFF
import Foundation
import LearnedFF
import MDCore
import Refinement

/// `md evaluate MODEL [MODEL ...] DATA`: the paper's force metrics (Table 1) and Figure 3 for trained
/// models, on a dataset split or along one trajectory (forces along a learned-MD run, frame by frame).
struct EvaluateCommand: Subcommand {
    static let spec = CommandSpec(
        name: "evaluate", summary: "The paper's force metrics (Table 1, Figure 3) for models on held-out data or along a trajectory.",
        positionals: [PositionalSpec("MODEL", help: "A trained model (.safetensors); several are evaluated on the same frames.", repeatable: true),
                      PositionalSpec("DATA", help: "A dataset manifest (dataset.json, format \"md-dataset 1\", or the folder holding it), or a trajectory (AMBER NetCDF .nc, or rst7) with --system.")],
        options: [
            OptionSpec("split", value: "test|validation|train|all", help: "Dataset systems to evaluate (default test)."),
            OptionSpec("kinds", value: "LIST", help: "Dataset frame kinds to evaluate, e.g. thermal,minimized (default: all)."),
            OptionSpec("frames", value: "N", help: "At most N frames per trajectory."),
            OptionSpec("system", value: "SYSTEM",
                       help: "For a trajectory (required): its system, a folder with one .prmtop or a .prmtop path; gives the elements, the protein atoms and the classical reference forces."),
            OptionSpec("target-forces", value: "stored|classical",
                       help: "For a trajectory: the reference forces, those it stores (the default when it has them) or the classical force field's, computed frame by frame (the default otherwise, and what a learned-MD trajectory needs: its stored forces are the model's own)."),
            OptionSpec("stride", value: "N", help: "For a trajectory: evaluate every Nth frame (default 1)."),
            OptionSpec("refine-step", value: "F", help: "For a refinement dataset: each refinement move is −F·v (default 1)."),
            OptionSpec("refine-iterations", value: "N", help: "For a refinement dataset: refinement moves per candidate (default 1)."),
        ] + ClassicalOptionsParser.options + [
            OptionSpec("seed", value: "N", help: "Seed of the random-direction baseline (default 1)."),
            OptionSpec("threads", value: "N", help: "Worker threads (default 2)."),
            OptionSpec("report", value: "OUT.md",
                       help: "Write the report as Markdown with Figure 3's panels beside it (OUT-magnitude.svg, OUT-angle.svg, OUT-angle-vs-magnitude.svg; for a trajectory also OUT-time-tensor.svg, OUT-time-angle.svg, OUT-time-pearson.svg)."),
            CommonOptions.json, CommonOptions.overwrite, CommonOptions.quiet,
        ],
        discussion: """
        Table 1 of Townshend et al. (2020) for each model, labelled by file name and order, and for the
        paper's naive baselines, over the atoms of every evaluated frame pooled:
          magnitude   mean | |p| − |t| |, meV/Å          angle     mean angle between p and t, degrees
          tensor      mean |p − t|, meV/Å                Pearson   r of |p| against |t|
          relative    mean |p − t| / |t|
        Baselines: mean magnitude (the evaluated atoms' mean |t|: magnitude error), random direction
        (uniform unit vectors, --seed: angle error, 90° expected), zero vector (tensor error = mean |t|).
        Order-0 models predict magnitudes only: their magnitude error and Pearson r are given.
        Reported for protein atoms (the paper's metric atoms) and all atoms (solvent and ions too; the
        network then runs on the whole frame), for all frames and per frame kind (thermal, minimized).

        DATA as a dataset evaluates the systems of --split, with the forces the trajectories store.
        DATA as a trajectory evaluates its frames with --system, pooled and frame by frame over time
        (forces along a learned-MD run). The reference forces are those it stores or, without them or
        with --target-forces classical, the classical force field's (the --nonbonded, --cutoff,
        --pme-tolerance, --coulomb and --precision options, as md energy).

        Output: Markdown on standard output; with --report, the Markdown file and its SVG plots instead
        (never replacing files without --overwrite); with --json, the same numbers as JSON (sorted keys,
        force metrics in meV/Å and kcal/mol/Å) on standard output.
        """)

    static let figureNames = ["magnitude", "angle", "angle-vs-magnitude"]
    static let timeFigureNames = ["time-tensor", "time-angle", "time-pearson"]

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        let command = spec.name
        let modelPaths = Array(arguments.positionals.dropLast()), dataPath = arguments.positionals.last!
        let split = arguments.string("split") ?? "test"
        guard ["test", "validation", "train", "all"].contains(split) else {
            throw CommandLineError(command: command, "--split expects test, validation, train or all, got '\(split)'")
        }
        let kinds = try arguments.string("kinds").map { text -> Set<String> in
            let kinds = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            guard !kinds.isEmpty else { throw CommandLineError(command: command, "--kinds expects a comma-separated list, e.g. thermal,minimized") }
            return kinds
        }
        let frameLimit = try arguments.value("frames", as: Int.self)
        let stride = try arguments.value("stride", as: Int.self) ?? 1
        let threads = try arguments.value("threads", as: Int.self) ?? 2
        guard (frameLimit ?? 1) >= 1, stride >= 1, threads >= 1 else {
            throw CommandLineError(command: command, "--frames, --stride and --threads must be at least 1")
        }
        let seed = try arguments.value("seed", as: UInt64.self) ?? 1
        let overwrite = arguments.flag("overwrite"), quiet = arguments.flag("quiet")

        // A folder or a .json file is a dataset; anything else a trajectory. Options of the other mode are errors.
        var isDirectory: ObjCBool = false
        let isDataset = (FileManager.default.fileExists(atPath: dataPath, isDirectory: &isDirectory) && isDirectory.boolValue)
            || URL(fileURLWithPath: dataPath).pathExtension.lowercased() == "json"
        let trajectoryOptions = ["system", "target-forces", "stride"] + ClassicalOptionsParser.options.map(\.name)
        if isDataset, let name = trajectoryOptions.first(where: { arguments.string($0) != nil }) {
            throw CommandLineError(command: command, "--\(name) applies to a trajectory; \(dataPath) is a dataset (its systems name their prmtops and store forces)")
        }
        if !isDataset, let name = ["split", "kinds"].first(where: { arguments.string($0) != nil }) {
            throw CommandLineError(command: command, "--\(name) applies to a dataset manifest; \(dataPath) is taken as a trajectory")
        }
        let outputs = try arguments.string("report").map {
            try ReportFiles(path: $0, command: command, plotNames: figureNames + (isDataset ? [] : timeFigureNames))
        }
        if let outputs {
            // Refused before any network runs: a missing folder, or files that exist without --overwrite.
            let folder = (outputs.report as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            guard folder.isEmpty || (FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) else {
                throw FileAccessError(file: outputs.report, "cannot be written: no folder \(folder)")
            }
            for path in outputs.all where !overwrite && FileManager.default.fileExists(atPath: path) {
                throw FileAccessError(file: path, "exists; pass --overwrite to replace it")
            }
        }

        let models = try modelPaths.map { try LearnedModel.load($0) }
        let names = modelPaths.map { URL(fileURLWithPath: $0).lastPathComponent }
        let infos = zip(modelPaths, models).enumerated().map { k, pair in
            let (path, model) = pair
            let name = names.filter { $0 == names[k] }.count > 1 ? path : names[k]
            return ForceEvaluation.Model(file: path, label: "\(name) (order \(model.configuration.maxDegree))",
                                         order: model.configuration.maxDegree, learnedAtoms: model.learnedAtoms.rawValue,
                                         elements: model.configuration.elements.map(\.symbol),
                                         parameters: model.network.parameterShapes.reduce(0) { $0 + $1.1.count },
                                         predictsVectors: model.configuration.predictsVectors,
                                         sequenceSeparation: model.configuration.sequenceSeparation, target: model.target.rawValue)
        }
        let refinementManifest = isDataset ? try refinementDataset(dataPath) : nil
        let target: PredictionTarget = refinementManifest == nil ? .force : .refinement
        for (info, model) in zip(infos, models) where model.target != target {
            throw CommandLineError(command: command, "\(info.file) predicts \(model.target.noun)s, but \(dataPath) holds \(target.noun)s")
        }
        var evaluation = ForceEvaluation(models: infos, seed: seed, target: target)
        var refinementSummary: RefinementEvaluation.Summary?
        var proteinAtoms: [String: [Int]] = [:]

        var priors = models.map { FramePriors(prior: $0.prior, atoms: $0.learnedAtoms) }

        /// Every model's forces on every atom of a frame (the network on the whole frame, plus its prior).
        func add(_ f: ForceFrame, index: Int) throws {
            let predicted = try zip(models, infos).enumerated().map { m, pair -> [Double] in
                let (model, info) = pair
                // Elements were checked per system before any frame was evaluated.
                let channels = try! model.channels(for: f.elements, source: f.source)
                let example = TrainingExample(frame: f, network: model.network, channels: channels, lossAtoms: .all)
                var forces = model.predictedForces(example, threads: threads)
                precondition(forces.count == f.frame.positions.count, "\(info.file): \(forces.count / 3) predictions for \(f.frame.atomCount) atoms")
                if let prior = try priors[m].forces(f) { for k in forces.indices { forces[k] += prior[k] } }
                return forces
            }
            let protein = proteinAtoms[f.system] ?? LearnedAtoms.protein.atoms(in: f.topology)
            proteinAtoms[f.system] = protein
            evaluation.add(source: f.source, system: f.system, kind: f.kind, index: index, time: f.frame.time,
                           target: f.frame.forces!, protein: protein, predicted: predicted)
        }

        var (description, referenceForces): ([String], String)
        if let refinementManifest {
            let step = try arguments.value("refine-step", as: Double.self) ?? 1
            let iterations = try arguments.value("refine-iterations", as: Int.self) ?? 1
            guard step > 0, iterations >= 1 else { throw CommandLineError(command: command, "--refine-step must be positive and --refine-iterations at least 1") }
            var dataset = try RefinementDataset.load(manifest: refinementManifest).split(split)
            dataset.targets = dataset.targets.filter { !$0.candidates.isEmpty }
            let result = try RefinementEvaluation.run(dataset: dataset, manifest: refinementManifest, split: split, limit: frameLimit, models: models,
                                                      infos: infos, step: step, iterations: iterations, threads: threads,
                                                      evaluation: &evaluation, console: console, quiet: quiet)
            (description, referenceForces) = (result.description, "Algorithm 1")
            refinementSummary = result.summary
        } else if isDataset {
            (description, referenceForces) = try evaluateDataset(dataPath, split: split, kinds: kinds, frameLimit: frameLimit, models: models, infos: infos,
                                              console: console, quiet: quiet, add: add)
        } else {
            (description, referenceForces) = try evaluateTrajectory(dataPath, arguments: arguments, frameLimit: frameLimit, stride: stride, threads: threads,
                                                 models: models, infos: infos, console: console, quiet: quiet, add: add)
        }

        let groups = evaluation.groups
        let perFrame = isDataset ? [] : evaluation.perFrame
        var figures = evaluation.figures()
        if !isDataset { figures += evaluation.timeFigures(perFrame) }

        description.append("Models:\n\n" + infos.map {
            "- `\($0.label)`: \($0.file); learned atoms \($0.learnedAtoms); elements \($0.elements.joined(separator: ", ")); \($0.parameters) parameters"
                + ($0.predictsVectors ? "" : "; predicts magnitudes only") + ($0.sequenceSeparation ? "; radial functions see sequence separation" : "")
        }.joined(separator: "\n"))
        if target == .refinement {
            description.append("""
                Baselines, the paper's naive predictors: *mean magnitude* predicts the evaluated atoms' mean |v|, *random \
                direction* uniformly random unit vectors (seed \(seed); angle error, 90° expected), *zero vector* no move \
                (tensor error = mean |v|). Order-0 models predict magnitudes only. Metrics average over the matched heavy atoms \
                of all candidates pooled. The paper's order-2 model on its test targets (Table 2): magnitude 0.95 Å, angle \
                68.8°, tensor 1.45 Å, Pearson r 0.66; naive 1.55 / 90.0 / 1.60.
                """)
        } else {
        description.append("""
            Baselines, the paper's naive predictors: *mean magnitude* predicts the evaluated atoms' mean |F| (its magnitude \
            error is their mean absolute deviation), *random direction* uniformly random unit vectors (seed \(seed); angle \
            error, 90° expected), *zero vector* no force (tensor error = mean |F|, relative tensor error 1). Order-0 models \
            predict magnitudes only: their magnitude error and Pearson r are given. Protein atoms are the paper's metric \
            atoms; all atoms adds solvent and ions (the network runs on the whole frame). Metrics average over the atoms of \
            all frames pooled. The paper's order-2 model on its test set (structures near minima): magnitude 15.6 meV/Å, \
            angle 32.8°, tensor 20.7 meV/Å, Pearson r 0.98, relative tensor error 0.25; naive 79.9 / 90.0 / 81.5.
            """)
        }
        let title = target == .refinement ? "# Refinement-vector evaluation (the paper's Table 2)"
            : isDataset ? "# Force evaluation (the paper's Table 1)" : "# Forces along a trajectory (the paper's Table 1)"
        var sections = [title] + description + [evaluation.tablesMarkdown(groups)]
        if let refinementSummary { sections.append(RefinementEvaluation.markdown(refinementSummary)) }
        if !isDataset { sections.append(evaluation.perFrameMarkdown(perFrame)) }
        if let outputs {
            sections.append("## Figures\n\n" + zip(figures, outputs.plots).map { figure, path in
                "![\(figure.plot.title)](\(URL(fileURLWithPath: path).lastPathComponent))"
            }.joined(separator: "\n\n"))
        }
        let markdown = sections.joined(separator: "\n\n") + "\n"

        if let outputs {
            for (figure, path) in zip(figures, outputs.plots) {
                try FileBytes.write(Array(figure.plot.render().utf8), to: path, overwrite: overwrite)
            }
            try FileBytes.write(Array(markdown.utf8), to: outputs.report, overwrite: overwrite)
        }
        if arguments.flag("json") {
            let systems = Array(Set(evaluation.records.map(\.system))).sorted()
            let result = EvaluateJSON(data: dataPath, mode: isDataset ? "dataset" : "trajectory", split: isDataset ? split : nil,
                                      kinds: evaluation.kinds, systems: systems, frames: evaluation.records.count,
                                      referenceForces: referenceForces, randomSeed: seed, models: infos, groups: groups,
                                      perFrame: isDataset ? nil : perFrame, refinement: refinementSummary, report: outputs?.report, plots: outputs?.plots)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            console.print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else if let outputs {
            console.print("wrote \(outputs.report) and \(outputs.plots.count) plots beside it")
        } else {
            console.print(markdown.trimmingCharacters(in: .newlines))
        }
    }

    /// The manifest path when `dataPath` (a manifest or the folder holding dataset.json) is a refinement dataset.
    private static func refinementDataset(_ dataPath: String) throws -> String? {
        let manifest = TrainCommand.datasetPath(dataPath)
        return try DatasetManifest.format(of: manifest) == RefinementDataset.format ? manifest : nil
    }

    /// The dataset's frames of `split` (and `kinds`); returns the report's description and where reference forces came from.
    private static func evaluateDataset(_ dataPath: String, split: String, kinds: Set<String>?, frameLimit: Int?,
                                        models: [LearnedModel], infos: [ForceEvaluation.Model], console: Console, quiet: Bool,
                                        add: (ForceFrame, Int) throws -> Void) throws -> ([String], String) {
        let manifest = TrainCommand.datasetPath(dataPath)
        var dataset = try ForceDataset.load(manifest: manifest)
        if split != "all" {
            let chosen = dataset.split(split)
            guard !chosen.systems.isEmpty else {
                let splits = Set(dataset.systems.map(\.split)).sorted().map { "\"\($0)\"" }
                throw FileFormatError(file: manifest, "has no systems in split \"\(split)\" (its splits: \(splits.joined(separator: ", ")))")
            }
            dataset = chosen
        }
        if let kinds {
            let available = Set(dataset.systems.flatMap { $0.trajectories.map(\.kind) }).sorted()
            dataset = dataset.kinds(kinds)
            guard dataset.systems.contains(where: { !$0.trajectories.isEmpty }) else {
                throw FileFormatError(file: manifest, "has no trajectories of kind \(kinds.sorted().joined(separator: ", ")) in split \"\(split)\" (kinds there: \(available.joined(separator: ", ")))")
            }
        }
        dataset.systems = dataset.systems.filter { !$0.trajectories.isEmpty }

        // Before any network runs: every model knows every element, every trajectory fits its prmtop and has forces.
        var total = 0
        for system in dataset.systems {
            let prmtopPath = dataset.resolve(system.prmtop)
            let prmtop = try Prmtop(contentsOf: prmtopPath)
            try checkElements(models, infos, elements: prmtop.elements, topology: prmtop.topology, source: prmtopPath)
            for trajectory in system.trajectories {
                let path = dataset.resolve(trajectory.path)
                let reader = try AmberNetCDFReader(path)
                defer { reader.close() }
                guard reader.atomCount == prmtop.atomCount else {
                    throw FileFormatError(file: path, "has \(reader.atomCount) atoms, its prmtop \(prmtopPath) has \(prmtop.atomCount)")
                }
                guard reader.contents.forces else { throw FileFormatError(file: path, "has no forces (reference data needs them: md simulate --save-forces)") }
                total += min(reader.frameCount, frameLimit ?? .max)
            }
        }
        guard total > 0 else { throw FileFormatError(file: manifest, "selects no frames (split \"\(split)\")") }

        let progress = Progress(console: console, total: total, label: "evaluate", quiet: quiet) { String(format: "%.2f frames/s", $0) }
        var done = 0
        try dataset.frames(frameLimit: frameLimit) { f in
            try add(f, FrameSource.parseReference(f.source).index ?? 0)
            done += 1
            progress.update(done, detail: f.system)
        }
        progress.finish()
        let systems = dataset.systems.map(\.id)
        let kindList = Set(dataset.systems.flatMap { $0.trajectories.map(\.kind) }).sorted()
        return (["Data: `\(manifest)`, split \(split): \(systems.count) system\(systems.count == 1 ? "" : "s") (\(systems.joined(separator: ", "))), "
                + "kinds \(kindList.joined(separator: ", ")); \(total) frame\(total == 1 ? "" : "s")"
                + (frameLimit.map { " (at most \($0) per trajectory)" } ?? "") + ". Reference forces: those the trajectories store."], "stored")
    }

    /// The frames of one trajectory with --system; reference forces stored or classical. Returns the description and
    /// where reference forces came from.
    private static func evaluateTrajectory(_ dataPath: String, arguments: ParsedArguments, frameLimit: Int?, stride: Int, threads: Int,
                                           models: [LearnedModel], infos: [ForceEvaluation.Model], console: Console, quiet: Bool,
                                           add: (ForceFrame, Int) throws -> Void) throws -> ([String], String) {
        let command = arguments.command
        let source = try FrameSource(path: dataPath)
        guard source.frameCount > 0 else { throw FileFormatError(file: dataPath, "has no frames") }
        let first = try source.frame(0)
        guard let systemArgument = arguments.string("system") else {
            throw CommandLineError(command: command, "\(dataPath) is a trajectory: pass --system SYSTEM (its .prmtop, or a folder holding it) for the atoms' elements"
                + (first.forces == nil ? " and the reference forces, which it does not store (md computes them with the classical force field)" : ""))
        }
        let system = try LoadedSystem.load(systemArgument, coordinates: nil, frame: "\(dataPath):0")
        let prmtop = system.prmtop
        try checkElements(models, infos, elements: prmtop.elements, topology: prmtop.topology, source: prmtop.path)

        let target = arguments.string("target-forces") ?? (first.forces != nil ? "stored" : "classical")
        var reference: ClassicalReference?
        switch target {
        case "stored":
            guard first.forces != nil else {
                throw FileFormatError(file: dataPath, "stores no forces; --target-forces classical computes them (the default for such a file)")
            }
            if let name = ClassicalOptionsParser.options.map(\.name).first(where: { arguments.string($0) != nil }) {
                throw CommandLineError(command: command, "--\(name) applies to classical reference forces (--target-forces classical)")
            }
        case "classical":
            reference = try ClassicalReference(prmtop: prmtop, arguments: arguments, periodic: (first.box ?? prmtop.box) != nil, threads: threads)
        default:
            throw CommandLineError(command: command, "--target-forces expects stored or classical, got '\(target)'")
        }

        let indices = Array(Swift.stride(from: 0, to: source.frameCount, by: stride).prefix(frameLimit ?? .max))
        let name = URL(fileURLWithPath: prmtop.path).deletingPathExtension().lastPathComponent
        let progress = Progress(console: console, total: indices.count, label: "evaluate", quiet: quiet) { String(format: "%.2f frames/s", $0) }
        for (done, index) in indices.enumerated() {
            var frame = try source.frame(index)
            if frame.box == nil, let box = prmtop.box { frame.box = box }
            if let reference {
                frame.forces = try reference.forces(frame)
            } else if frame.forces == nil {
                throw FileFormatError(file: dataPath, location: "frame \(index)", "has no forces")
            }
            try add(ForceFrame(system: name, kind: ForceEvaluation.trajectoryKind, source: "\(dataPath):\(index)", frame: frame,
                           elements: prmtop.elements, topology: prmtop.topology, prmtop: prmtop), index)
            progress.update(done + 1)
        }
        progress.finish()
        let frames = "\(indices.count) of \(source.frameCount) frame\(source.frameCount == 1 ? "" : "s")"
            + (stride > 1 ? ", stride \(stride)" : "") + (frameLimit.map { ", at most \($0)" } ?? "")
        return (["Trajectory: `\(dataPath)` (\(frames)), system `\(prmtop.path)`. Reference forces: "
                + (reference.map { "the classical force field's, computed per frame (\($0.description))" }
                   ?? "those the trajectory stores") + "."],
                reference.map { "classical: " + $0.description } ?? "stored")
    }

    /// Every model knows every element of the system; otherwise an error naming the model, the atom and the element.
    private static func checkElements(_ models: [LearnedModel], _ infos: [ForceEvaluation.Model], elements: [Element], topology: Topology,
                                      source: String) throws {
        for (model, info) in zip(models, infos) {
            do {
                _ = try model.channels(for: elements, source: source)
            } catch let error as UnknownElementError {
                let atom = topology.atoms[error.atom], residue = topology.residues[atom.residueIndex]
                throw EvaluationError(description: "\(info.file) cannot evaluate \(source): atom \(error.atom + 1) (\(atom.name), residue "
                    + "\(residue.name) \(residue.number)) is \(error.element.symbol), which the model does not know (it knows "
                    + "\(error.known.map(\.symbol).joined(separator: ", ")))")
            }
        }
    }
}

struct EvaluationError: Error, CustomStringConvertible {
    var description: String
}

/// Everything `--json` prints.
struct EvaluateJSON: Encodable {
    var data: String
    var mode: String
    var split: String?
    var kinds: [String]
    var systems: [String]
    var frames: Int
    var referenceForces: String
    var randomSeed: UInt64
    var models: [ForceEvaluation.Model]
    var groups: [ForceEvaluation.Group]
    var perFrame: [ForceEvaluation.FrameTables]?
    var refinement: RefinementEvaluation.Summary?
    var report: String?
    var plots: [String]?
}
