extension Graph {
    /// A tape node: the operation and the ids of its inputs. Each case's vector-Jacobian product
    /// lives beside its forward code (`Graph+Elementwise.swift` and friends).
    enum Op {
        case leaf
        case unary(UnaryFunction, Int)
        case binary(BinaryFunction, Int, Int)
        case affine(Int, scale: T)
        case matmul(Int, Int, transposeA: Bool, transposeB: Bool)
        case batchedMatmul(Int, Int, transposeA: Bool, transposeB: Bool)
        case sum(Int, axis: Int, scale: T)
        case sumAll(Int, scale: T)
        case norm(Int)
        case huber(Int, delta: T)
        case gather(Int, [Int32])
        case scatterAdd(Int, [Int32])
        case concat([Int], axis: Int)
        case slice(Int, axis: Int, start: Int)
        case reshape(Int)
        case transpose(Int)
        case custom(any TapeOperation<T>, [Int])
    }

    /// A fresh (non-arena) tensor for gradients, which outlive the pass.
    func gradientBuffer(_ shape: Shape) -> Tensor<T> { Tensor(shape: shape, storage: TensorStorage(capacity: shape.count)) }

    /// Calls `give(input, gradient)` for every input of node `id` given the gradient `g` of its output.
    func vjp(_ id: Int, _ g: Tensor<T>, _ give: (Int, Tensor<T>) -> Void) {
        switch ops[id] {
        case .leaf: break
        case let .unary(fn, x): give(x, unaryVJP(fn, x: x, y: id, g))
        case let .binary(fn, a, b): binaryVJP(fn, a, b, out: id, g, give)
        case let .affine(x, scale): give(x, affineVJP(scale, g))
        case let .matmul(a, b, ta, tb): matmulVJP(a, b, ta, tb, g, give)
        case let .batchedMatmul(a, b, ta, tb): batchedMatmulVJP(a, b, ta, tb, g, give)
        case let .sum(x, axis, scale): give(x, sumVJP(x, axis: axis, scale: scale, g))
        case let .sumAll(x, scale): give(x, sumAllVJP(x, scale: scale, g))
        case let .norm(x): give(x, normVJP(x, y: id, g))
        case let .huber(x, delta): give(x, huberVJP(x, delta: delta, g))
        case let .gather(x, index): give(x, gatherVJP(x, index, g))
        case let .scatterAdd(x, index): give(x, scatterAddVJP(x, index, g))
        case let .concat(parts, axis): concatVJP(parts, axis: axis, g, give)
        case let .slice(x, axis, start): give(x, sliceVJP(x, axis: axis, start: start, g))
        case let .reshape(x): give(x, g.reshaped(values[x].shape))
        case let .transpose(x): give(x, transposeVJP(g))
        case let .custom(op, inputs): customVJP(op, inputs, out: id, g, give)
        }
    }
}
