// The seam for operations defined outside TensorCore: a model's fused kernels (an equivariant
// convolution, say) record themselves on the tape with their own vector-Jacobian product.

/// A fused operation of several inputs and one output, with its vector-Jacobian product.
/// Implementations keep whatever constant data they need (index lists, geometry) themselves.
public protocol TapeOperation<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// The gradient of each input given the output's gradient `gradient`; nil where `needs[i]` is
    /// false (no gradient flows there). Returned tensors must have their input's element count.
    func vjp(inputs: [Tensor<Scalar>], output: Tensor<Scalar>, gradient: Tensor<Scalar>, needs: [Bool]) -> [Tensor<Scalar>?]
}

extension Graph {
    /// An output buffer from the arena (contents undefined): what a fused forward kernel writes.
    public func makeOutput(_ shape: Shape) -> Tensor<T> { output(shape) }

    /// Scratch from the arena (contents undefined) for a fused kernel's workers: not recorded, so the
    /// same call of the next pass after `reset()` gets the same buffer back and allocates nothing.
    public func makeScratch(_ count: Int) -> Tensor<T> { output(Shape(count)) }

    /// Records `output`, computed by `operation` from `inputs`, on the tape.
    public func record(_ operation: any TapeOperation<T>, inputs: [Variable<T>], output: Tensor<T>) -> Variable<T> {
        for v in inputs { check(v) }
        return record(output, .custom(operation, inputs.map(\.id)), inputList: inputs.map(\.id))
    }

    func customVJP(_ operation: any TapeOperation<T>, _ inputs: [Int], out: Int, _ g: Tensor<T>, _ give: (Int, Tensor<T>) -> Void) {
        let grads = operation.vjp(inputs: inputs.map { values[$0] }, output: values[out], gradient: g,
                                  needs: inputs.map { needsGradient[$0] })
        precondition(grads.count == inputs.count, "TapeOperation \(type(of: operation)): \(grads.count) gradients for \(inputs.count) inputs")
        for (i, gi) in zip(inputs, grads) where needsGradient[i] {
            if let gi { give(i, gi) }
        }
    }
}

extension Tensor {
    /// The storage pointer, without copy-on-write: for fused kernels writing an output they were
    /// just given (`Graph.makeOutput`, a fresh gradient) or reading inputs the graph keeps alive.
    public var unsafeData: UnsafeMutablePointer<T> { storage.pointer }

    /// The first `rows` rows (axis 0), sharing storage: a row-major prefix is contiguous.
    public func prefix(rows: Int) -> Tensor {
        precondition(rank >= 1 && rows >= 0 && rows <= shape[0], "Tensor.prefix: \(rows) rows of \(shape)")
        var s = shape
        s[0] = rows
        return Tensor(shape: s, storage: storage)
    }
}
