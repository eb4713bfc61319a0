import AmberIO
import ClassicalFF
import Foundation
import MDCore

/// Classical force evaluations per second at md's defaults (PME 9 Å), positions jittered each call
/// so neighbour-list reuse is exercised as in MD. Compare with Benchmarks/openmm_forces.py.
enum ForceBenchmark {
    static func run(_ arguments: [String]) throws {
        let systems = arguments.isEmpty ? ["ala2-water", "bench-30k"] : arguments
        let tolerance = ProcessInfo.processInfo.environment["MD_PME_TOLERANCE"].flatMap(Double.init) ?? 2e-4
        printRow(["system", "atoms", "PME grid", "evaluations/s", "ms/evaluation", "pairs in list", "list builds"])
        printRow(Array(repeating: "---", count: 7))
        for name in systems {
            let prmtop = try Prmtop(contentsOf: "systems/\(name)/\(name).prmtop")
            let frame = try Rst7.read("systems/\(name)/\(name).rst7").frame
            let ff = try ClassicalForceField(prmtop: prmtop, options: ClassicalOptions(nonbonded: .pme(cutoff: 9, tolerance: tolerance)))
            var x = frame.positions
            var forces = [Double](repeating: 0, count: x.count)
            // A seeded generator: the system one makes a syscall per number, which would dominate the timing.
            var rng = SplitMix64(seed: 1)
            func evaluate() throws {
                // ~0.01 Å per call, as a 2 fs step moves atoms.
                for k in 0..<x.count { x[k] += Double.random(in: -0.01...0.01, using: &rng) }
                _ = try x.withUnsafeBufferPointer { p in
                    try forces.withUnsafeMutableBufferPointer { f in try ff.compute(positions: p, box: frame.box, forces: f) }
                }
            }
            try evaluate()
            let count = prmtop.atomCount > 10_000 ? 20 : 200
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<count { try evaluate() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let grid = ff.pmeParameters!.gridSize
            printRow([name, "\(prmtop.atomCount)", "\(grid.x)×\(grid.y)×\(grid.z)", String(format: "%.1f", Double(count) / seconds),
                      String(format: "%.2f", seconds / Double(count) * 1e3), "\(ff.neighborPairCount)", "\(ff.neighborListBuilds)"])
        }
    }
}

