// Index and layout operations: gather rows (atoms → edges), scatter-add rows (edges → atoms),
// concatenation and slicing along an axis, reshape and transpose; with their vector-Jacobian products.

extension Variable {
    /// Rows of `self` (axis 0) picked by `index`: [N, ...] → [index.count, ...].
    public func gather(rows index: [Int32]) -> Variable {
        graph.check(self)
        let x = value
        precondition(x.rank >= 1, "gather: needs rank ≥ 1")
        var shape = x.shape
        shape[0] = index.count
        let out = graph.output(shape)
        let rows = x.shape[0]
        index.withUnsafeBufferPointer { Kernels.gatherRows(x.ptr, rows: rows, width: rows == 0 ? 0 : x.count / rows, $0, out.ptr) }
        return graph.record(out, .gather(id, index), id)
    }

    /// Row e of `self` added into row index[e] of a zero [count, ...] tensor.
    public func scatterAdd(rows index: [Int32], count: Int) -> Variable {
        graph.check(self)
        let x = value
        precondition(x.rank >= 1 && x.shape[0] == index.count, "scatterAdd: \(index.count) indices for shape \(x.shape)")
        var shape = x.shape
        shape[0] = count
        let out = graph.output(shape)
        let width = index.isEmpty ? shape.count / Swift.max(count, 1) : x.count / index.count
        index.withUnsafeBufferPointer { Kernels.scatterAddRows(x.ptr, width: width, $0, out.ptr, rows: count, zero: true) }
        return graph.record(out, .scatterAdd(id, index), id)
    }

    /// Elements `start..<start+length` along `axis`.
    public func slice(axis: Int, start: Int, length: Int) -> Variable {
        graph.check(self)
        let x = value
        let ax = x.shape.axis(axis)
        let (outer, n, inner) = x.shape.split(at: ax)
        precondition(start >= 0 && length >= 0 && start + length <= n, "slice: \(start)..<\(start + length) outside 0..<\(n)")
        let out = graph.output(x.shape.replacing(axis: ax, with: length))
        Kernels.copyBlock(out.ptr, outer: outer, n: length, inner: inner, x.ptr, total: n, offset: start, reverse: true)
        return graph.record(out, .slice(id, axis: ax, start: start), id)
    }

    /// Consecutive slices of the given sizes along `axis`.
    public func split(axis: Int, sizes: [Int]) -> [Variable] {
        var start = 0
        return sizes.map { n in defer { start += n }; return slice(axis: axis, start: start, length: n) }
    }

    /// The same elements under another shape.
    public func reshaped(_ shape: Shape) -> Variable {
        graph.check(self)
        return graph.record(value.reshaped(shape), .reshape(id), id)
    }

    /// Swaps the last two axes (of a matrix or a batch of matrices).
    public func transposed() -> Variable {
        graph.check(self)
        let x = value
        precondition(x.rank == 2 || x.rank == 3, "transposed: needs rank 2 or 3, got \(x.shape)")
        let r = x.rank
        var shape = x.shape
        shape[r - 2] = x.shape[r - 1]; shape[r - 1] = x.shape[r - 2]
        let out = graph.output(shape)
        Kernels.transpose(x.ptr, batch: r == 3 ? x.shape[0] : 1, rows: x.shape[r - 2], cols: x.shape[r - 1], out.ptr)
        return graph.record(out, .transpose(id), id)
    }
}

extension Graph {
    /// Concatenation along `axis`; the other dimensions must agree.
    public func concat(_ parts: [Variable<T>], axis: Int) -> Variable<T> {
        precondition(!parts.isEmpty, "concat: no tensors")
        for p in parts { check(p) }
        let first = parts[0].shape
        let ax = first.axis(axis)
        var total = 0
        for p in parts {
            precondition(p.shape.rank == first.rank && p.shape.replacing(axis: ax, with: 1) == first.replacing(axis: ax, with: 1),
                         "concat: shape \(p.shape) does not match \(first) off axis \(ax)")
            total += p.shape[ax]
        }
        let out = output(first.replacing(axis: ax, with: total))
        var offset = 0
        for p in parts {
            let (outer, n, inner) = p.shape.split(at: ax)
            Kernels.copyBlock(values[p.id].ptr, outer: outer, n: n, inner: inner, out.ptr, total: total, offset: offset, reverse: false)
            offset += n
        }
        return record(out, .concat(parts.map(\.id), axis: ax), inputList: parts.map(\.id))
    }

    func gatherVJP(_ x: Int, _ index: [Int32], _ g: Tensor<T>) -> Tensor<T> {
        let shape = values[x].shape
        let gx = gradientBuffer(shape)
        let width = shape[0] == 0 ? 0 : shape.count / shape[0]
        withExtendedLifetime(g) {
            index.withUnsafeBufferPointer { Kernels.scatterAddRows(g.ptr, width: width, $0, gx.ptr, rows: shape[0], zero: true) }
        }
        return gx
    }

    func scatterAddVJP(_ x: Int, _ index: [Int32], _ g: Tensor<T>) -> Tensor<T> {
        let shape = values[x].shape
        let gx = gradientBuffer(shape)
        let rows = g.shape[0]
        withExtendedLifetime(g) {
            index.withUnsafeBufferPointer { Kernels.gatherRows(g.ptr, rows: rows, width: rows == 0 ? 0 : g.count / rows, $0, gx.ptr) }
        }
        return gx
    }

    func concatVJP(_ parts: [Int], axis: Int, _ g: Tensor<T>, _ give: (Int, Tensor<T>) -> Void) {
        let total = g.shape[axis]
        var offset = 0
        for p in parts {
            let shape = values[p].shape
            let (outer, n, inner) = shape.split(at: axis)
            if needsGradient[p] {
                let gp = gradientBuffer(shape)
                withExtendedLifetime(g) { Kernels.copyBlock(gp.ptr, outer: outer, n: n, inner: inner, g.ptr, total: total, offset: offset, reverse: true) }
                give(p, gp)
            }
            offset += n
        }
    }

    func sliceVJP(_ x: Int, axis: Int, start: Int, _ g: Tensor<T>) -> Tensor<T> {
        let shape = values[x].shape
        let (outer, n, inner) = shape.split(at: axis)
        let gx = Tensor<T>(zeros: shape)
        withExtendedLifetime(g) {
            Kernels.copyBlock(g.ptr, outer: outer, n: g.shape[axis], inner: inner, gx.ptr, total: n, offset: start, reverse: false)
        }
        return gx
    }

    func transposeVJP(_ g: Tensor<T>) -> Tensor<T> {
        let r = g.rank
        var shape = g.shape
        shape[r - 2] = g.shape[r - 1]; shape[r - 1] = g.shape[r - 2]
        let gx = gradientBuffer(shape)
        withExtendedLifetime(g) { Kernels.transpose(g.ptr, batch: r == 3 ? g.shape[0] : 1, rows: g.shape[r - 2], cols: g.shape[r - 1], gx.ptr) }
        return gx
    }
}
