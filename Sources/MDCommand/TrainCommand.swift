import AmberIO
import Equivariant
import Foundation
import LearnedFF
import MDCore
import Refinement
import TensorCore

struct TrainCommand: Subcommand {
    static let spec = CommandSpec(
        name: "train", summary: "Learn a force network from reference trajectories that carry forces, or a refinement network from candidate structures.",
        positionals: [PositionalSpec("DATASET", help: "A dataset manifest (dataset.json): forces (format \"md-dataset 1\"; see trajectories/README.md) or refinement candidates (format \"md-refinement-dataset 1\"; see scripts/make_refinement_dataset.py).")],
        options: [
            OptionSpec("out", value: "MODEL.safetensors", help: "The trained model (the parameters with the lowest validation loss); required."),
            OptionSpec("order", value: "0|1|2", help: "Maximum spherical-harmonic order (default 2). Order 0 predicts force magnitudes only."),
            OptionSpec("steps", value: "N", help: "Optimiser steps, one frame each (default 3000)."),
            OptionSpec("lr", value: "RATE", help: "Adam learning rate (default 0.005), halved when validation stalls."),
            OptionSpec("huber-delta", value: "DELTA", help: "δ of the vector Huber loss in the target's unit (default the paper's: 0.2306 kcal/mol/Å = 10 meV/Å for forces, 1 Å for refinement)."),
            OptionSpec("magnitude-weight", value: "W", help: "Add W times the Huber loss of the magnitude error to the vector loss (default 0, the paper's loss; order 1 or 2). The vector loss alone shrinks magnitudes where the direction is uncertain."),
            OptionSpec("radial-cutoff", value: "R", help: "Cutoff of the radial basis, Å (default 6 for forces; 12 for refinement, whose 50 nearest heavy atoms reach 6.5 Å on median and up to 13 Å)."),
            OptionSpec("warmup", value: "N", help: "Linear learning-rate warm-up steps (default 100)."),
            OptionSpec("validation-interval", value: "N", help: "Steps between validations, checkpoints and model writes (default 250)."),
            OptionSpec("patience", value: "N", help: "Stop after N validations without improvement (default 6)."),
            OptionSpec("loss-atoms", value: "protein|all", help: "Atoms in the loss (default protein, as the paper); the model then drives only these in MD."),
            OptionSpec("kinds", value: "LIST", help: "Frame kinds to use, e.g. thermal,minimized (default: all)."),
            OptionSpec("frames", value: "N", help: "At most N frames per trajectory (for refinement: candidates per target)."),
            OptionSpec("validation-frames", value: "N", help: "At most N validation frames per trajectory (candidates per target); default as --frames."),
            OptionSpec("seed", value: "N", help: "Seed for initial weights and data order (default 1)."),
            OptionSpec("threads", value: "N", help: "Worker threads (default 2)."),
            OptionSpec("log", value: "FILE.csv", help: "Training log: one line per validation (default MODEL.log.csv)."),
            OptionSpec("resume", help: "Continue exactly from MODEL.checkpoint (written at every validation)."),
            OptionSpec("prior", value: "none|amber-bonded|amber-bonded-lj",
                       help: "What the network's forces are added to: none (default, the paper's: it predicts the whole force), amber-bonded (the prmtop's bonds, angles, torsions and 1-4 pairs among the loss atoms, exact and conservative; the network learns the rest) or amber-bonded-lj (also the Lennard-Jones between the loss atoms' non-excluded pairs: a repulsive core)."),
            OptionSpec("sequence-separation", help: "Refinement only: the radial functions also see each edge's separation along the chain (same residue, adjacent, 2–4 apart, farther or another chain). md's addition to the paper's inputs."),
            OptionSpec("init", value: "MODEL", help: "Start from this model's parameters and output scale (same architecture and elements), e.g. to continue on more data. With --sequence-separation, a model without it starts with zero weights on the new inputs, so training starts from exactly that model."),
            CommonOptions.overwrite, CommonOptions.quiet,
        ],
        discussion: """
        Each step is one frame of one system (the paper's batch of one macromolecule): the network is
        computed on the loss atoms' three-hop receptive field, the loss is the paper's vector Huber
        loss (δ = 10 meV/Å = 0.2306 kcal/mol/Å) averaged over the loss atoms. Systems are split by the
        manifest into train and validation (never by frame). Ctrl-C stops after the current step,
        writing the checkpoint and the best model so far; --resume continues bit for bit.

        Refinement (§4.4): each step is one candidate structure; its matched heavy atoms are the input
        and the loss atoms, their Algorithm 1 vectors against the target's solution (50-atom
        neighbourhoods) the targets, δ = 1 Å. Targets are split by the manifest (chronologically for
        RNA-Puzzles). The model predicts vectors in Å and is used by md refine --model.
        """)

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        guard let out = arguments.string("out") else { throw CommandLineError(command: spec.name, "--out MODEL.safetensors is required") }
        let order = try arguments.value("order", as: Int.self) ?? 2
        guard (0...2).contains(order) else { throw CommandLineError(command: spec.name, "--order expects 0, 1 or 2") }
        var options = TrainingOptions()
        options.steps = try arguments.value("steps", as: Int.self) ?? options.steps
        options.learningRate = try arguments.value("lr", as: Double.self) ?? options.learningRate
        options.warmupSteps = try arguments.value("warmup", as: Int.self) ?? options.warmupSteps
        options.validationInterval = try arguments.value("validation-interval", as: Int.self) ?? options.validationInterval
        options.earlyStoppingPatience = try arguments.value("patience", as: Int.self) ?? options.earlyStoppingPatience
        options.seed = try arguments.value("seed", as: UInt64.self) ?? options.seed
        options.threads = try arguments.value("threads", as: Int.self) ?? options.threads
        guard options.steps > 0, options.learningRate > 0, options.warmupSteps >= 0, options.validationInterval > 0,
              options.earlyStoppingPatience > 0, options.threads > 0 else {
            throw CommandLineError(command: spec.name, "--steps, --lr, --validation-interval, --patience and --threads must be positive")
        }
        let manifest = datasetPath(arguments.positionals[0])
        let target: PredictionTarget = try DatasetManifest.format(of: manifest) == RefinementDataset.format ? .refinement : .force
        if target == .refinement, let name = ["loss-atoms", "kinds"].first(where: { arguments.string($0) != nil }) {
            throw CommandLineError(command: spec.name, "--\(name) applies to force datasets; \(manifest) holds refinement candidates (every matched atom is a loss atom)")
        }
        guard let lossAtoms = LearnedAtoms(rawValue: arguments.string("loss-atoms") ?? (target == .force ? "protein" : "all")) else {
            throw CommandLineError(command: spec.name, "--loss-atoms expects protein or all")
        }
        guard let prior = ForcePrior(rawValue: arguments.string("prior") ?? "none") else {
            throw CommandLineError(command: spec.name, "--prior expects none, amber-bonded or amber-bonded-lj")
        }
        if prior != .none && (target != .force || order == 0) {
            throw CommandLineError(command: spec.name, "--prior applies to vector force models (order 1 or 2 on a force dataset)")
        }
        let huberDelta = try arguments.value("huber-delta", as: Double.self) ?? target.paperHuberDelta
        let radialCutoff = try arguments.value("radial-cutoff", as: Double.self) ?? (target == .force ? 6 : 12)
        guard huberDelta > 0, radialCutoff > 0 else { throw CommandLineError(command: spec.name, "--huber-delta and --radial-cutoff must be positive") }
        let sequenceSeparation = arguments.flag("sequence-separation")
        if sequenceSeparation && target != .refinement {
            throw CommandLineError(command: spec.name, "--sequence-separation applies to refinement datasets; \(manifest) holds force frames")
        }
        let magnitudeWeight = try arguments.value("magnitude-weight", as: Double.self) ?? 0
        guard magnitudeWeight >= 0, magnitudeWeight == 0 || order > 0 else {
            throw CommandLineError(command: spec.name, "--magnitude-weight must be at least 0, and applies to vector models (order 1 or 2)")
        }
        let resume = arguments.flag("resume")
        let checkpoint = out + ".checkpoint", logPath = arguments.string("log") ?? out + ".log.csv"
        for path in [out, logPath] where FileManager.default.fileExists(atPath: path) && !arguments.flag("overwrite") && !resume {
            throw FileAccessError(file: path, "exists; pass --overwrite to replace it (or --resume to continue its run)")
        }
        if resume && !FileManager.default.fileExists(atPath: checkpoint) {
            throw FileAccessError(file: checkpoint, "no checkpoint to resume from")
        }

