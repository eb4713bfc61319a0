import XCTest
import MDCore
@testable import TensorCore

/// Every operation's VJP against central finite differences in Double, on random inputs.
final class GradientCheckTests: XCTestCase {
    typealias V = Variable<Double>

    struct Case {
        let name: String
        let inputs: [Shape]
        /// Inputs drawn from [0.5, 2] instead of [-2, 2] (log, sqrt, divisors).
        var positive: [Bool] = []
        let build: ([V]) -> V
    }

    static let index: [Int32] = [2, 0, 2, 1, 3, 2]

    static let cases: [Case] = {
        var c: [Case] = []
        for fn in UnaryFunction.allCases {
            let positive = fn == .log || fn == .sqrt
            c.append(Case(name: "unary \(fn)", inputs: [Shape(3, 4)], positive: [positive]) { $0[0].apply(fn) })
        }
        let shapePairs: [(Shape, Shape)] = [(Shape(3, 4), Shape(3, 4)), (Shape(3, 4), Shape(4)), (Shape(4), Shape(3, 4)),
                                            (Shape(3, 4), Shape(3, 1)), (Shape(2, 1, 4), Shape(3, 1)), (Shape(3, 4), Shape())]
        for fn in BinaryFunction.allCases {
            for (a, b) in shapePairs {
                c.append(Case(name: "binary \(fn) \(a) \(b)", inputs: [a, b], positive: [false, fn == .divide]) { $0[0].combine(fn, $0[1]) })
            }
        }
        c.append(Case(name: "scale and shift", inputs: [Shape(5)]) { $0[0] * 2.5 + 0.3 })
        c.append(Case(name: "divide by scalar, subtract scalar", inputs: [Shape(5)]) { 3.0 * ($0[0] / 4 - 1) })
        for ta in [false, true] {
            for tb in [false, true] {
                c.append(Case(name: "matmul ta=\(ta) tb=\(tb)", inputs: [ta ? Shape(4, 3) : Shape(3, 4), tb ? Shape(5, 4) : Shape(4, 5)]) {
                    $0[0].matmul($0[1], transposeA: ta, transposeB: tb)
                })
                c.append(Case(name: "batched matmul ta=\(ta) tb=\(tb)", inputs: [ta ? Shape(2, 4, 3) : Shape(2, 3, 4), tb ? Shape(2, 5, 4) : Shape(2, 4, 5)]) {
                    $0[0].batchedMatmul($0[1], transposeA: ta, transposeB: tb)
                })
            }
        }
        for axis in [0, 1, -1] {
            c.append(Case(name: "sum axis \(axis)", inputs: [Shape(2, 3, 4)]) { $0[0].sum(axis: axis) })
            c.append(Case(name: "mean axis \(axis) keep", inputs: [Shape(2, 3, 4)]) { $0[0].mean(axis: axis, keepingDimension: true) })
        }
        c.append(Case(name: "sum all", inputs: [Shape(3, 4)]) { $0[0].sum() })
        c.append(Case(name: "mean all", inputs: [Shape(3, 4)]) { $0[0].mean() })
        c.append(Case(name: "row norm", inputs: [Shape(4, 3)]) { $0[0].norm(epsilon: 1e-3) })
        c.append(Case(name: "huber, both branches", inputs: [Shape(5, 4)]) { $0[0].huber(delta: 0.5) })
        c.append(Case(name: "vector Huber loss", inputs: [Shape(6, 3), Shape(6, 3)]) { x in
            (x[0] - x[1]).norm(epsilon: 1e-9).huber(delta: 1).mean()
        })
        c.append(Case(name: "gather rows", inputs: [Shape(4, 3)]) { $0[0].gather(rows: index) })
        c.append(Case(name: "scatter-add rows", inputs: [Shape(6, 2, 2)]) { $0[0].scatterAdd(rows: index, count: 5) })
        c.append(Case(name: "concat axis 0", inputs: [Shape(2, 3), Shape(1, 3), Shape(3, 3)]) { $0[0].graph.concat($0, axis: 0) })
        c.append(Case(name: "concat axis 1", inputs: [Shape(2, 3), Shape(2, 1), Shape(2, 2)]) { $0[0].graph.concat($0, axis: -1) })
        c.append(Case(name: "slice", inputs: [Shape(3, 5)]) { $0[0].slice(axis: 1, start: 1, length: 3) })
        c.append(Case(name: "split", inputs: [Shape(6, 2)]) { x in
            let p = x[0].split(axis: 0, sizes: [1, 2, 3])
            return p[0].sum() + p[1].squared().sum() + p[2].tanh().sum()
        })
        c.append(Case(name: "reshape", inputs: [Shape(3, 4)]) { $0[0].reshaped(Shape(2, 6)).squared() })
        c.append(Case(name: "transpose", inputs: [Shape(3, 4)]) { $0[0].transposed() })
        c.append(Case(name: "batched transpose", inputs: [Shape(2, 3, 4)]) { $0[0].transposed() })
        c.append(Case(name: "reuse (x·x + x)", inputs: [Shape(4)]) { $0[0] * $0[0] + $0[0] })
        c.append(Case(name: "two-layer network", inputs: [Shape(5, 3), Shape(3, 4), Shape(4), Shape(4, 2)]) { v in
            (v[0].matmul(v[1]) + v[2]).silu().matmul(v[3]).softplus().mean()
        })
        c.append(Case(name: "message passing", inputs: [Shape(4, 3), Shape(3, 3)]) { v in
            let edges = v[0].gather(rows: index).matmul(v[1])
            let r = edges.norm(epsilon: 1e-6).reshaped(Shape(6, 1))
            return (edges * r.sigmoid()).scatterAdd(rows: index, count: 4)
        })
        return c
    }()

