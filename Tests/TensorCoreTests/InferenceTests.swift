import XCTest
import MDCore
@testable import TensorCore

final class InferenceTests: XCTestCase {
    /// One message-passing layer as the network will run it.
    private func forward(_ g: Graph<Float>, _ x: Tensor<Float>, _ w1: Tensor<Float>, _ w2: Tensor<Float>, _ src: [Int32], _ dst: [Int32]) -> Variable<Float> {
        let h = g.constant(x).matmul(g.constant(w1)).silu()
        let m = h.gather(rows: src) * h.gather(rows: dst).sigmoid()
        let atoms = m.scatterAdd(rows: dst, count: x.shape[0])
        return g.concat([atoms, h], axis: 1).matmul(g.constant(w2)).softplus().sum(axis: 1)
    }

    func testInferenceRecordsNothingAndAllocatesNothingAfterWarmUp() {
        var rng = SplitMix64(seed: 7)
        let n = 50, e = 400
        let x = Tensor<Float>.randomNormal(Shape(n, 8), using: &rng)
        let w1 = Tensor<Float>.glorotNormal(fanIn: 8, fanOut: 16, using: &rng)
        let w2 = Tensor<Float>.glorotNormal(fanIn: 32, fanOut: 4, using: &rng)
        let src = (0..<e).map { _ in Int32.random(in: 0..<Int32(n), using: &rng) }
        let dst = (0..<e).map { _ in Int32.random(in: 0..<Int32(n), using: &rng) }

        let g = Graph<Float>(recording: false)
        let first = forward(g, x, w1, w2, src, dst).value.scalars
        XCTAssertTrue(g.ops.isEmpty, "inference records no tape")
        let warm = g.arena.allocations
        XCTAssertGreaterThan(warm, 0)
        for _ in 0..<5 {
            g.reset()
            XCTAssertEqual(forward(g, x, w1, w2, src, dst).value.scalars, first)
        }
        XCTAssertEqual(g.arena.allocations, warm, "repeated passes reuse the arena's buffers")

        // A result the caller keeps is not overwritten by the next pass: its slot gets a new buffer.
        g.reset()
        let kept = forward(g, x, w1, w2, src, dst).value
        g.reset()
        _ = forward(g, x, w1, w2, src, dst)
        XCTAssertEqual(kept.scalars, first)
        XCTAssertEqual(g.arena.allocations, warm + 1)

        // The same code recording a tape gives the same numbers.
        let t = Graph<Float>()
        XCTAssertEqual(forward(t, x, w1, w2, src, dst).value.scalars, first)
        XCTAssertFalse(t.ops.isEmpty)
    }

    /// Leaves bound before anything else (parameters) survive `reset(keepingFirst:)`, on an inference
    /// tape and on a recording one (whose gradients still reach them).
    func testResetKeepsTheFirstLeaves() {
        let w = Tensor<Float>(shape: Shape(2), scalars: [3, -1])
        for recording in [false, true] {
            let g = Graph<Float>(recording: recording)
            let parameter = g.parameter(w)
            for x in [Float(2), 5] {
                g.reset(keepingFirst: 1)
                XCTAssertEqual(g.count, 1)
                let y = (parameter * g.constant(Tensor(shape: Shape(2), scalars: [x, x]))).sum()
                XCTAssertEqual(y.value.scalar, 2 * x)
                if recording { XCTAssertEqual(g.backward(y)[parameter].scalars, [x, x]) }
            }
            g.reset()
            XCTAssertEqual(g.count, 0)
        }
    }

    /// `resize` keeps unshared storage that is large enough and takes new storage otherwise, never
    /// writing into storage another tensor holds.
    func testResizeReusesStorageItOwnsAlone() {
        var t = Tensor<Float>(shape: Shape(2, 3), scalars: [1, 2, 3, 4, 5, 6])
        let base = t.unsafeData
        t.resize(to: Shape(4))
        XCTAssertEqual(t.unsafeData, base, "smaller: same storage")
        XCTAssertEqual(t.scalars, [1, 2, 3, 4])
        t.resize(to: Shape(3, 2))
        XCTAssertEqual(t.unsafeData, base, "back within capacity: same storage")
        let held = t
        t.resize(to: Shape(3, 2))
        XCTAssertNotEqual(t.unsafeData, base, "shared: new storage")
        XCTAssertEqual(held.scalars, [1, 2, 3, 4, 5, 6])
        let shared = t.unsafeData
        t.resize(to: Shape(7))
        XCTAssertNotEqual(t.unsafeData, shared, "larger: new storage")
        XCTAssertEqual(t.shape, Shape(7))
    }
}
