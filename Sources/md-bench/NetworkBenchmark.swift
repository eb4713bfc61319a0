import AmberIO
import Equivariant
import Foundation
import MDCore
import TensorCore

/// The network on a whole solvated frame (every atom a centre, as Benchmarks/e3nn_tfn.py times
/// e3nn): graph and edge features, inference forward, and forward + backward of the Huber loss
/// with respect to the parameters. Per-atom times; `md-bench network [SYSTEM ...] [--orders 1,2]`.
enum NetworkBenchmark {
    static func run(_ arguments: [String]) throws {
        var systems: [String] = [], orders = [1, 2], threads = 2
        var i = 0
        while i < arguments.count {
            if arguments[i] == "--orders", i + 1 < arguments.count {
                orders = arguments[i + 1].split(separator: ",").compactMap { Int($0) }; i += 2
            } else if arguments[i] == "--threads", i + 1 < arguments.count {
                threads = Int(arguments[i + 1]) ?? 2; i += 2
            } else { systems.append(arguments[i]); i += 1 }
        }
        if systems.isEmpty { systems = ["chignolin-water", "bench-30k"] }
        printRow(["system", "atoms", "order", "parameters", "graph+edges ms", "forward µs/atom", "forward+backward µs/atom",
                  "forward CPU µs/atom", "forward+backward CPU µs/atom"])
        printRow(Array(repeating: "---", count: 9))
        for name in systems {
            let prmtop = try Prmtop(contentsOf: "systems/\(name)/\(name).prmtop")
            let frame = try Rst7.read("systems/\(name)/\(name).rst7").frame
            let n = prmtop.atomCount
            for order in orders {
                var configuration = TensorFieldNetworkConfiguration()
                configuration.maxDegree = order
                for e in Set(prmtop.elements) where !configuration.elements.contains(e) { configuration.elements.append(e) }
                let network = TensorFieldNetwork(configuration)
                let parameters: Parameters<Float> = network.initialParameters(seed: 1)
                let channels = prmtop.elements.map { network.channel(of: $0)! }
                var edges: EdgeFeatures<Float>!
                let setup = bestTime(repeats: 2) {
                    let graph = network.graphBuilder.build(positions: frame.positions, box: frame.box)
                    edges = network.edges(graph: graph, targets: Array(0..<n), channels: channels)
                }
                let input = network.inputFeatures(channels: channels, field: edges.field, as: Float.self)
                let inference = Graph<Float>(recording: false)
                var forwardCPU = Double.infinity, trainingCPU = Double.infinity
                let forward = bestTime(repeats: 3) {
                    let cpu = processCPUTime()
                    inference.reset()
                    _ = network(inference.constant(input), edges: edges, parameters: parameters.variables(in: inference), threads: threads)
                    forwardCPU = min(forwardCPU, processCPUTime() - cpu)
                }
                let target = Tensor<Float>(zeros: Shape(n, order >= 1 ? 3 : 1))
                let training = bestTime(repeats: 2) {
                    let cpu = processCPUTime()
                    defer { trainingCPU = min(trainingCPU, processCPUTime() - cpu) }
                    let tape = Graph<Float>()
                    let variables = parameters.variables(in: tape)
                    let out = network(tape.constant(input), edges: edges, parameters: variables, threads: threads)
                    let error = out.reshaped(Shape(n, order >= 1 ? 3 : 1)) - tape.constant(target)
                    let loss = error.norm(epsilon: 1e-12).huber(delta: 0.2306).mean()
                    _ = tape.backward(loss).named(variables)
                }
                printRow([name, "\(n)", "\(order)", "\(parameters.scalarCount)", String(format: "%.0f", setup * 1e3),
                          String(format: "%.1f", forward / Double(n) * 1e6), String(format: "%.1f", training / Double(n) * 1e6),
                          String(format: "%.1f", forwardCPU / Double(n) * 1e6), String(format: "%.1f", trainingCPU / Double(n) * 1e6)])
            }
        }
    }
}
