import XCTest
import MDCore
@testable import TensorCore

/// Forward values of the operations against direct loops, in Float (the network's type).
final class OperationTests: XCTestCase {
    func testMatmulMatchesNaiveProductForEveryTransposeCombination() {
        var rng = SplitMix64(seed: 1)
        let m = 7, k = 5, n = 6
        for ta in [false, true] {
            for tb in [false, true] {
                let a = Tensor<Float>.randomNormal(ta ? Shape(k, m) : Shape(m, k), using: &rng)
                let b = Tensor<Float>.randomNormal(tb ? Shape(n, k) : Shape(k, n), using: &rng)
                let g = Graph<Float>(recording: false)
                let c = g.constant(a).matmul(g.constant(b), transposeA: ta, transposeB: tb).value
                XCTAssertEqual(c.shape, Shape(m, n))
                for i in 0..<m {
                    for j in 0..<n {
                        var s: Float = 0
                        for p in 0..<k { s += (ta ? a[flat: p * m + i] : a[flat: i * k + p]) * (tb ? b[flat: j * k + p] : b[flat: p * n + j]) }
                        XCTAssertEqual(c[flat: i * n + j], s, accuracy: 1e-5)
                    }
                }
            }
        }
    }

    func testGatherAndScatterAddOverEdges() {
        let g = Graph<Float>(recording: false)
        let atoms = g.constant(Tensor(shape: Shape(3, 2), scalars: [1, 2, 3, 4, 5, 6]))
        let edges = atoms.gather(rows: [2, 0, 2])
        XCTAssertEqual(edges.value.scalars, [5, 6, 1, 2, 5, 6])
        XCTAssertEqual(edges.scatterAdd(rows: [0, 1, 0], count: 3).value.scalars, [10, 12, 1, 2, 0, 0])
    }

    func testBroadcastingConcatSliceTransposeReductions() {
        let g = Graph<Float>(recording: false)
        let x = g.constant(Tensor(shape: Shape(2, 3), scalars: [1, 2, 3, 4, 5, 6]))
        let bias = g.constant(Tensor(shape: Shape(3), scalars: [10, 20, 30]))
        let column = g.constant(Tensor(shape: Shape(2, 1), scalars: [1, -1]))
        XCTAssertEqual((x + bias).value.scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((x * column).value.scalars, [1, 2, 3, -4, -5, -6])
        XCTAssertEqual(g.concat([x, x.slice(axis: 1, start: 1, length: 1)], axis: 1).value.scalars, [1, 2, 3, 2, 4, 5, 6, 5])
        XCTAssertEqual(x.transposed().value.scalars, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(x.sum(axis: 0).value.scalars, [5, 7, 9])
        XCTAssertEqual(x.mean(axis: 1, keepingDimension: true).value.shape, Shape(2, 1))
        XCTAssertEqual(x.mean(axis: 1).value.scalars, [2, 5])
        XCTAssertEqual(x.sum().value.scalar, 21)
        XCTAssertEqual(g.constant(Tensor(shape: Shape(1, 2), scalars: [3, 4])).norm().value.scalars, [5])
    }

    func testNonlinearitiesAreStableAtLargeArguments() {
        let g = Graph<Float>(recording: false)
        let x = g.constant(Tensor(shape: Shape(4), scalars: [-100, -1, 0, 100]))
        let sp = x.softplus().value.scalars, s = x.sigmoid().value.scalars, silu = x.silu().value.scalars
        XCTAssertEqual(sp[0], 0, accuracy: 1e-30); XCTAssertEqual(sp[3], 100); XCTAssertEqual(sp[2], Float(M_LN2), accuracy: 1e-7)
        XCTAssertEqual(s[0], 0, accuracy: 1e-37); XCTAssertEqual(s[1], 1 / (1 + Float(M_E)), accuracy: 1e-7)
        XCTAssertEqual(s[2], 0.5); XCTAssertEqual(s[3], 1)
        XCTAssertEqual(silu[3], 100); XCTAssertEqual(silu[0], 0, accuracy: 1e-30)
        XCTAssertTrue((sp + s + silu).allSatisfy(\.isFinite))
    }

    func testFloatKernelsAreSpecialised() {
        // A generic call landing in unspecialised code is ~10x slower; 4M silu evaluations in Float
        // take ~10 ms specialised. A loose bound catches a regression to witness-table arithmetic.
        let g = Graph<Float>(recording: false)
        let x = g.constant(Tensor(repeating: 0.5, shape: Shape(1 << 22)))
        let start = Date()
        _ = x.silu()
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.2)
    }
}
