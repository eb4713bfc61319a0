/// Eigenvalues and eigenvectors of a real symmetric 4×4 matrix by cyclic Jacobi rotations: slow in
/// theory, exact to rounding in practice, and free of heap allocation (the matrices live in SIMD16
/// registers). Used for Horn's quaternion superposition.
struct SymmetricEigen4 {
    /// Eigenvalues, unsorted.
    var values: SIMD4<Double>
    /// Eigenvector k is column k: `vectors[4 * row + k]`.
    var vectors: SIMD16<Double>

    /// `matrix` is row-major and must be symmetric (only its upper triangle is read).
    init(_ matrix: SIMD16<Double>) {
        var a = matrix
        for r in 0..<4 { for c in 0..<r { a[4 * r + c] = a[4 * c + r] } }
        var v = SIMD16<Double>(repeating: 0)
        for k in 0..<4 { v[5 * k] = 1 }
        var scale = 0.0
        for k in 0..<16 { scale = max(scale, abs(a[k])) }
        if scale > 0 {
            for _ in 0..<64 {
                var off = 0.0
                for p in 0..<3 { for q in (p + 1)..<4 { off += a[4 * p + q] * a[4 * p + q] } }
                // Converged when the off-diagonal part is negligible against the matrix's own size.
                if off.squareRoot() <= scale * 1e-17 { break }
                for p in 0..<3 {
                    for q in (p + 1)..<4 {
                        let apq = a[4 * p + q]
                        if apq == 0 { continue }
                        // The rotation angle that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
                        let tau = (a[5 * q] - a[5 * p]) / (2 * apq)
                        let t = (tau >= 0 ? 1.0 : -1.0) / (abs(tau) + (1 + tau * tau).squareRoot())
                        let c = 1 / (1 + t * t).squareRoot(), s = t * c
                        // A ← Jᵀ A J with J the rotation in the (p, q) plane.
                        for k in 0..<4 {
                            let akp = a[4 * k + p], akq = a[4 * k + q]
                            a[4 * k + p] = c * akp - s * akq
                            a[4 * k + q] = s * akp + c * akq
                        }
                        for k in 0..<4 {
                            let apk = a[4 * p + k], aqk = a[4 * q + k]
                            a[4 * p + k] = c * apk - s * aqk
                            a[4 * q + k] = s * apk + c * aqk
                        }
                        for k in 0..<4 {
                            let vkp = v[4 * k + p], vkq = v[4 * k + q]
                            v[4 * k + p] = c * vkp - s * vkq
                            v[4 * k + q] = s * vkp + c * vkq
                        }
                    }
                }
            }
        }
        values = SIMD4(a[0], a[5], a[10], a[15])
        vectors = v
    }

    /// The eigenvector of the largest eigenvalue, unit length.
    var largest: (value: Double, vector: SIMD4<Double>) {
        var k = 0
        for i in 1..<4 where values[i] > values[k] { k = i }
        return (values[k], SIMD4(vectors[k], vectors[4 + k], vectors[8 + k], vectors[12 + k]))
    }
}
