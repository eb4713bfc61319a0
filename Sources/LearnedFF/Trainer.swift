import Equivariant
import Foundation
import MDCore
import TensorCore

/// How to train: the paper's batches of one macromolecule frame, Adam with warm-up and decay on
/// plateau of the validation loss, early stopping, gradient clipping; deterministic in `seed`.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var steps = 3000
    public var learningRate = 5e-3
    public var warmupSteps = 100
    public var validationInterval = 250
    /// Validations without improvement before the rate is halved, and before training stops.
    public var plateauPatience = 2
    public var earlyStoppingPatience = 6
    public var clipNorm = 100.0
    public var seed: UInt64 = 1
    public var threads = 2
    public init() {}
}

/// One validation: the mean loss and the paper's metrics over all validation loss atoms.
public struct ValidationResult: Sendable {
    public var loss: Double
    public var metrics: ForceMetrics
}

/// The training loop, one optimiser step at a time, so the command around it can show progress,
/// stop on Ctrl-C and checkpoint. "Loss and gradients of a batch" (`gradients`) is kept apart from
/// "apply the update" (`apply`) so that data-parallel training can all-reduce in between.
public final class Trainer {
    public private(set) var model: LearnedModel
    /// The parameters with the lowest validation loss so far.
    public private(set) var best: LearnedModel
    public private(set) var step = 0
    public private(set) var bestValidationLoss = Double.infinity
    public private(set) var staleValidations = 0
    public private(set) var schedule: LearningRateSchedule
    public let options: TrainingOptions
    private var optimizer: Adam<Float>
    public let training: ExampleSet
    public let validation: ExampleSet

    public convenience init(model: LearnedModel, training: [TrainingExample], validation: [TrainingExample], options: TrainingOptions) {
        self.init(model: model, training: ExampleSet(training), validation: ExampleSet(validation), options: options)
    }

    public init(model: LearnedModel, training: ExampleSet, validation: ExampleSet, options: TrainingOptions) {
        precondition(!training.isEmpty, "Trainer: no training examples")
        self.model = model; best = model
        self.training = training; self.validation = validation; self.options = options
        optimizer = Adam(learningRate: options.learningRate)
        schedule = LearningRateSchedule(baseRate: options.learningRate, warmupSteps: options.warmupSteps,
                                        plateauPatience: options.plateauPatience, minimumRate: options.learningRate / 64)
    }

    /// The example of optimiser step `s`: epochs are seeded permutations of the training set.
    public func exampleIndex(atStep s: Int) -> Int {
        let n = training.count, epoch = s / n
        var order = Array(0..<n)
        var rng = SplitMix64(seed: options.seed &+ 0x9E37_79B9 &* UInt64(epoch + 1))
        order.shuffle(using: &rng)
        return order[s % n]
    }

    public var isFinished: Bool { step >= options.steps || staleValidations >= options.earlyStoppingPatience }
    public var learningRate: Double { schedule.rate(atStep: step) }

    /// Loss and gradients of one example.
    public func gradients(_ example: TrainingExample) -> (loss: Double, gradients: NamedGradients<Float>) {
        let graph = Graph<Float>()
        let variables = model.parameters.variables(in: graph)
        let prediction = model.predict(example, on: graph, parameters: variables, threads: options.threads)
        let loss = model.loss(prediction: prediction, target: graph.constant(example.target))
        return (Double(loss.value.scalar), graph.backward(loss).named(variables))
    }

    /// Clips and applies gradients, advancing one step.
    public func apply(_ gradients: NamedGradients<Float>) {
        var g = gradients
        clipGlobalNorm(&g, maxNorm: options.clipNorm)
        optimizer.learningRate = schedule.rate(atStep: step)
        optimizer.step(&model.parameters, gradients: g)
        step += 1
    }

    /// One optimiser step on the next example; returns its loss (before the update). A loss or
    /// gradient that is not finite is never applied: the parameters stay those of the step before.
    @discardableResult
    public func trainStep() throws -> Double {
        let example = training[exampleIndex(atStep: step)]
        let (loss, g) = gradients(example)
        let norm = globalNorm(g)
        guard loss.isFinite, norm.isFinite else {
            throw TrainingDiverged(step: step + 1, source: example.source, loss: loss, gradientNorm: norm)
        }
        apply(g)
        return loss
    }

    /// Evaluates the current parameters on the validation set, updating the schedule, the best
    /// model and the early-stopping count.
    @discardableResult
    public func validate() -> ValidationResult {
        let result = Trainer.evaluate(model, on: validation, threads: options.threads)
        schedule.observe(loss: result.loss)
        if result.loss < bestValidationLoss {
            bestValidationLoss = result.loss; best = model; staleValidations = 0
        } else {
            staleValidations += 1
        }
        return result
    }

    var optimizerState: (steps: Int, tensors: [(String, Tensor<Float>)]) { (optimizer.stepCount, optimizer.stateTensors) }

    func restore(step: Int, parameters: Parameters<Float>, best bestParameters: Parameters<Float>, adamSteps: Int,
                 adam: [String: Tensor<Float>], bestValidationLoss: Double, staleValidations: Int, schedule: LearningRateSchedule) {
        self.step = step
        model.parameters = parameters
        best.parameters = bestParameters
        optimizer.restore(stepCount: adamSteps, stateTensors: adam)
        self.bestValidationLoss = bestValidationLoss
        self.staleValidations = staleValidations
        self.schedule = schedule
    }

    /// Mean loss and metrics of `model` over `examples` (inference only).
    public static func evaluate(_ model: LearnedModel, on examples: [TrainingExample], threads: Int = 2) -> ValidationResult {
        evaluate(model, on: ExampleSet(examples), threads: threads)
    }

    public static func evaluate(_ model: LearnedModel, on examples: ExampleSet, threads: Int = 2) -> ValidationResult {
        var predicted: [Double] = [], target: [Double] = []
        var lossSum = 0.0, atoms = 0
        for i in 0..<examples.count {
            let example = examples[i]
            let graph = Graph<Float>(recording: false)
            let prediction = model.predict(example, on: graph, parameters: model.parameters.variables(in: graph), threads: threads)
            let loss = model.loss(prediction: prediction, target: graph.constant(example.target))
            lossSum += Double(loss.value.scalar) * Double(example.lossAtoms.count)
            atoms += example.lossAtoms.count
            predicted += model.forces(example, output: prediction.value)
            target += example.targetVectors
        }
        return ValidationResult(loss: atoms > 0 ? lossSum / Double(atoms) : .nan, metrics: ForceMetrics(predicted: predicted, target: target))
    }
}

/// A training step whose loss or gradient is not finite, with the example it came from.
public struct TrainingDiverged: Error, CustomStringConvertible {
    public var step: Int
    public var source: String
    public var loss: Double
    public var gradientNorm: Double
    public var description: String {
        "training diverged at step \(step) on \(source) (loss \(loss), gradient norm \(gradientNorm)); "
            + "the step was not applied; lower --lr or check that example"
    }
}
