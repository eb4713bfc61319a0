// Matrix products through OpenBLAS (cblas_sgemm / cblas_dgemm) and their vector-Jacobian products.

extension Kernels {
    /// Dimensions (m, n, k) of op(P)·op(Q) for row-major matrices of shapes p and q.
    static func productDims(_ p: (Int, Int), _ q: (Int, Int), _ tp: Bool, _ tq: Bool) -> (m: Int, n: Int, k: Int) {
        let (m, k) = tp ? (p.1, p.0) : (p.0, p.1)
        let (k2, n) = tq ? (q.1, q.0) : (q.0, q.1)
        precondition(k == k2, "matmul: inner dimensions \(k) and \(k2) differ")
        return (m, n, k)
    }

    /// out[b] = op(P[b])·op(Q[b]) for `batch` matrices (P, Q of shapes p, q each); batch 1 is one gemm.
    static func gemm<T: TensorScalar>(_ P: UnsafePointer<T>, _ p: (Int, Int), _ tp: Bool, _ Q: UnsafePointer<T>, _ q: (Int, Int), _ tq: Bool,
                                      _ out: UnsafeMutablePointer<T>, batch: Int) {
        let (m, n, k) = productDims(p, q, tp, tq)
        if m == 0 || n == 0 { return }
        if k == 0 { out.update(repeating: 0, count: batch * m * n); return }
        for i in 0..<batch {
            T.gemm(transposeA: tp, transposeB: tq, m: m, n: n, k: k, alpha: 1, a: P + i * p.0 * p.1, lda: p.1,
                   b: Q + i * q.0 * q.1, ldb: q.1, beta: 0, c: out + i * m * n, ldc: n)
        }
    }
}

extension Variable {
    /// op(self)·op(other) for matrices ([m, k]·[k, n] → [m, n]; transposes without copies).
    public func matmul(_ other: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        graph.check(self); graph.check(other)
        let a = value, b = other.value
        precondition(a.rank == 2 && b.rank == 2, "matmul: needs matrices, got \(a.shape) and \(b.shape)")
        let (m, n, _) = Kernels.productDims((a.shape[0], a.shape[1]), (b.shape[0], b.shape[1]), transposeA, transposeB)
        let out = graph.output(Shape(m, n))
        Kernels.gemm(a.ptr, (a.shape[0], a.shape[1]), transposeA, b.ptr, (b.shape[0], b.shape[1]), transposeB, out.ptr, batch: 1)
        return graph.record(out, .matmul(id, other.id, transposeA: transposeA, transposeB: transposeB), id, other.id)
    }

    /// Batched product [B, m, k]·[B, k, n] → [B, m, n] (one gemm per batch entry).
    public func batchedMatmul(_ other: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        graph.check(self); graph.check(other)
        let a = value, b = other.value
        precondition(a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0], "batchedMatmul: shapes \(a.shape) and \(b.shape)")
        let (m, n, _) = Kernels.productDims((a.shape[1], a.shape[2]), (b.shape[1], b.shape[2]), transposeA, transposeB)
        let out = graph.output(Shape(a.shape[0], m, n))
        Kernels.gemm(a.ptr, (a.shape[1], a.shape[2]), transposeA, b.ptr, (b.shape[1], b.shape[2]), transposeB, out.ptr, batch: a.shape[0])
        return graph.record(out, .batchedMatmul(id, other.id, transposeA: transposeA, transposeB: transposeB), id, other.id)
    }
}

extension Graph {
    /// op(P)·op(Q) for 2-D or batched 3-D tensors into a fresh tensor.
    func product(_ P: Tensor<T>, _ tp: Bool, _ Q: Tensor<T>, _ tq: Bool) -> Tensor<T> {
        let batched = P.rank == 3
        let o = batched ? 1 : 0
        let p = (P.shape[o], P.shape[o + 1]), q = (Q.shape[o], Q.shape[o + 1])
        let (m, n, _) = Kernels.productDims(p, q, tp, tq)
        let batch = batched ? P.shape[0] : 1
        let out = gradientBuffer(batched ? Shape(batch, m, n) : Shape(m, n))
        withExtendedLifetime((P, Q)) { Kernels.gemm(P.ptr, p, tp, Q.ptr, q, tq, out.ptr, batch: batch) }
        return out
    }

    func matmulVJP(_ a: Int, _ b: Int, _ ta: Bool, _ tb: Bool, _ g: Tensor<T>, _ give: (Int, Tensor<T>) -> Void) {
        let A = values[a], B = values[b]
        // C = op(A)·op(B); each case is the transposed product that has the input's own layout.
        if needsGradient[a] {
            switch (ta, tb) {
            case (false, false): give(a, product(g, false, B, true))
            case (false, true): give(a, product(g, false, B, false))
            case (true, false): give(a, product(B, false, g, true))
            case (true, true): give(a, product(B, true, g, true))
            }
        }
        if needsGradient[b] {
            switch (ta, tb) {
            case (false, false): give(b, product(A, true, g, false))
            case (false, true): give(b, product(g, true, A, false))
            case (true, false): give(b, product(A, false, g, false))
            case (true, true): give(b, product(g, true, A, true))
            }
        }
    }

    func batchedMatmulVJP(_ a: Int, _ b: Int, _ ta: Bool, _ tb: Bool, _ g: Tensor<T>, _ give: (Int, Tensor<T>) -> Void) {
        matmulVJP(a, b, ta, tb, g, give)  // `product` batches over the leading axis of rank-3 tensors.
    }
}
