import XCTest
import MDCore
@testable import TensorCore

/// The two-core gather and scatter-add paths against a plain loop, on sizes above the threshold.
final class IndexKernelTests: XCTestCase {
    func testParallelGatherAndScatterAddMatchAPlainLoop() {
        var rng = SplitMix64(seed: 11)
        let atoms = 3000, perAtom = 30, width = 16
        // Grouped targets (edges by centre atom) take the split path; shuffled ones the single thread.
        let grouped = (0..<atoms).flatMap { a in Array(repeating: Int32(a), count: perAtom) }
        let shuffled = grouped.shuffled(using: &rng)
        let source = (0..<(atoms * width)).map { _ in Float.random(in: -1...1, using: &rng) }
        let edgeValues = (0..<(grouped.count * width)).map { _ in Float.random(in: -1...1, using: &rng) }
        XCTAssertGreaterThan(grouped.count * width, Kernels.parallelThreshold)
        for index in [grouped, shuffled] {
            var gathered = [Float](repeating: 0, count: index.count * width)
            source.withUnsafeBufferPointer { x in
                index.withUnsafeBufferPointer { i in
                    gathered.withUnsafeMutableBufferPointer { Kernels.gatherRows(x.baseAddress!, rows: atoms, width: width, i, $0.baseAddress!) }
                }
            }
            for e in stride(from: 0, to: index.count, by: 97) {
                for c in 0..<width { XCTAssertEqual(gathered[e * width + c], source[Int(index[e]) * width + c]) }
            }
            var summed = [Float](repeating: 7, count: atoms * width)
            edgeValues.withUnsafeBufferPointer { x in
                index.withUnsafeBufferPointer { i in
                    summed.withUnsafeMutableBufferPointer {
                        Kernels.scatterAddRows(x.baseAddress!, width: width, i, $0.baseAddress!, rows: atoms, zero: true)
                    }
                }
            }
            var expected = [Float](repeating: 0, count: atoms * width)
            for e in 0..<index.count { for c in 0..<width { expected[Int(index[e]) * width + c] += edgeValues[e * width + c] } }
            for k in 0..<expected.count { XCTAssertEqual(summed[k], expected[k], accuracy: 1e-4) }
        }
    }
}
