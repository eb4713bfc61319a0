import MDCore

/// The optimal rigid superposition of one coordinate set onto another (Kabsch's problem): the proper
/// rotation R and translation t minimising Σ wᵢ |R xᵢ + t − yᵢ|² / Σ wᵢ, and the RMSD it leaves.
///
/// Solved by Horn's quaternion method: the best rotation is the unit quaternion that is the top
/// eigenvector of a symmetric 4×4 matrix built from the weighted covariance, found here by Jacobi
/// rotations. A quaternion is always a proper rotation, so the reflection case of Kabsch's SVD
/// (det < 0, where the smallest singular direction must be flipped) is handled by construction: the
/// top eigenvalue equals σ₁ + σ₂ − σ₃ then. Nothing is allocated per call; the RMSD is measured by
/// applying the transform rather than from the eigenvalue, so it stays exact for near-perfect fits.
public struct Superposition: Equatable, Sendable {
    /// Applied to mobile coordinates: x ↦ rotation · x + translation.
    public var rotation: Matrix3
    public var translation: SIMD3<Double>
    /// Weighted root-mean-square distance after superposition, in the coordinates' units.
    public var rmsd: Double

    public init(rotation: Matrix3, translation: SIMD3<Double>, rmsd: Double) {
        self.rotation = rotation
        self.translation = translation
        self.rmsd = rmsd
    }

    @inline(__always)
    public func apply(_ x: SIMD3<Double>) -> SIMD3<Double> { rotation * x + translation }

    /// Fits `mobile[i]` onto `reference[i]`; `weights[i]` (e.g. masses) default to 1.
    public init(fitting mobile: [SIMD3<Double>], onto reference: [SIMD3<Double>], weights: [Double]? = nil) {
        precondition(mobile.count == reference.count && (weights == nil || weights!.count == mobile.count),
                     "Superposition: coordinate sets of different sizes")
        self = mobile.withUnsafeBufferPointer { x in
            reference.withUnsafeBufferPointer { y in
                if let weights {
                    return weights.withUnsafeBufferPointer { w in Superposition.solve(count: x.count) { (x[$0], y[$0], w[$0]) } }
                }
                return Superposition.solve(count: x.count) { (x[$0], y[$0], 1) }
            }
        }
    }

    /// Fits the atoms `atoms` (all when nil) of `mobile` onto the same atoms of `reference`;
    /// `weights` is indexed by atom, like the coordinates.
    public init(fitting mobile: UnsafeBufferPointer<SIMD3<Double>>, onto reference: UnsafeBufferPointer<SIMD3<Double>>,
                atoms: UnsafeBufferPointer<Int>? = nil, weights: UnsafeBufferPointer<Double>? = nil) {
        precondition(mobile.count == reference.count, "Superposition: coordinate sets of different sizes")
        let count = atoms?.count ?? mobile.count
        self = Superposition.solve(count: count) { k in
            let a = atoms?[k] ?? k
            return (mobile[a], reference[a], weights?[a] ?? 1)
        }
    }

    /// The same on flat [x0, y0, z0, x1, …] buffers, as `Frame.positions` stores them.
    public init(fitting mobile: UnsafeBufferPointer<Double>, onto reference: UnsafeBufferPointer<Double>,
                atoms: UnsafeBufferPointer<Int>? = nil, weights: UnsafeBufferPointer<Double>? = nil) {
        precondition(mobile.count == reference.count && mobile.count % 3 == 0, "Superposition: coordinate sets of different sizes")
        let count = atoms?.count ?? mobile.count / 3
        self = Superposition.solve(count: count) { k in
            let a = atoms?[k] ?? k
            return (SIMD3(mobile[3 * a], mobile[3 * a + 1], mobile[3 * a + 2]),
                    SIMD3(reference[3 * a], reference[3 * a + 1], reference[3 * a + 2]), weights?[a] ?? 1)
        }
    }

    /// The core: `point(k)` gives the k-th (mobile, reference, weight) triple. Three passes: centroids,
    /// covariance about them, and the RMSD of the fitted points.
    @inline(__always)
    static func solve(count: Int, point: (Int) -> (SIMD3<Double>, SIMD3<Double>, Double)) -> Superposition {
        guard count > 0 else { return Superposition(rotation: .identity, translation: .zero, rmsd: 0) }
        var total = 0.0
        var cx = SIMD3<Double>.zero, cy = SIMD3<Double>.zero
        for k in 0..<count {
            let (x, y, w) = point(k)
            total += w
            cx += w * x
            cy += w * y
        }
        guard total > 0 else { return Superposition(rotation: .identity, translation: .zero, rmsd: 0) }
        cx /= total
        cy /= total
        // S[a][b] = Σ w (x − x̄)_a (y − ȳ)_b, as rows.
        var sx = SIMD3<Double>.zero, sy = SIMD3<Double>.zero, sz = SIMD3<Double>.zero
        for k in 0..<count {
            let (x, y, w) = point(k)
            let dx = w * (x - cx), dy = y - cy
            sx += dx.x * dy
            sy += dx.y * dy
            sz += dx.z * dy
        }
        let rotation = optimalRotation(Matrix3(rows: sx, sy, sz))
        let translation = cy - rotation * cx
        var sum = 0.0
        for k in 0..<count {
            let (x, y, w) = point(k)
            let d = rotation * x + translation - y
            sum += w * (d * d).sum()
        }
        return Superposition(rotation: rotation, translation: translation, rmsd: (sum / total).squareRoot())
    }

    /// The proper rotation R maximising Σ w (y − ȳ)·R(x − x̄), given S = Σ w (x − x̄)(y − ȳ)ᵀ (Horn 1987).
    public static func optimalRotation(_ s: Matrix3) -> Matrix3 {
        let (xx, xy, xz) = (s.row0.x, s.row0.y, s.row0.z)
        let (yx, yy, yz) = (s.row1.x, s.row1.y, s.row1.z)
        let (zx, zy, zz) = (s.row2.x, s.row2.y, s.row2.z)
        let k = SIMD16<Double>(
            xx + yy + zz, yz - zy, zx - xz, xy - yx,
            yz - zy, xx - yy - zz, xy + yx, zx + xz,
            zx - xz, xy + yx, -xx + yy - zz, yz + zy,
            xy - yx, zx + xz, yz + zy, -xx - yy + zz)
        let q = SymmetricEigen4(k).largest.vector
        let (w, x, y, z) = (q[0], q[1], q[2], q[3])
        // The eigenvector is unit length up to rounding; normalising keeps R orthogonal to the last bit.
        let n = w * w + x * x + y * y + z * z
        guard n > 0 else { return .identity }
        let f = 2 / n
        return Matrix3(rows: SIMD3(1 - f * (y * y + z * z), f * (x * y - w * z), f * (x * z + w * y)),
                       SIMD3(f * (x * y + w * z), 1 - f * (x * x + z * z), f * (y * z - w * x)),
                       SIMD3(f * (x * z - w * y), f * (y * z + w * x), 1 - f * (x * x + y * y)))
    }
}
