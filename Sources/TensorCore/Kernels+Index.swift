import Dispatch

extension Kernels {
    /// out[e, :] = x[index[e], :] for rows of `width` scalars (atoms → edges).
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func gatherRows<T: TensorScalar>(_ x: UnsafePointer<T>, rows: Int, width: Int, _ index: UnsafeBufferPointer<Int32>,
                                            _ out: UnsafeMutablePointer<T>) {
        let out = UnsafeSendable(out), x = UnsafeSendable(UnsafeMutablePointer(mutating: x))
        Kernels.parallelChunks(index.count, work: index.count * width) { range in
            for e in range {
                let r = Int(index[e])
                precondition(r >= 0 && r < rows, "gather: index \(r) at position \(e) outside 0..<\(rows)")
                (out.pointer + e * width).update(from: x.pointer + r * width, count: width)
            }
        }
    }

    /// out[index[e], :] += x[e, :] with out zeroed first when `zero` (edges → atoms).
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func scatterAddRows<T: TensorScalar>(_ x: UnsafePointer<T>, width: Int, _ index: UnsafeBufferPointer<Int32>,
                                                _ out: UnsafeMutablePointer<T>, rows: Int, zero: Bool) {
        if zero { out.update(repeating: 0, count: rows * width) }
        func add(_ edges: Range<Int>) {
            for e in edges {
                let r = Int(index[e])
                precondition(r >= 0 && r < rows, "scatterAdd: index \(r) at position \(e) outside 0..<\(rows)")
                let dst = out + r * width, src = x + e * width
                for c in 0..<width { dst[c] += src[c] }
            }
        }
        // Edges grouped by target (as edges by centre atom are) split at a change of target, so the
        // two halves write disjoint rows; any other order stays on one thread.
        let n = index.count
        guard n * width >= Kernels.parallelThreshold, n > 1 else { return add(0..<n) }
        var split = n / 2
        while split < n && index[split] == index[split - 1] { split += 1 }
        var grouped = split < n
        if grouped {
            let last = index[split - 1]
            for e in 0..<split where index[e] > last { grouped = false; break }
            if grouped { for e in split..<n where index[e] <= last { grouped = false; break } }
        }
        guard grouped else { return add(0..<n) }
        DispatchQueue.concurrentPerform(iterations: 2) { part in add(part == 0 ? 0..<split : split..<n) }
    }

    /// Work below this many scalars stays on the calling thread (waking a worker costs ~10 µs).
    static let parallelThreshold = 1 << 16

    /// Runs `body` over two halves of 0..<count on both cores when the work is large enough.
    static func parallelChunks(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        guard work >= parallelThreshold, count > 1 else { return body(0..<count) }
        let half = count / 2
        DispatchQueue.concurrentPerform(iterations: 2) { part in body(part == 0 ? 0..<half : half..<count) }
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

/// A pointer handed to worker threads that write disjoint parts of what it points to.
struct UnsafeSendable<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