    func testEveryOperationMatchesCentralDifferences() {
        var rng = SplitMix64(seed: 42)
        for c in Self.cases {
            let inputs: [Tensor<Double>] = c.inputs.enumerated().map { i, s in
                let positive = i < c.positive.count && c.positive[i]
                return Tensor.randomUniform(s, in: positive ? 0.5...2 : -2...2, using: &rng)
            }
            // Loss = Σ w ⊙ f(inputs) with fixed random w, so every output element is tested.
            let probe = Graph<Double>(recording: false)
            let outShape = c.build(inputs.map(probe.constant)).shape
            let weights = Tensor<Double>.randomUniform(outShape, in: -1...1, using: &rng)

            func loss(_ xs: [Tensor<Double>]) -> Double {
                let g = Graph<Double>(recording: false)
                return (c.build(xs.map(g.constant)) * g.constant(weights)).sum().value.scalar
            }
            let g = Graph<Double>()
            let vars = inputs.map(g.parameter)
            let grads = g.backward((c.build(vars) * g.constant(weights)).sum())

            for (k, x) in inputs.enumerated() {
                let analytic = grads[vars[k]]
                XCTAssertEqual(analytic.shape, x.shape, "\(c.name): gradient shape of input \(k)")
                for i in 0..<x.count {
                    var plus = inputs, minus = inputs
                    let h = 1e-6
                    plus[k][flat: i] += h
                    minus[k][flat: i] -= h
                    let numeric = (loss(plus) - loss(minus)) / (2 * h)
                    let a = analytic[flat: i]
                    XCTAssertEqual(a, numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(c.name): input \(k) element \(i)")
                }
            }
        }
        XCTAssertGreaterThan(Self.cases.count, 60)
    }

    func testConstantsGetNoGradientWork() {
        let g = Graph<Double>()
        let x = g.constant(Tensor(shape: Shape(2), scalars: [1, 2]))
        let w = g.parameter(Tensor(shape: Shape(2), scalars: [3, 4]))
        let grads = g.backward((x * w).sum())
        XCTAssertEqual(grads[w].scalars, [1, 2])
        XCTAssertEqual(grads[x].scalars, [0, 0])
    }
}
