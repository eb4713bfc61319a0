import COpenBLAS
import Foundation
import TensorCore

/// TensorCore kernels against their limits: matrix products through a Graph (inference mode, arena
/// warm) against raw cblas_sgemm on the same shapes, and gather/scatter-add of feature rows by edge
/// index against a STREAM-like copy. Bandwidths count bytes read plus bytes written, as STREAM does.
enum TensorBenchmark {
    static func run(_ arguments: [String]) throws {
        print("threads: OpenBLAS \(openblas_get_num_threads())")
        print()
        printRow(["product", "shape", "TensorCore GFLOP/s", "cblas_sgemm GFLOP/s", "ratio"])
        printRow(Array(repeating: "---", count: 5))
        // (batch, m, k, n, transposeA): per-edge features times weights, radial MLP layers over all
        // edges, per-edge batched products, and a weight gradient (Aᵀ·G over 4096 rows).
        let shapes: [(Int, Int, Int, Int, Bool, String)] = [
            (1, 4096, 64, 64, false, "4096×64 · 64×64"),
            (1, 200_000, 16, 24, false, "200000×16 · 16×24"),
            (1, 200_000, 24, 24, false, "200000×24 · 24×24"),
            (50, 24, 24, 24, false, "50 × (24×24 · 24×24)"),
            (1, 64, 4096, 64, true, "(4096×64)ᵀ · 4096×64"),
        ]
        var rng = SystemRandomNumberGenerator()
        for (batch, m, k, n, ta, label) in shapes {
            let a = Tensor<Float>.randomUniform(batch == 1 ? (ta ? Shape(k, m) : Shape(m, k)) : Shape(batch, m, k), in: -1...1, using: &rng)
            let b = Tensor<Float>.randomUniform(batch == 1 ? Shape(k, n) : Shape(batch, k, n), in: -1...1, using: &rng)
            let flops = 2.0 * Double(batch * m * n * k)
            let repeats = flops < 1e8 ? 200 : 20
            let g = Graph<Float>(recording: false)
            var c = [Float](repeating: 0, count: batch * m * n)
            // Alternate the two so background load hits both alike; keep the best of each.
            var tc = Double.infinity, raw = Double.infinity
            for _ in 0..<7 {
                tc = min(tc, bestTime(repeats: 1) {
                    for _ in 0..<repeats {
                        g.reset()
                        let x = g.constant(a), y = g.constant(b)
                        _ = batch == 1 ? x.matmul(y, transposeA: ta) : x.batchedMatmul(y)
                    }
                } / Double(repeats))
                raw = min(raw, a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            bestTime(repeats: 1) {
                                for _ in 0..<repeats {
                                    for i in 0..<batch {
                                        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                                                    ap.baseAddress! + i * m * k, Int32(ta ? m : k), bp.baseAddress! + i * k * n, Int32(n), 0,
                                                    cp.baseAddress! + i * m * n, Int32(n))
                                    }
                                }
                            }
                        }
                    }
                } / Double(repeats))
            }
            printRow([label, "\(batch)×\(m)×\(k)×\(n)", String(format: "%.1f", flops / tc / 1e9), String(format: "%.1f", flops / raw / 1e9),
                      String(format: "%.0f%%", 100 * raw / tc)])
        }

        print()
        let copyBytes = 256 << 20
        let src = UnsafeMutableRawPointer.allocate(byteCount: copyBytes, alignment: 64)
        let dst = UnsafeMutableRawPointer.allocate(byteCount: copyBytes, alignment: 64)
        defer { src.deallocate(); dst.deallocate() }
        memset(src, 1, copyBytes); memset(dst, 2, copyBytes)
        let copy = bestTime(repeats: 5) { memcpy(dst, src, copyBytes) }
        let copyRate = 2.0 * Double(copyBytes) / copy / 1e9
        print("memory bandwidth, memcpy of 256 MiB (read + write): \(String(format: "%.1f", copyRate)) GB/s")
        print()
        printRow(["operation", "atoms × neighbours × width (Float)", "GB/s", "of memcpy"])
        printRow(Array(repeating: "---", count: 4))
        for (atoms, neighbours, width) in [(8000, 50, 16), (8000, 50, 64), (30000, 50, 16)] {
            let edges = atoms * neighbours
            let x = Tensor<Float>.randomUniform(Shape(atoms, width), in: -1...1, using: &rng)
            let y = Tensor<Float>.randomUniform(Shape(edges, width), in: -1...1, using: &rng)
            // Neighbour lists: edges grouped by centre atom, neighbours nearby in index as in a
            // spatially sorted system.
            let centre = (0..<edges).map { Int32($0 / neighbours) }
            let neighbour = (0..<edges).map { e in Int32((e / neighbours + Int.random(in: -300...300, using: &rng) + atoms) % atoms) }
            let rowBytes = Double(width * 4)
            let g = Graph<Float>(recording: false)
            let gather = bestTime(repeats: 7) { g.reset(); _ = g.constant(x).gather(rows: neighbour) }
            // Gather: read a row, write a row, read an index per edge.
            let gatherBytes = Double(edges) * (2 * rowBytes + 4)
            let scatter = bestTime(repeats: 7) { g.reset(); _ = g.constant(y).scatterAdd(rows: centre, count: atoms) }
            // Scatter-add: read an edge row and an index, read-modify-write an atom row (cache-resident).
            let scatterBytes = Double(edges) * (rowBytes + 4) + Double(atoms) * rowBytes
            let label = "\(atoms) × \(neighbours) × \(width)"
            printRow(["gather rows", label, String(format: "%.1f", gatherBytes / gather / 1e9), String(format: "%.0f%%", 100 * gatherBytes / gather / 1e9 / copyRate)])
            printRow(["scatter-add rows", label, String(format: "%.1f", scatterBytes / scatter / 1e9), String(format: "%.0f%%", 100 * scatterBytes / scatter / 1e9 / copyRate)])
        }
    }
}
