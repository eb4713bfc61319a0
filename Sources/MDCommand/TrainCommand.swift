import AmberIO
import Equivariant
import Foundation
import LearnedFF
import MDCore
import TensorCore

struct TrainCommand: Subcommand {
    static let spec = CommandSpec(
        name: "train", summary: "Learn a force network from reference trajectories that carry forces.",
        positionals: [PositionalSpec("DATASET", help: "A dataset manifest (dataset.json, format \"md-dataset 1\"; see trajectories/README.md).")],
        options: [
            OptionSpec("out", value: "MODEL.safetensors", help: "The trained model (the parameters with the lowest validation loss); required."),
            OptionSpec("order", value: "0|1|2", help: "Maximum spherical-harmonic order (default 2). Order 0 predicts force magnitudes only."),
            OptionSpec("steps", value: "N", help: "Optimiser steps, one frame each (default 3000)."),
            OptionSpec("lr", value: "RATE", help: "Adam learning rate (default 0.005), halved when validation stalls."),
            OptionSpec("warmup", value: "N", help: "Linear learning-rate warm-up steps (default 100)."),
            OptionSpec("validation-interval", value: "N", help: "Steps between validations, checkpoints and model writes (default 250)."),
            OptionSpec("patience", value: "N", help: "Stop after N validations without improvement (default 6)."),
            OptionSpec("loss-atoms", value: "protein|all", help: "Atoms in the loss (default protein, as the paper); the model then drives only these in MD."),
            OptionSpec("kinds", value: "LIST", help: "Frame kinds to use, e.g. thermal,minimized (default: all)."),
            OptionSpec("frames", value: "N", help: "At most N frames per trajectory."),
            OptionSpec("seed", value: "N", help: "Seed for initial weights and data order (default 1)."),
            OptionSpec("threads", value: "N", help: "Worker threads (default 2)."),
            OptionSpec("log", value: "FILE.csv", help: "Training log: one line per validation (default MODEL.log.csv)."),
            OptionSpec("resume", help: "Continue exactly from MODEL.checkpoint (written at every validation)."),
            OptionSpec("init", value: "MODEL", help: "Start from this model's parameters and output scale (same architecture and elements), e.g. to continue on more data."),
            CommonOptions.overwrite, CommonOptions.quiet,
        ],
        discussion: """
        Each step is one frame of one system (the paper's batch of one macromolecule): the network is
        computed on the loss atoms' three-hop receptive field, the loss is the paper's vector Huber
        loss (δ = 10 meV/Å = 0.2306 kcal/mol/Å) averaged over the loss atoms. Systems are split by the
        manifest into train and validation (never by frame). Ctrl-C stops after the current step,
        writing the checkpoint and the best model so far; --resume continues bit for bit.
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
        guard let lossAtoms = LearnedAtoms(rawValue: arguments.string("loss-atoms") ?? "protein") else {
            throw CommandLineError(command: spec.name, "--loss-atoms expects protein or all")
        }
        let resume = arguments.flag("resume")
        let checkpoint = out + ".checkpoint", logPath = arguments.string("log") ?? out + ".log.csv"
        for path in [out, logPath] where FileManager.default.fileExists(atPath: path) && !arguments.flag("overwrite") && !resume {
            throw FileAccessError(file: path, "exists; pass --overwrite to replace it (or --resume to continue its run)")
        }
        if resume && !FileManager.default.fileExists(atPath: checkpoint) {
            throw FileAccessError(file: checkpoint, "no checkpoint to resume from")
        }

        var dataset = try ForceDataset.load(manifest: datasetPath(arguments.positionals[0]))
        if let kinds = arguments.string("kinds") { dataset = dataset.kinds(Set(kinds.split(separator: ",").map(String.init))) }
        let frameLimit = try arguments.value("frames", as: Int.self)
        let trainFrames = try frames(dataset.split("train"), limit: frameLimit)
        let validationFrames = try frames(dataset.split("validation"), limit: frameLimit)
        guard !trainFrames.isEmpty else { throw FileFormatError(file: arguments.positionals[0], "no training frames (split \"train\")") }

        // The model: paper defaults, the elements of the data, targets scaled to order one.
        var configuration = TensorFieldNetworkConfiguration()
        configuration.maxDegree = order
        for f in trainFrames + validationFrames {
            for e in Set(f.elements) where !configuration.elements.contains(e) { configuration.elements.append(e) }
        }
        configuration.elements = Array(configuration.elements.prefix(5)) + configuration.elements.dropFirst(5).sorted()
        configuration.outputScale = rmsComponent(trainFrames, lossAtoms: lossAtoms)
        var initial: Parameters<Float>?
        if let path = arguments.string("init") {
            let start = try LearnedModel.load(path)
            var expected = configuration
            expected.outputScale = start.configuration.outputScale
            guard start.configuration == expected, start.learnedAtoms == lossAtoms else {
                throw FileFormatError(file: path, "has another architecture, element list or loss-atom selection than this training run (order \(order), elements \(configuration.elements.map(\.symbol)), \(lossAtoms.rawValue) atoms)")
            }
            configuration = start.configuration
            initial = start.parameters
        }
        let network = TensorFieldNetwork(configuration)
        var model = LearnedModel(network: network, parameters: initial ?? network.initialParameters(seed: options.seed), learnedAtoms: lossAtoms)

        let preparing = Progress(console: console, total: trainFrames.count + validationFrames.count, label: "preparing frames",
                                 quiet: arguments.flag("quiet")) { String(format: "%.1f frames/s", $0) }
        var done = 0
        func examples(_ frames: [ForceFrame]) throws -> [TrainingExample] {
            try frames.map { f in
                let channels = try model.channels(for: f.elements, source: f.source)
                defer { done += 1; preparing.update(done) }
                return TrainingExample(frame: f, network: network, channels: channels, lossAtoms: lossAtoms)
            }
        }
        let training = try examples(trainFrames), validation = try examples(validationFrames)
        preparing.finish()
        let fieldAtoms = training.reduce(0) { $0 + $1.fieldAtoms } / training.count
        console.printError("md train: order \(order), \(network.parameterShapes.reduce(0) { $0 + $1.1.count }) parameters; "
            + "\(training.count) training frames from \(Set(training.map(\.system)).count) systems, \(validation.count) validation frames from "
            + "\(Set(validation.map(\.system)).count); loss on \(lossAtoms.rawValue) atoms; mean receptive field \(fieldAtoms) atoms; "
            + String(format: "output scale %.3f kcal/mol/Å", configuration.outputScale))

        model.provenance = ["dataset": arguments.positionals[0], "created": ISO8601DateFormatter().string(from: Date()),
                            "training_frames": "\(training.count)", "validation_frames": "\(validation.count)",
                            "training_systems": Set(training.map(\.system)).sorted().joined(separator: ","),
                            "validation_systems": Set(validation.map(\.system)).sorted().joined(separator: ","),
                            "kinds": arguments.string("kinds") ?? "all", "command": CommandLine.arguments.joined(separator: " ")]
        let trainer = Trainer(model: model, training: training, validation: validation, options: options)
        if resume {
            try trainer.restoreCheckpoint(from: checkpoint)
            console.printError("md train: resumed from \(checkpoint) at step \(trainer.step)")
        }
        let log = try TrainingLog(path: logPath, append: resume)

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
                let m = result.metrics.inMeVPerAngstrom
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
            let loss = trainer.trainStep()
            guard loss.isFinite else { throw TrainingError(step: trainer.step, loss: loss) }
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

    static func frames(_ dataset: ForceDataset, limit: Int?) throws -> [ForceFrame] {
        var out: [ForceFrame] = []
        try dataset.frames(frameLimit: limit) { out.append($0) }
        return out
    }

    /// √(mean of squared force components) over the loss atoms: the network's output unit.
    static func rmsComponent(_ frames: [ForceFrame], lossAtoms: LearnedAtoms) -> Double {
        var sum = 0.0, count = 0
        for f in frames {
            let forces = f.frame.forces!
            for i in lossAtoms.atoms(in: f.topology) {
                for a in 0..<3 { sum += forces[3 * i + a] * forces[3 * i + a] }
                count += 3
            }
        }
        return count > 0 && sum > 0 ? (sum / Double(count)).squareRoot() : 1
    }
}

struct TrainingInterrupted: Error, CustomStringConvertible {
    var step: Int
    var checkpoint: String, model: String
    var description: String { "interrupted at step \(step); \(model) holds the best model so far and \(checkpoint) the state to --resume from" }
}

struct TrainingError: Error, CustomStringConvertible {
    var step: Int
    var loss: Double
    var description: String { "training diverged at step \(step) (loss \(loss)); lower --lr or check the data" }
}

extension Array where Element == Double {
    var mean: Double { isEmpty ? .nan : reduce(0, +) / Double(count) }
}

/// The CSV training log: one line per validation.
struct TrainingLog {
    let path: String

    init(path: String, append: Bool) throws {
        self.path = path
        if !append || !FileManager.default.fileExists(atPath: path) {
            try FileBytes.write(Array("step,learning_rate,train_loss,validation_loss,tensor_meV_A,magnitude_meV_A,angle_deg,pearson,relative_tensor,seconds\n".utf8),
                                to: path, overwrite: true)
        }
    }

    func append(step: Int, learningRate: Double, trainLoss: Double, validation: ValidationResult?, seconds: Double) throws {
        var line = "\(step),\(learningRate),\(trainLoss)"
        if let v = validation {
            let m = v.metrics.inMeVPerAngstrom
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
