import Equivariant
import Foundation
import LearnedFF
import MDCore
import TensorCore

/// Training throughput as `md train` trains: every optimiser step is one frame of the dataset's
/// train split, the network over the loss atoms' (protein atoms') three-hop receptive field, the
/// vector Huber loss, backward, gradient clipping and an Adam update, through the calls md train
/// makes (`Trainer.gradients`, `Trainer.apply`). Examples (k-NN graph, receptive field, spherical
/// harmonics, radial basis) are built before the clock starts, as md train builds them once and
/// keeps them; `--dump DIR` writes each batch (`TrainingBatchFile`) so that
/// Benchmarks/e3nn_train.py times e3nn on the same steps.
///
/// `md-bench train [DATASET] [--orders 1,2] [--threads 1,2] [--passes N] [--frames N] [--dump DIR]`
enum TrainBenchmark {
    struct Step {
        var order: Int, threads: Int, batch: String, fieldAtoms: Int, lossAtoms: Int, layerEdges: [Int]
        var loss: Double, gradientSeconds: Double, updateSeconds: Double, cpuSeconds: Double
        var seconds: Double { gradientSeconds + updateSeconds }
    }

    static func run(_ arguments: [String]) throws {
        var manifest = "trajectories/dataset.json", orders = [1, 2], threadCounts = [1, 2], passes = 1
        var frameLimit: Int?, dump: String?
        var i = 0
        func value() -> String? { i + 1 < arguments.count ? arguments[i + 1] : nil }
        func integers(_ s: String?) -> [Int] { s?.split(separator: ",").compactMap { Int($0) } ?? [] }
        while i < arguments.count {
            switch arguments[i] {
            case "--orders": orders = integers(value()); i += 2
            case "--threads": threadCounts = integers(value()); i += 2
            case "--passes": passes = Int(value() ?? "") ?? passes; i += 2
            case "--frames": frameLimit = Int(value() ?? ""); i += 2
            case "--dump": dump = value(); i += 2
            default: manifest = arguments[i]; i += 1
            }
        }
        var frames: [ForceFrame] = []
        try ForceDataset.load(manifest: manifest).split("train").frames(frameLimit: frameLimit) { frames.append($0) }
        guard !frames.isEmpty else { throw TrainBenchmarkError("\(manifest): no frames in split \"train\"") }
        // md train's channel order: C, H, N, O, S, then the data's other elements sorted.
        var elements = TensorFieldNetworkConfiguration().elements
        elements += Set(frames.flatMap(\.elements)).subtracting(elements).sorted()
        if let dump { try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true) }
        print("md-bench train: \(frames.count) train-split frames of \(manifest), \(passes) pass(es), load average \(loadAverage())")
        printRow(["order", "threads", "step", "batch", "field atoms", "loss atoms", "edges (layers 1/2/3)", "loss",
                  "fwd+bwd ms", "clip+Adam ms", "step ms", "CPU ms"])
        printRow(Array(repeating: "---", count: 12))

        var steps: [Step] = [], parameterCounts: [String] = []
        for order in orders {
            var configuration = TensorFieldNetworkConfiguration()
            configuration.maxDegree = order
            configuration.elements = elements
            let network = TensorFieldNetwork(configuration)
            let model = LearnedModel(network: network, parameters: network.initialParameters(seed: 1))
            parameterCounts.append("order \(order) \(model.parameters.scalarCount)")
            var examples: [TrainingExample] = []
            for (b, frame) in frames.enumerated() {
                let channels = try model.channels(for: frame.elements, source: frame.source)
                examples.append(TrainingExample(frame: frame, network: network, channels: channels, lossAtoms: model.learnedAtoms))
                if let dump, order == orders[0] {
                    try TrainingBatchFile.write(examples[b], frame: frame, network: network, channels: channels,
                                                to: (dump as NSString).appendingPathComponent(String(format: "batch-%03d.safetensors", b)))
                }
            }
            for threads in threadCounts {
                var options = TrainingOptions()
                options.threads = threads
                let trainer = Trainer(model: model, training: examples, validation: [], options: options)
                trainer.apply(trainer.gradients(examples[0]).gradients)  // warm-up, untimed (arena, thread pool)
                for pass in 0..<passes {
                    for (b, example) in examples.enumerated() {
                        let cpu = processCPUTime(), start = wallSeconds()
                        let (loss, gradients) = trainer.gradients(example)
                        let middle = wallSeconds()
                        trainer.apply(gradients)
                        let field = example.edges.field
                        let step = Step(order: order, threads: threads, batch: label(frames[b]), fieldAtoms: example.fieldAtoms,
                                        lossAtoms: example.lossAtoms.count, layerEdges: (1...field.depth).map { field.edgeCount(layer: $0) },
                                        loss: loss, gradientSeconds: middle - start, updateSeconds: wallSeconds() - middle,
                                        cpuSeconds: processCPUTime() - cpu)
                        steps.append(step)
                        printRow(["\(order)", "\(threads)", "\(pass * examples.count + b + 1)", step.batch, "\(step.fieldAtoms)", "\(step.lossAtoms)",
                                  step.layerEdges.map(String.init).joined(separator: "/"), String(format: "%.4f", loss),
                                  milliseconds(step.gradientSeconds), milliseconds(step.updateSeconds), milliseconds(step.seconds),
                                  milliseconds(step.cpuSeconds)])
                    }
                }
            }
        }
        summarise(steps)
        print("parameters: \(parameterCounts.joined(separator: ", "))")
        print("load average at the end: \(loadAverage())")
    }

    /// Per order and thread count: mean step time and throughput as Σ atoms / Σ wall time.
    static func summarise(_ steps: [Step]) {
        print()
        printRow(["order", "threads", "steps", "mean field atoms", "mean loss atoms", "ms/step", "CPU ms/step",
                  "field atoms/s", "loss atoms/s"])
        printRow(Array(repeating: "---", count: 9))
        var seen = Set<[Int]>()
        for key in steps.map({ [$0.order, $0.threads] }) where seen.insert(key).inserted {
            let group = steps.filter { [$0.order, $0.threads] == key }
            let n = Double(group.count), seconds = group.reduce(0) { $0 + $1.seconds }
            let field = group.reduce(0) { $0 + $1.fieldAtoms }, loss = group.reduce(0) { $0 + $1.lossAtoms }
            printRow(["\(key[0])", "\(key[1])", "\(group.count)", String(format: "%.0f", Double(field) / n),
                      String(format: "%.0f", Double(loss) / n), milliseconds(seconds / n),
                      milliseconds(group.reduce(0) { $0 + $1.cpuSeconds } / n),
                      String(format: "%.0f", Double(field) / seconds), String(format: "%.0f", Double(loss) / seconds)])
        }
    }

    /// "1CNR thermal.nc:0": system, trajectory file and frame index.
    static func label(_ frame: ForceFrame) -> String { "\(frame.system) \((frame.source as NSString).lastPathComponent)" }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1e3) }

    static func loadAverage() -> String {
        var load = [Double](repeating: 0, count: 3)
        return getloadavg(&load, 3) == 3 ? load.map { String(format: "%.2f", $0) }.joined(separator: " ") : "unknown"
    }
}

struct TrainBenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