        let frameLimit = try arguments.value("frames", as: Int.self)
        let validationLimit = try arguments.value("validation-frames", as: Int.self) ?? frameLimit
        let data = try target == .force
            ? TrainingData.forces(manifest: manifest, kinds: arguments.string("kinds"), limit: frameLimit, validationLimit: validationLimit, lossAtoms: lossAtoms,
                                   prior: prior)
            : TrainingData.refinement(manifest: manifest, limit: frameLimit, validationLimit: validationLimit, threads: options.threads,
                                      console: console, quiet: arguments.flag("quiet"))

        // The model: paper defaults, the elements of the data, targets scaled to order one.
        var configuration = TensorFieldNetworkConfiguration()
        configuration.maxDegree = order
        configuration.radialCutoff = radialCutoff
        configuration.sequenceSeparation = sequenceSeparation
        for e in data.elements where !configuration.elements.contains(e) { configuration.elements.append(e) }
        configuration.elements = Array(configuration.elements.prefix(5)) + configuration.elements.dropFirst(5).sorted()
        configuration.outputScale = data.rmsComponent
        var initial: Parameters<Float>?
        if let path = arguments.string("init") {
            let start = try LearnedModel.load(path)
            // The starting model may know more elements than these data hold (a general model refined on one system).
            var expected = configuration
            expected.outputScale = start.configuration.outputScale
            expected.elements = start.configuration.elements
            let widened = sequenceSeparation && !start.configuration.sequenceSeparation
            if widened { expected.sequenceSeparation = false }
            guard start.configuration == expected, start.learnedAtoms == lossAtoms, start.target == target else {
                throw FileFormatError(file: path, "has another architecture, target or loss-atom selection than this training run (order \(order), \(target.noun)s on \(lossAtoms.rawValue) atoms)")
            }
            let unknown = data.elements.subtracting(start.configuration.elements).map(\.symbol).sorted()
            guard unknown.isEmpty else {
                throw FileFormatError(file: path, "does not know element\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) of these data (it knows \(start.configuration.elements.map(\.symbol).joined(separator: ", ")))")
            }
            configuration = start.configuration
            configuration.sequenceSeparation = sequenceSeparation
            // A model of the whole force can start one beside a prior; the output unit is then the residual's.
            if start.prior != prior { configuration.outputScale = data.rmsComponent }
            initial = widened ? TensorFieldNetwork(configuration).addingSequenceInputs(to: start.parameters) : start.parameters
        }
        let network = TensorFieldNetwork(configuration)
        var model = LearnedModel(network: network, parameters: initial ?? network.initialParameters(seed: options.seed), learnedAtoms: lossAtoms,
                                 target: target, huberDelta: huberDelta, prior: prior, magnitudeLossWeight: magnitudeWeight)
        let (training, validation) = try data.examples(model: model, console: console, quiet: arguments.flag("quiet"))
        let fieldAtoms = data.meanFieldAtoms ?? (0..<training.count).reduce(0) { $0 + training[$1].fieldAtoms } / training.count
        console.printError("md train: order \(order), \(network.parameterShapes.reduce(0) { $0 + $1.1.count }) parameters; "
            + "\(training.count) training \(data.unit)s from \(data.trainingSystems.count) systems, \(validation.count) validation \(data.unit)s from "
            + "\(data.validationSystems.count); loss on \(lossAtoms.rawValue) atoms; mean receptive field \(fieldAtoms) atoms; "
            + String(format: "output scale %.3f %@, Huber δ %.4f %@", configuration.outputScale, target.unit, huberDelta, target.unit)
            + (magnitudeWeight > 0 ? String(format: ", magnitude loss weight %g", magnitudeWeight) : ""))

