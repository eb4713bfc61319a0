/// Gradients from `Graph.backward`, looked up by variable.
public struct Gradients<T: TensorScalar> {
    let graph: Graph<T>
    let storage: [Tensor<T>?]

    /// ∂loss/∂v; zeros when the loss does not depend on `v`.
    public subscript(_ v: Variable<T>) -> Tensor<T> {
        precondition(v.graph === graph, "Gradients: variable from another graph")
        return storage[v.id] ?? Tensor(zeros: v.shape)
    }
}

extension Graph {
    /// Reverse-mode differentiation of `output` (a one-element loss unless `seed`, the output's
    /// cotangent, is given): each recorded node's VJP runs once, in reverse order, and gradients
    /// reaching a value along several paths are summed.
    public func backward(_ output: Variable<T>, seed: Tensor<T>? = nil) -> Gradients<T> {
        precondition(isRecording, "Graph.backward: this graph does not record (inference mode)")
        check(output)
        let start = seed ?? Tensor(repeating: 1, shape: output.shape)
        precondition(start.shape.count == output.shape.count, "Graph.backward: seed \(start.shape) for output \(output.shape)")
        var grads = [Tensor<T>?](repeating: nil, count: values.count)
        grads[output.id] = start.reshaped(output.shape)
        for id in stride(from: output.id, through: 0, by: -1) {
            guard needsGradient[id], let g = grads[id] else { continue }
            if case .leaf = ops[id] { continue }
            vjp(id, g) { input, contribution in
                guard needsGradient[input] else { return }
                precondition(contribution.shape.count == values[input].count, "VJP of node \(id) gave \(contribution.shape) for \(values[input].shape)")
                if var existing = grads[input] {
                    grads[input] = nil  // keep `existing` the only reference: accumulate in place
                    existing.withUnsafeMutableBufferPointer { e in
                        withExtendedLifetime(contribution) { Kernels.accumulate(contribution.ptr, into: e.baseAddress!, e.count) }
                    }
                    grads[input] = existing
                } else {
                    grads[input] = contribution.reshaped(values[input].shape)
                }
            }
            if id != output.id { grads[id] = nil }  // free intermediate gradients as we go
        }
        // Keep only leaves' gradients (and the output's seed) for lookup.
        return Gradients(graph: self, storage: grads)
    }
}
