import MDCore

/// Raw-pointer loops behind the tensor operations. Generic over the scalar but pre-specialised for
/// Float and Double (`@_specialize`), so a generic call from any module lands in concrete code
/// instead of unspecialised arithmetic through witness tables.
enum Kernels {}

/// Elementwise functions of one argument, each with its derivative in `Kernels.unaryBackward`.
public enum UnaryFunction: String, CaseIterable, Sendable {
    case exp, log, sqrt, square, softplus, silu, sigmoid, tanh, negate
}

/// Elementwise functions of two arguments (NumPy broadcasting).
public enum BinaryFunction: String, CaseIterable, Sendable {
    case add, subtract, multiply, divide
}

extension Kernels {
    @inline(__always) static func softplus<T: TensorScalar>(_ x: T) -> T {
        max(x, 0) + T.log1p(T.exp(-abs(x)))
    }

    @inline(__always)
    static func map<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) {
        for i in 0..<n { y[i] = f(x[i]) }
    }

    @_specialize(where T == Float) @_specialize(where T == Double)
    static func unary<T: TensorScalar>(_ fn: UnaryFunction, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
        if T.self == Float.self, fn == .silu || fn == .sigmoid {
            // The radial MLPs' activations: eight lanes at a time with a polynomial exp.
            let xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), yf = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
            vectorSigmoid(xf, yf, n, timesInput: fn == .silu)
            return
        }
        switch fn {
        case .exp: map(x, y, n) { T.exp($0) }
        case .log: map(x, y, n) { T.log($0) }
        case .sqrt: map(x, y, n) { $0.squareRoot() }
        case .square: map(x, y, n) { $0 * $0 }
        case .softplus: map(x, y, n) { softplus($0) }
        case .silu: map(x, y, n) { $0 * T.sigmoid($0) }
        case .sigmoid: map(x, y, n) { T.sigmoid($0) }
        case .tanh: map(x, y, n) { T.tanh($0) }
        case .negate: map(x, y, n) { -$0 }
        }
    }

    /// y = σ(x), or x·σ(x) when `timesInput`, in Float SIMD.
    static func vectorSigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, timesInput: Bool) {
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            let s = V(repeating: 1) / (V(repeating: 1) + VectorMath.exp(-v))
            UnsafeMutableRawPointer(y + i).storeBytes(of: timesInput ? v * s : s, as: V.self)
            i += 8
        }
        while i < n { let s = Float.sigmoid(x[i]); y[i] = timesInput ? x[i] * s : s; i += 1 }
    }

    /// gx = gy · f′(x), given x, y = f(x) and gy.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func unaryBackward<T: TensorScalar>(_ fn: UnaryFunction, x: UnsafePointer<T>, y: UnsafePointer<T>, gy: UnsafePointer<T>,
                                                gx: UnsafeMutablePointer<T>, _ n: Int) {
        switch fn {
        case .exp: for i in 0..<n { gx[i] = gy[i] * y[i] }
        case .log: for i in 0..<n { gx[i] = gy[i] / x[i] }
        case .sqrt: for i in 0..<n { gx[i] = gy[i] * 0.5 / y[i] }
        case .square: for i in 0..<n { gx[i] = gy[i] * 2 * x[i] }
        case .softplus: for i in 0..<n { gx[i] = gy[i] * T.sigmoid(x[i]) }
        case .silu:
            if T.self == Float.self {
                let f = { (p: UnsafePointer<T>) in UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
                vectorSiLUBackward(f(x), f(gy), UnsafeMutableRawPointer(gx).assumingMemoryBound(to: Float.self), n)
                return
            }
            for i in 0..<n {
                let s = T.sigmoid(x[i])
                gx[i] = gy[i] * s * (1 + x[i] * (1 - s))
            }
        case .sigmoid: for i in 0..<n { gx[i] = gy[i] * y[i] * (1 - y[i]) }
        case .tanh: for i in 0..<n { gx[i] = gy[i] * (1 - y[i] * y[i]) }
        case .negate: for i in 0..<n { gx[i] = -gy[i] }
        }
    }

    /// y = scale·x + shift.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func affine<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, scale: T, shift: T) {
        for i in 0..<n { y[i] = scale * x[i] + shift }
    }

    /// y += x.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func accumulate<T: TensorScalar>(_ x: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, _ n: Int) {
        for i in 0..<n { y[i] += x[i] }
    }

    @inline(__always)
    static func broadcastLoop<T: TensorScalar>(_ a: UnsafePointer<T>, _ aShape: Shape, _ b: UnsafePointer<T>, _ bShape: Shape,
                                               _ out: UnsafeMutablePointer<T>, _ outShape: Shape, _ f: (T, T) -> T) {
        let n = outShape.count
        if aShape == bShape {
            for i in 0..<n { out[i] = f(a[i], b[i]) }
            return
        }
        let bCount = bShape.count, aCount = aShape.count
        if aCount == n, bCount > 0, isSuffix(bShape, of: outShape) {
            // Row broadcast (a bias added to every row): b repeats along the leading axes.
            var base = 0
            while base < n {
                for j in 0..<bCount { out[base + j] = f(a[base + j], b[j]) }
                base += bCount
            }
            return
        }
        if bCount == n, aCount > 0, isSuffix(aShape, of: outShape) {
            var base = 0
            while base < n {
                for j in 0..<aCount { out[base + j] = f(a[j], b[base + j]) }
                base += aCount
            }
            return
        }
        let (dims, sa) = aShape.broadcastStrides(in: outShape)
        let sb = bShape.broadcastStrides(in: outShape).strides
        var o = 0
        for i0 in 0..<dims[0] {
            for i1 in 0..<dims[1] {
                for i2 in 0..<dims[2] {
                    for i3 in 0..<dims[3] {
                        let ia = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3]
                        let ib = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3]
                        let s4a = sa[4], s4b = sb[4]
                        for i4 in 0..<dims[4] {
                            out[o] = f(a[ia + i4 * s4a], b[ib + i4 * s4b])
                            o += 1
                        }
                    }
                }
            }
        }
    }

    /// Whether `s` (ignoring leading ones) equals the trailing dimensions of `of`.
    @inline(__always) static func isSuffix(_ s: Shape, of full: Shape) -> Bool {
        var r = s.rank
        while r > 0 && s[s.rank - r] == 1 { r -= 1 }
        guard r <= full.rank else { return false }
        for k in 0..<r where s[s.rank - 1 - k] != full[full.rank - 1 - k] { return false }
        return true
    }

    @_specialize(where T == Float) @_specialize(where T == Double)
    static func binary<T: TensorScalar>(_ fn: BinaryFunction, _ a: UnsafePointer<T>, _ aShape: Shape, _ b: UnsafePointer<T>,
                                         _ bShape: Shape, _ out: UnsafeMutablePointer<T>, _ outShape: Shape) {
        switch fn {
        case .add: broadcastLoop(a, aShape, b, bShape, out, outShape) { $0 + $1 }
        case .subtract: broadcastLoop(a, aShape, b, bShape, out, outShape) { $0 - $1 }
        case .multiply: broadcastLoop(a, aShape, b, bShape, out, outShape) { $0 * $1 }
        case .divide: broadcastLoop(a, aShape, b, bShape, out, outShape) { $0 / $1 }
        }
    }

    /// dst (shape `dstShape`) = sum of src (shape `srcShape`, which `dstShape` broadcasts to) over
    /// the broadcast axes: the adjoint of broadcasting.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func sumToShape<T: TensorScalar>(_ src: UnsafePointer<T>, _ srcShape: Shape, _ dst: UnsafeMutablePointer<T>, _ dstShape: Shape) {
        let n = srcShape.count, m = dstShape.count
        if n == m {
            dst.update(from: src, count: n)
            return
        }
        dst.update(repeating: 0, count: m)
        if m > 0, isSuffix(dstShape, of: srcShape) {
            var base = 0
            while base < n {
                for j in 0..<m { dst[j] += src[base + j] }
                base += m
            }
            return
        }
        let (dims, sd) = dstShape.broadcastStrides(in: srcShape)
        var s = 0
        for i0 in 0..<dims[0] {
            for i1 in 0..<dims[1] {
                for i2 in 0..<dims[2] {
                    for i3 in 0..<dims[3] {
                        let id = i0 * sd[0] + i1 * sd[1] + i2 * sd[2] + i3 * sd[3]
                        let s4 = sd[4]
                        for i4 in 0..<dims[4] {
                            dst[id + i4 * s4] += src[s]
                            s += 1
                        }
                    }
                }
            }
        }
    }

    /// gx = gy · σ(x)(1 + x(1 − σ(x))) in Float SIMD.
    static func vectorSiLUBackward(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ n: Int) {
        typealias V = SIMD8<Float>
        var i = 0
        let one = V(repeating: 1)
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self), g = UnsafeRawPointer(gy + i).loadUnaligned(as: V.self)
            let s = one / (one + VectorMath.exp(-v))
            UnsafeMutableRawPointer(gx + i).storeBytes(of: g * s * (one + v * (one - s)), as: V.self)
            i += 8
        }
        while i < n { let s = Float.sigmoid(x[i]); gx[i] = gy[i] * s * (1 + x[i] * (1 - s)); i += 1 }
    }
}