        model.provenance = ["dataset": arguments.positionals[0], "created": ISO8601DateFormatter().string(from: Date()),
                            "training_\(data.unit)s": "\(training.count)", "validation_\(data.unit)s": "\(validation.count)",
                            "training_systems": data.trainingSystems.joined(separator: ","),
                            "validation_systems": data.validationSystems.joined(separator: ","),
                            "kinds": arguments.string("kinds") ?? "all", "command": CommandLine.arguments.joined(separator: " ")]
        let trainer = Trainer(model: model, training: training, validation: validation, options: options)
        if resume {
            try trainer.restoreCheckpoint(from: checkpoint)
            console.printError("md train: resumed from \(checkpoint) at step \(trainer.step)")
        }
        let log = try TrainingLog(path: logPath, append: resume, target: target)

        let progress = Progress(console: console, total: options.steps, label: "step", quiet: arguments.flag("quiet")) { stepsPerSecond in
            String(format: "%.0f atoms/s", stepsPerSecond * Double(fieldAtoms))
        }
        StopRequest.install()
        defer { StopRequest.reset() }
        let started = Date()
        var recent: [Double] = []
        var lastValidation = "—"
        func validateAndSave() throws {
            if !validation.isEmpty {
                let result = trainer.validate()
                let m = result.metrics
                lastValidation = String(format: "val %.4f, angle %.1f°, r %.3f", result.loss, m.angle, m.pearson)
                try log.append(step: trainer.step, learningRate: trainer.learningRate, trainLoss: recent.mean, validation: result,
                               seconds: Date().timeIntervalSince(started))
            } else {
                try log.append(step: trainer.step, learningRate: trainer.learningRate, trainLoss: recent.mean, validation: nil,
                               seconds: Date().timeIntervalSince(started))
            }
            try trainer.writeCheckpoint(to: checkpoint)
            var best = validation.isEmpty ? trainer.model : trainer.best
            best.provenance = model.provenance.merging(["steps": "\(trainer.step)",
                                                        "best_validation_loss": "\(trainer.bestValidationLoss)"]) { $1 }
            try best.write(to: out)
        }
        while !trainer.isFinished && !StopRequest.isRequested {
            let loss = try trainer.trainStep()
            recent.append(loss)
            if recent.count > 50 { recent.removeFirst() }
            if trainer.step % options.validationInterval == 0 || trainer.isFinished { try validateAndSave() }
            progress.update(trainer.step, detail: String(format: "loss %.4f  %@", recent.mean, lastValidation))
        }
        if StopRequest.isRequested { try validateAndSave() }
        progress.finish()
        console.print("md train: \(trainer.step) steps in \(Progress.duration(Date().timeIntervalSince(started))); "
            + (validation.isEmpty ? "no validation set: the last parameters were written" : String(format: "best validation loss %.4f", trainer.bestValidationLoss))
            + " → \(out) (log \(logPath), checkpoint \(checkpoint))")
        if StopRequest.isRequested { throw TrainingInterrupted(step: trainer.step, checkpoint: checkpoint, model: out) }
    }

    /// A manifest path, or a folder holding dataset.json.
    static func datasetPath(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return (path as NSString).appendingPathComponent("dataset.json")
        }
        return path
    }
}

