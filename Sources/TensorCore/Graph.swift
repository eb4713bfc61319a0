/// A computation over tensors recorded on a tape for reverse-mode differentiation.
///
/// Operations on `Variable`s run eagerly and, when `isRecording`, append a node naming the
/// operation and its inputs; `backward(_:)` walks the tape in reverse and applies each operation's
/// vector-Jacobian product (written beside the operation in the `Graph+…` files). Outputs come
/// from a `BufferArena`: call `reset()` between passes and a repeated pass allocates nothing.
/// With `isRecording == false` (inference) nothing is recorded at all.
public final class Graph<T: TensorScalar> {
    public let isRecording: Bool
    var values: [Tensor<T>] = []
    var ops: [Op] = []
    var needsGradient: [Bool] = []
    public let arena = BufferArena<T>()

    public init(recording: Bool = true) { isRecording = recording }

    /// Forgets every value and node but the first `kept` (keeping capacity) and rewinds the arena.
    /// Variables and values from before are invalid afterwards, except those first ones: leaves made
    /// before anything else, such as parameters bound once for many inference passes.
    public func reset(keepingFirst kept: Int = 0) {
        precondition(kept >= 0 && kept <= values.count, "Graph.reset: keeping \(kept) of \(values.count) values")
        values.removeLast(values.count - kept)
        if isRecording {
            ops.removeLast(ops.count - kept)
            needsGradient.removeLast(needsGradient.count - kept)
        }
        arena.rewind()
    }

    /// Number of values in the graph.
    public var count: Int { values.count }

    /// A trainable leaf: `backward` returns its gradient.
    public func parameter(_ t: Tensor<T>) -> Variable<T> { leaf(t, trainable: true) }
    /// A constant leaf (inputs, targets): no gradient flows to it.
    public func constant(_ t: Tensor<T>) -> Variable<T> { leaf(t, trainable: false) }

    private func leaf(_ t: Tensor<T>, trainable: Bool) -> Variable<T> {
        values.append(t)
        if isRecording { ops.append(.leaf); needsGradient.append(trainable) }
        return Variable(graph: self, id: values.count - 1)
    }

    /// An output tensor of `shape` backed by the arena (contents undefined).
    func output(_ shape: Shape) -> Tensor<T> { Tensor(shape: shape, storage: arena.take(shape.count)) }

    /// Appends a computed value and, when recording, its node.
    /// (One or two inputs as plain integers: no variadic array on the inference path.)
    func record(_ value: Tensor<T>, _ op: @autoclosure () -> Op, _ a: Int, _ b: Int = -1) -> Variable<T> {
        values.append(value)
        if isRecording {
            ops.append(op())
            needsGradient.append(needsGradient[a] || (b >= 0 && needsGradient[b]))
        }
        return Variable(graph: self, id: values.count - 1)
    }

    /// (Any number of inputs, built only when recording.)
    func record(_ value: Tensor<T>, _ op: @autoclosure () -> Op, inputList: @autoclosure () -> [Int]) -> Variable<T> {
        values.append(value)
        if isRecording {
            ops.append(op())
            needsGradient.append(inputList().contains { needsGradient[$0] })
        }
        return Variable(graph: self, id: values.count - 1)
    }

    func check(_ v: Variable<T>) {
        precondition(v.graph === self && v.id < values.count, "Graph: variable from another graph or from before reset()")
    }
}

/// A value in a `Graph`: the handle operations take and return.
public struct Variable<T: TensorScalar> {
    public let graph: Graph<T>
    public let id: Int
    public var value: Tensor<T> { graph.values[id] }
    public var shape: Shape { graph.values[id].shape }
}
