import Equivariant
import Foundation
import LearnedFF
import TensorCore

/// `md-bench train --forward-only`: what a learned MD step spends on the network.
extension TrainBenchmark {
    /// A learned MD step's network in its two halves, in one `InferenceWorkspace` kept across steps
    /// as `LearnedForceField` keeps it: the receptive field's inputs (timed as `other`), then the
    /// forward pass.
    static func inference(_ model: LearnedModel, graphs: [NeighborGraph], examples: [TrainingExample], channels: [[Int]],
                          threads: Int) -> (Int) -> Timing {
        let workspace = InferenceWorkspace(model: model)
        return { b in
            let start = wallSeconds()
            workspace.prepare(graph: graphs[b], atoms: examples[b].lossAtoms, channels: channels[b], threads: threads)
            let cpu = processCPUTime(), middle = wallSeconds()
            _ = workspace.forward(threads: threads)
            return Timing(loss: nil, network: wallSeconds() - middle, other: middle - start, cpu: processCPUTime() - cpu)
        }
    }

    /// The MD call on the first frame against the training path on the batch written for e3nn
    /// (`TrainingExample`, whose receptive field and edges `--dump` writes): the same prediction.
    /// With `dump`, also writes the model and this prediction there, so that e3nn_train.py can run
    /// md's parameters and compare.
    static func checkInference(_ model: LearnedModel, graph: NeighborGraph, example: TrainingExample, channels: [Int],
                               dump: String?) throws -> String {
        let output = model.run(graph: graph, atoms: example.lossAtoms, channels: channels).output
        let md = output.scalars, batch = model.predictedForces(example)
        if let dump {
            let order = model.configuration.maxDegree
            try model.write(to: (dump as NSString).appendingPathComponent("model-order\(order).safetensors"))
            try SafeTensors.write([("forces", .float(output))], metadata: ["batch": "batch-000.safetensors"],
                                  to: (dump as NSString).appendingPathComponent("prediction-order\(order).safetensors"))
        }
        let difference = zip(md, batch).map { abs(Double($0) - $1) }.max() ?? .nan
        return "check, order \(model.configuration.maxDegree), first batch: \(example.lossAtoms.count) predicted forces, MD's call against"
            + " the dumped batch's prediction: max |Δ| \(String(format: "%.2e", difference)), max |F| \(String(format: "%.3f", batch.map(abs).max() ?? .nan)) kcal/mol/Å"
    }

    /// Per order and thread count: mean forward time, and per loss (learned) atom as Σ time / Σ atoms;
    /// the receptive field + edge features likewise, md's extra.
    static func summariseInference(_ steps: [Step]) {
        print()
        printRow(["order", "threads", "steps", "mean field atoms", "mean loss atoms", "forward ms", "forward µs/loss atom",
                  "forward CPU ms", "field+edges ms", "field+edges µs/loss atom"])
        printRow(Array(repeating: "---", count: 10))
        for group in grouped(steps) {
            let n = Double(group.count), atoms = Double(group.reduce(0) { $0 + $1.lossAtoms })
            let forward = group.reduce(0) { $0 + $1.timing.network }, other = group.reduce(0) { $0 + $1.timing.other }
            printRow(["\(group[0].order)", "\(group[0].threads)", "\(group.count)",
                      String(format: "%.0f", Double(group.reduce(0) { $0 + $1.fieldAtoms }) / n), String(format: "%.0f", atoms / n),
                      milliseconds(forward / n), microseconds(forward / atoms), milliseconds(group.reduce(0) { $0 + $1.timing.cpu } / n),
                      milliseconds(other / n), microseconds(other / atoms)])
        }
    }
}
