// Elementwise operations: functions of one argument, + − × ÷ with broadcasting, and affine maps
// with scalars; each followed by its vector-Jacobian product.

extension Variable {
    public func apply(_ fn: UnaryFunction) -> Variable {
        graph.check(self)
        let x = value
        let y = graph.output(x.shape)
        Kernels.unary(fn, x.ptr, y.ptr, x.count)
        return graph.record(y, .unary(fn, id), id)
    }
    public func exp() -> Variable { apply(.exp) }
    public func log() -> Variable { apply(.log) }
    public func sqrt() -> Variable { apply(.sqrt) }
    public func squared() -> Variable { apply(.square) }
    public func softplus() -> Variable { apply(.softplus) }
    public func silu() -> Variable { apply(.silu) }
    public func sigmoid() -> Variable { apply(.sigmoid) }
    public func tanh() -> Variable { apply(.tanh) }
    public static prefix func - (x: Variable) -> Variable { x.apply(.negate) }

    public func combine(_ fn: BinaryFunction, _ other: Variable) -> Variable {
        graph.check(self); graph.check(other)
        let a = value, b = other.value
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("\(fn.rawValue): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = graph.output(shape)
        Kernels.binary(fn, a.ptr, a.shape, b.ptr, b.shape, out.ptr, shape)
        return graph.record(out, .binary(fn, id, other.id), id, other.id)
    }
    public static func + (a: Variable, b: Variable) -> Variable { a.combine(.add, b) }
    public static func - (a: Variable, b: Variable) -> Variable { a.combine(.subtract, b) }
    public static func * (a: Variable, b: Variable) -> Variable { a.combine(.multiply, b) }
    public static func / (a: Variable, b: Variable) -> Variable { a.combine(.divide, b) }

    /// scale · x + shift.
    public func affine(scale: T, shift: T) -> Variable {
        graph.check(self)
        let x = value
        let y = graph.output(x.shape)
        Kernels.affine(x.ptr, y.ptr, x.count, scale: scale, shift: shift)
        return graph.record(y, .affine(id, scale: scale), id)
    }
    public static func * (a: Variable, s: T) -> Variable { a.affine(scale: s, shift: 0) }
    public static func * (s: T, a: Variable) -> Variable { a.affine(scale: s, shift: 0) }
    public static func / (a: Variable, s: T) -> Variable { a.affine(scale: 1 / s, shift: 0) }
    public static func + (a: Variable, s: T) -> Variable { a.affine(scale: 1, shift: s) }
    public static func - (a: Variable, s: T) -> Variable { a.affine(scale: 1, shift: -s) }
}

extension Graph {
    func unaryVJP(_ fn: UnaryFunction, x: Int, y: Int, _ g: Tensor<T>) -> Tensor<T> {
        let xv = values[x], yv = values[y]
        let gx = gradientBuffer(xv.shape)
        withExtendedLifetime(g) { Kernels.unaryBackward(fn, x: xv.ptr, y: yv.ptr, gy: g.ptr, gx: gx.ptr, xv.count) }
        return gx
    }

    /// Elementwise `fn(p, q)` of two tensors with broadcasting, into a fresh tensor.
    func combined(_ fn: BinaryFunction, _ p: Tensor<T>, _ q: Tensor<T>) -> Tensor<T> {
        let shape = Shape.broadcast(p.shape, q.shape)!
        let out = gradientBuffer(shape)
        withExtendedLifetime((p, q)) { Kernels.binary(fn, p.ptr, p.shape, q.ptr, q.shape, out.ptr, shape) }
        return out
    }

    /// The adjoint of broadcasting `shape` up to `g.shape`.
    func reduced(_ g: Tensor<T>, to shape: Shape) -> Tensor<T> {
        if g.shape == shape { return g }
        let out = gradientBuffer(shape)
        withExtendedLifetime(g) { Kernels.sumToShape(g.ptr, g.shape, out.ptr, shape) }
        return out
    }

    func binaryVJP(_ fn: BinaryFunction, _ a: Int, _ b: Int, out: Int, _ g: Tensor<T>, _ give: (Int, Tensor<T>) -> Void) {
        let av = values[a], bv = values[b]
        switch fn {
        case .add:
            give(a, reduced(g, to: av.shape))
            give(b, reduced(g, to: bv.shape))
        case .subtract:
            give(a, reduced(g, to: av.shape))
            if needsGradient[b] { give(b, affineVJP(-1, reduced(g, to: bv.shape))) }
        case .multiply:
            if needsGradient[a] { give(a, reduced(combined(.multiply, g, bv), to: av.shape)) }
            if needsGradient[b] { give(b, reduced(combined(.multiply, g, av), to: bv.shape)) }
        case .divide:
            let q = combined(.divide, g, bv)
            if needsGradient[a] { give(a, reduced(q, to: av.shape)) }
            // ∂(a/b)/∂b = −(a/b)/b, so the gradient is −Σ (g/b)·(a/b).
            if needsGradient[b] { give(b, affineVJP(-1, reduced(combined(.multiply, q, values[out]), to: bv.shape))) }
        }
    }

    func affineVJP(_ scale: T, _ g: Tensor<T>) -> Tensor<T> {
        let gx = gradientBuffer(g.shape)
        withExtendedLifetime(g) { Kernels.affine(g.ptr, gx.ptr, g.count, scale: scale, shift: 0) }
        return gx
    }
}
