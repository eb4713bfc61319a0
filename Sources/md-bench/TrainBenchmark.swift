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
/// `--forward-only` times instead what a learned MD step spends on the network for those atoms
/// (an `InferenceWorkspace` kept across steps, as `LearnedForceField` keeps one): the forward pass,
/// compared with e3nn's, and apart from it md's own extra, the receptive field with its edge and
/// input features, which MD rebuilds every step. The k-NN graph is built before the clock starts.
///
/// `md-bench train [DATASET] [--orders 1,2] [--threads 1,2] [--passes N] [--frames N] [--dump DIR] [--forward-only]`
enum TrainBenchmark {
    /// One timed call: training's forward + backward and clip + Adam, or inference's forward pass
    /// and receptive field + edge features (`other`); CPU time of the whole step, or of the forward pass.
    struct Timing { let loss: Double?, network: Double, other: Double, cpu: Double }

    struct Step {
        var order: Int, threads: Int, batch: String, fieldAtoms: Int, lossAtoms: Int, layerEdges: [Int]
        var timing: Timing, forwardOnly: Bool
        /// What e3nn_train.py times as well: the whole optimiser step, or the forward pass.
        var seconds: Double { forwardOnly ? timing.network : timing.network + timing.other }
    }

    static func run(_ arguments: [String]) throws {
        var manifest = "trajectories/dataset.json", orders = [1, 2], threadCounts = [1, 2], passes = 1
        var frameLimit: Int?, dump: String?, forwardOnly = false
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
            case "--forward-only": forwardOnly = true; i += 1
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
        print("md-bench train\(forwardOnly ? " --forward-only" : ""): \(frames.count) train-split frames of \(manifest), \(passes) pass(es), load average \(loadAverage())")
        printRow(["order", "threads", "step", "batch", "field atoms", "loss atoms", "edges (layers 1/2/3)"]
                 + (forwardOnly ? ["forward ms", "forward µs/loss atom", "field+edges ms", "forward CPU ms"]
                                : ["loss", "fwd+bwd ms", "clip+Adam ms", "step ms", "CPU ms"]))
        printRow(Array(repeating: "---", count: forwardOnly ? 11 : 12))

        var steps: [Step] = [], parameterCounts: [String] = [], checks: [String] = []
        for order in orders {
            var configuration = TensorFieldNetworkConfiguration()
            configuration.maxDegree = order
            configuration.elements = elements
            let network = TensorFieldNetwork(configuration)
            // Inference with a non-zero output layer, so that the check below compares something.
            let model = LearnedModel(network: network, parameters: network.initialParameters(seed: 1, zeroOutput: !forwardOnly))
            parameterCounts.append("order \(order) \(model.parameters.scalarCount)")
            var examples: [TrainingExample] = [], channels: [[Int]] = []
            for (b, frame) in frames.enumerated() {
                channels.append(try model.channels(for: frame.elements, source: frame.source))
                examples.append(TrainingExample(frame: frame, network: network, channels: channels[b], lossAtoms: model.learnedAtoms))
                if let dump, order == orders[0] {
                    try TrainingBatchFile.write(examples[b], frame: frame, network: network, channels: channels[b],
                                                to: (dump as NSString).appendingPathComponent(String(format: "batch-%03d.safetensors", b)))
                }
            }
            let graphs = forwardOnly ? frames.map { network.graphBuilder.build(positions: $0.frame.positions, box: $0.frame.box) } : []
            if forwardOnly { checks.append(try checkInference(model, graph: graphs[0], example: examples[0], channels: channels[0], dump: dump)) }
            for threads in threadCounts {
                let measure = forwardOnly ? inference(model, graphs: graphs, examples: examples, channels: channels, threads: threads)
                                          : training(model, examples: examples, threads: threads)
                _ = measure(0)  // warm-up, untimed (arena, thread pool)
                for pass in 0..<passes {
                    for (b, example) in examples.enumerated() {
                        let field = example.edges.field
                        let step = Step(order: order, threads: threads, batch: label(frames[b]), fieldAtoms: example.fieldAtoms,
                                        lossAtoms: example.lossAtoms.count, layerEdges: (1...field.depth).map { field.edgeCount(layer: $0) },
                                        timing: measure(b), forwardOnly: forwardOnly)
                        steps.append(step)
                        let t = step.timing
                        printRow(["\(order)", "\(threads)", "\(pass * examples.count + b + 1)", step.batch, "\(step.fieldAtoms)", "\(step.lossAtoms)",
                                  step.layerEdges.map(String.init).joined(separator: "/")]
                                 + (forwardOnly ? [milliseconds(t.network), microseconds(t.network / Double(step.lossAtoms)),
                                                   milliseconds(t.other), milliseconds(t.cpu)]
                                                : [String(format: "%.4f", t.loss!), milliseconds(t.network), milliseconds(t.other),
                                                   milliseconds(step.seconds), milliseconds(t.cpu)]))
                    }
                }
            }
        }
        if forwardOnly { summariseInference(steps) } else { summarise(steps) }
        print("parameters: \(parameterCounts.joined(separator: ", "))")
        checks.forEach { print($0) }
        print("load average at the end: \(loadAverage())")
    }

