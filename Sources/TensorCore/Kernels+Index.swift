extension Kernels {
    /// out[e, :] = x[index[e], :] for rows of `width` scalars (atoms → edges).
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func gatherRows<T: TensorScalar>(_ x: UnsafePointer<T>, rows: Int, width: Int, _ index: UnsafeBufferPointer<Int32>,
                                            _ out: UnsafeMutablePointer<T>) {
        for e in 0..<index.count {
            let r = Int(index[e])
            precondition(r >= 0 && r < rows, "gather: index \(r) at position \(e) outside 0..<\(rows)")
            (out + e * width).update(from: x + r * width, count: width)
        }
    }

    /// out[index[e], :] += x[e, :] with out zeroed first when `zero` (edges → atoms).
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func scatterAddRows<T: TensorScalar>(_ x: UnsafePointer<T>, width: Int, _ index: UnsafeBufferPointer<Int32>,
                                                _ out: UnsafeMutablePointer<T>, rows: Int, zero: Bool) {
        if zero { out.update(repeating: 0, count: rows * width) }
        for e in 0..<index.count {
            let r = Int(index[e])
            precondition(r >= 0 && r < rows, "scatterAdd: index \(r) at position \(e) outside 0..<\(rows)")
            let dst = out + r * width, src = x + e * width
            for c in 0..<width { dst[c] += src[c] }
        }
    }

    /// Copies the [outer, n, inner] block `src` into columns offset..<offset+n of the
    /// [outer, total, inner] `dst` (or back when `reverse`): concatenation and slicing.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func copyBlock<T: TensorScalar>(_ src: UnsafeMutablePointer<T>, outer: Int, n: Int, inner: Int,
                                           _ dst: UnsafeMutablePointer<T>, total: Int, offset: Int, reverse: Bool) {
        let width = n * inner
        for o in 0..<outer {
            let block = src + o * width, wide = dst + (o * total + offset) * inner
            if reverse { block.update(from: wide, count: width) } else { wide.update(from: block, count: width) }
        }
    }

    /// out[b, j, i] = x[b, i, j] for `batch` matrices of rows × cols.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func transpose<T: TensorScalar>(_ x: UnsafePointer<T>, batch: Int, rows: Int, cols: Int, _ out: UnsafeMutablePointer<T>) {
        for b in 0..<batch {
            let src = x + b * rows * cols, dst = out + b * rows * cols
            for i in 0..<rows { for j in 0..<cols { dst[j * rows + i] = src[i * cols + j] } }
        }
    }
}
