import AmberIO
import Foundation
import LearnedFF
import MDCore
import Refinement

/// What `md train` learns from, read before the model exists (its elements and output scale come
/// from the data): force frames, or refinement candidates with their Algorithm 1 vectors.
enum TrainingData {
    case forces(training: [ForceFrame], validation: [ForceFrame], lossAtoms: LearnedAtoms)
    case refinement(training: [RefinementSample], validation: [RefinementSample])

    /// With a prior, each frame's forces become the network's target: the reference minus the prior.
    static func forces(manifest: String, kinds: String?, limit: Int?, validationLimit: Int?, lossAtoms: LearnedAtoms,
                       prior: ForcePrior) throws -> TrainingData {
        var dataset = try ForceDataset.load(manifest: manifest)
        if let kinds { dataset = dataset.kinds(Set(kinds.split(separator: ",").map(String.init))) }
        var priors = FramePriors(prior: prior, atoms: lossAtoms)
        func frames(_ dataset: ForceDataset, _ limit: Int?) throws -> [ForceFrame] {
            var out: [ForceFrame] = []
            try dataset.frames(frameLimit: limit) { out.append(try priors.residual($0)) }
            return out
        }
        let training = try frames(dataset.split("train"), limit)
        guard !training.isEmpty else { throw FileFormatError(file: manifest, "no training frames (split \"train\")") }
        return .forces(training: training, validation: try frames(dataset.split("validation"), validationLimit), lossAtoms: lossAtoms)
    }

    static func refinement(manifest: String, limit: Int?, validationLimit: Int?, threads: Int, console: Console, quiet: Bool) throws -> TrainingData {
        let dataset = try RefinementDataset.load(manifest: manifest)
        let (train, validation) = (dataset.split("train"), dataset.split("validation"))
        let total = train.targets.reduce(0) { $0 + min($1.candidates.count, limit ?? .max) }
            + validation.targets.reduce(0) { $0 + min($1.candidates.count, validationLimit ?? .max) }
        guard total > 0 else { throw FileFormatError(file: manifest, "no candidates in splits \"train\" and \"validation\"") }
        let progress = Progress(console: console, total: total, label: "matching candidates", quiet: quiet) { String(format: "%.1f candidates/s", $0) }
        var done = 0
        func samples(_ dataset: RefinementDataset, _ limit: Int?) throws -> [RefinementSample] {
            var out: [RefinementSample] = []
            try dataset.samples(limit: limit, threads: threads) { out.append($0); done += 1; progress.update(done, detail: $0.target) }
            return out
        }
        let training = try samples(train, limit)
        guard !training.isEmpty else { throw FileFormatError(file: manifest, "no training candidates (split \"train\")") }
        let held = try samples(validation, validationLimit)
        progress.finish()
        return .refinement(training: training, validation: held)
    }

    /// What one example is called.
    var unit: String {
        if case .forces = self { return "frame" } else { return "candidate" }
    }

    var elements: Set<Element> {
        switch self {
        case let .forces(training, validation, _): return Set((training + validation).flatMap(\.elements))
        case let .refinement(training, validation): return Set((training + validation).flatMap(\.elements))
        }
    }

    var trainingSystems: [String] {
        switch self {
        case let .forces(training, _, _): return Set(training.map(\.system)).sorted()
        case let .refinement(training, _): return Set(training.map(\.target)).sorted()
        }
    }

    var validationSystems: [String] {
        switch self {
        case let .forces(_, validation, _): return Set(validation.map(\.system)).sorted()
        case let .refinement(_, validation): return Set(validation.map(\.target)).sorted()
        }
    }

    /// √(mean of squared target components) over the training loss atoms: the network's output unit.
    var rmsComponent: Double {
        var sum = 0.0, count = 0
        switch self {
        case let .forces(training, _, lossAtoms):
            for f in training {
                let forces = f.frame.forces!
                for i in lossAtoms.atoms(in: f.topology) {
                    for a in 0..<3 { sum += forces[3 * i + a] * forces[3 * i + a] }
                    count += 3
                }
            }
        case let .refinement(training, _):
            for s in training {
                for v in s.vectors { sum += (v * v).sum() }
                count += 3 * s.vectors.count
            }
        }
        return count > 0 && sum > 0 ? (sum / Double(count)).squareRoot() : 1
    }

    /// Known without building examples: refinement examples are all of a candidate's atoms.
    var meanFieldAtoms: Int? {
        guard case let .refinement(training, _) = self else { return nil }
        return training.reduce(0) { $0 + $1.atomCount } / training.count
    }

    /// Force frames become examples now (their edges are kept); refinement candidates on demand,
    /// as a whole dataset's edges would not fit in memory. Unknown elements fail here, before training.
    func examples(model: LearnedModel, console: Console, quiet: Bool) throws -> (training: ExampleSet, validation: ExampleSet) {
        switch self {
        case let .forces(trainFrames, validationFrames, lossAtoms):
            let preparing = Progress(console: console, total: trainFrames.count + validationFrames.count, label: "preparing frames",
                                     quiet: quiet) { String(format: "%.1f frames/s", $0) }
            var done = 0
            func examples(_ frames: [ForceFrame]) throws -> [TrainingExample] {
                try frames.map { f in
                    let channels = try model.channels(for: f.elements, source: f.source)
                    defer { done += 1; preparing.update(done) }
                    return TrainingExample(frame: f, network: model.network, channels: channels, lossAtoms: lossAtoms)
                }
            }
            let training = try examples(trainFrames), validation = try examples(validationFrames)
            preparing.finish()
            return (ExampleSet(training), ExampleSet(validation))
        case let .refinement(training, validation):
            func lazy(_ samples: [RefinementSample]) throws -> ExampleSet {
                let channels = try samples.map { try model.channels(for: $0.elements, source: $0.candidate) }
                let network = model.network
                return ExampleSet(count: samples.count) { samples[$0].example(network: network, channels: channels[$0]) }
            }
            return (try lazy(training), try lazy(validation))
        }
    }
}
