// Sums, means and per-row norms, with their vector-Jacobian products.

extension Variable {
    /// Σ over `axis` (negative counts from the end); the axis is kept with size 1 when asked.
    public func sum(axis: Int, keepingDimension: Bool = false) -> Variable { reduce(axis: axis, keep: keepingDimension, mean: false) }
    /// Mean over `axis`.
    public func mean(axis: Int, keepingDimension: Bool = false) -> Variable { reduce(axis: axis, keep: keepingDimension, mean: true) }

    private func reduce(axis: Int, keep: Bool, mean: Bool) -> Variable {
        graph.check(self)
        let x = value
        let ax = x.shape.axis(axis)
        let (outer, n, inner) = x.shape.split(at: ax)
        let scale: T = mean ? 1 / T(n) : 1
        let out = graph.output(x.shape.replacing(axis: ax, with: keep ? 1 : nil))
        Kernels.sumAxis(x.ptr, outer: outer, n: n, inner: inner, out.ptr, scale: scale)
        return graph.record(out, .sum(id, axis: ax, scale: scale), id)
    }

    /// Σ of every element (a rank-0 result).
    public func sum() -> Variable { reduceAll(mean: false) }
    /// Mean of every element (a rank-0 result).
    public func mean() -> Variable { reduceAll(mean: true) }

    private func reduceAll(mean: Bool) -> Variable {
        graph.check(self)
        let x = value
        let scale: T = mean ? 1 / T(Swift.max(x.count, 1)) : 1
        let out = graph.output(Shape())
        Kernels.sumAxis(x.ptr, outer: 1, n: x.count, inner: 1, out.ptr, scale: scale)
        return graph.record(out, .sumAll(id, scale: scale), id)
    }

    /// √(Σ x² + ε) over the last axis: [..., c] → [...]. ε > 0 keeps the gradient finite at 0.
    public func norm(epsilon: T = 0) -> Variable {
        graph.check(self)
        let x = value
        let cols = x.shape[x.rank - 1]
        let out = graph.output(x.shape.replacing(axis: x.rank - 1, with: nil))
        Kernels.rowNorm(x.ptr, rows: x.count / Swift.max(cols, 1), cols: cols, epsilon: epsilon, out.ptr)
        return graph.record(out, .norm(id), id)
    }
}

extension Graph {
    func sumVJP(_ x: Int, axis: Int, scale: T, _ g: Tensor<T>) -> Tensor<T> {
        let shape = values[x].shape
        let (outer, n, inner) = shape.split(at: axis)
        let gx = gradientBuffer(shape)
        withExtendedLifetime(g) { Kernels.expandAxis(g.ptr, outer: outer, n: n, inner: inner, gx.ptr, scale: scale) }
        return gx
    }

    func sumAllVJP(_ x: Int, scale: T, _ g: Tensor<T>) -> Tensor<T> {
        Tensor(repeating: g.scalar * scale, shape: values[x].shape)
    }

    func normVJP(_ x: Int, y: Int, _ g: Tensor<T>) -> Tensor<T> {
        let xv = values[x], yv = values[y]
        let cols = xv.shape[xv.rank - 1]
        let gx = gradientBuffer(xv.shape)
        withExtendedLifetime(g) {
            Kernels.rowNormBackward(x: xv.ptr, y: yv.ptr, gy: g.ptr, gx: gx.ptr, rows: yv.count, cols: cols)
        }
        return gx
    }
}
