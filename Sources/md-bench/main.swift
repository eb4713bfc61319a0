import AmberIO
import Foundation
import MDCore
import TensorCore

BLASKernels.ensureOptimized()
BLASThreads.useCallingThreadUnlessConfigured()

/// Benchmarks, run in release: `swift run -c release md-bench SUITE`. Figures go to BENCHMARKS.md.
let arguments = Array(CommandLine.arguments.dropFirst())
let suites: [String: ([String]) throws -> Void] = ["io": { _ in try IOBenchmark.run() }, "forces": ForceBenchmark.run, "tensor": TensorBenchmark.run, "network": NetworkBenchmark.run, "train": TrainBenchmark.run]

guard let name = arguments.first, let suite = suites[name] else {
    FileHandle.standardError.write(Data("usage: md-bench \(suites.keys.sorted().joined(separator: "|"))\n".utf8))
    exit(2)
}
do {
    try suite(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("md-bench \(name): \(error)\n".utf8))
    exit(1)
}