struct TrainingInterrupted: Error, CustomStringConvertible {
    var step: Int
    var checkpoint: String, model: String
    var description: String { "interrupted at step \(step); \(model) holds the best model so far and \(checkpoint) the state to --resume from" }
}

extension Array where Element == Double {
    var mean: Double { isEmpty ? .nan : reduce(0, +) / Double(count) }
}

/// The CSV training log: one line per validation.
struct TrainingLog {
    let path: String

    /// Forces are logged in meV/Å (the paper's unit), refinement vectors in Å.
    let target: PredictionTarget

    init(path: String, append: Bool, target: PredictionTarget) throws {
        self.path = path
        self.target = target
        if !append || !FileManager.default.fileExists(atPath: path) {
            let unit = target == .force ? "meV_A" : "A"
            try FileBytes.write(Array("step,learning_rate,train_loss,validation_loss,tensor_\(unit),magnitude_\(unit),angle_deg,pearson,relative_tensor,seconds\n".utf8),
                                to: path, overwrite: true)
        }
    }

    func append(step: Int, learningRate: Double, trainLoss: Double, validation: ValidationResult?, seconds: Double) throws {
        var line = "\(step),\(learningRate),\(trainLoss)"
        if let v = validation {
            let m = target == .force ? v.metrics.inMeVPerAngstrom : v.metrics
            line += ",\(v.loss),\(m.tensor),\(m.magnitude),\(m.angle),\(m.pearson),\(m.relativeTensor)"
        } else {
            line += ",,,,,,"
        }
        line += String(format: ",%.1f\n", seconds)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw FileAccessError(file: path, "cannot be opened for appending") }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
    }
}