    /// md train's step: `Trainer.gradients` (timed as `network`), then `Trainer.apply`.
    static func training(_ model: LearnedModel, examples: [TrainingExample], threads: Int) -> (Int) -> Timing {
        var options = TrainingOptions()
        options.threads = threads
        let trainer = Trainer(model: model, training: examples, validation: [], options: options)
        return { b in
            let cpu = processCPUTime(), start = wallSeconds()
            let (loss, gradients) = trainer.gradients(examples[b])
            let middle = wallSeconds()
            trainer.apply(gradients)
            return Timing(loss: loss, network: middle - start, other: wallSeconds() - middle, cpu: processCPUTime() - cpu)
        }
    }

    /// Per order and thread count: mean step time and throughput as Σ atoms / Σ wall time.
    static func summarise(_ steps: [Step]) {
        print()
        printRow(["order", "threads", "steps", "mean field atoms", "mean loss atoms", "ms/step", "CPU ms/step",
                  "field atoms/s", "loss atoms/s"])
        printRow(Array(repeating: "---", count: 9))
        for group in grouped(steps) {
            let n = Double(group.count), seconds = group.reduce(0) { $0 + $1.seconds }
            let field = group.reduce(0) { $0 + $1.fieldAtoms }, loss = group.reduce(0) { $0 + $1.lossAtoms }
            printRow(["\(group[0].order)", "\(group[0].threads)", "\(group.count)", String(format: "%.0f", Double(field) / n),
                      String(format: "%.0f", Double(loss) / n), milliseconds(seconds / n),
                      milliseconds(group.reduce(0) { $0 + $1.timing.cpu } / n),
                      String(format: "%.0f", Double(field) / seconds), String(format: "%.0f", Double(loss) / seconds)])
        }
    }

    /// Steps grouped by order and thread count, in the order they ran.
    static func grouped(_ steps: [Step]) -> [[Step]] {
        var seen = Set<[Int]>()
        return steps.map { [$0.order, $0.threads] }.filter { seen.insert($0).inserted }.map { key in
            steps.filter { [$0.order, $0.threads] == key }
        }
    }

    /// "1CNR thermal.nc:0": system, trajectory file and frame index.
    static func label(_ frame: ForceFrame) -> String { "\(frame.system) \((frame.source as NSString).lastPathComponent)" }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1e3) }

    static func microseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1e6) }

    static func loadAverage() -> String {
        var load = [Double](repeating: 0, count: 3)
        return getloadavg(&load, 3) == 3 ? load.map { String(format: "%.2f", $0) }.joined(separator: " ") : "unknown"
    }
}

struct TrainBenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
