extension Kernels {
    /// out[o, i] = scale · Σ_k x[o, k, i] over the [outer, n, inner] view.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func sumAxis<T: TensorScalar>(_ x: UnsafePointer<T>, outer: Int, n: Int, inner: Int, _ out: UnsafeMutablePointer<T>, scale: T) {
        if inner == 1 {
            for o in 0..<outer {
                var s: T = 0
                let row = x + o * n
                for k in 0..<n { s += row[k] }
                out[o] = s * scale
            }
            return
        }
        out.update(repeating: 0, count: outer * inner)
        for o in 0..<outer {
            let dst = out + o * inner
            for k in 0..<n {
                let src = x + (o * n + k) * inner
                for i in 0..<inner { dst[i] += src[i] }
            }
        }
        if scale != 1 { for i in 0..<(outer * inner) { out[i] *= scale } }
    }

    /// out[o, k, i] = scale · g[o, i]: the adjoint of `sumAxis`.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func expandAxis<T: TensorScalar>(_ g: UnsafePointer<T>, outer: Int, n: Int, inner: Int, _ out: UnsafeMutablePointer<T>, scale: T) {
        for o in 0..<outer {
            let src = g + o * inner
            for k in 0..<n {
                let dst = out + (o * n + k) * inner
                for i in 0..<inner { dst[i] = scale * src[i] }
            }
        }
    }

    /// out[r] = sqrt(Σ_c x[r, c]² + epsilon).
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func rowNorm<T: TensorScalar>(_ x: UnsafePointer<T>, rows: Int, cols: Int, epsilon: T, _ out: UnsafeMutablePointer<T>) {
        for r in 0..<rows {
            var s = epsilon
            let row = x + r * cols
            for c in 0..<cols { s += row[c] * row[c] }
            out[r] = s.squareRoot()
        }
    }

    /// gx[r, c] = gy[r] · x[r, c] / y[r].
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func rowNormBackward<T: TensorScalar>(x: UnsafePointer<T>, y: UnsafePointer<T>, gy: UnsafePointer<T>, gx: UnsafeMutablePointer<T>,
                                                  rows: Int, cols: Int) {
        for r in 0..<rows {
            let f = gy[r] / y[r]
            for c in 0..<cols { gx[r * cols + c] = f * x[r * cols + c] }
        }
    }
}
