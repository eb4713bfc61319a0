import MDCore

/// Displacements between atoms under periodic boundaries: the difference vector reduced by rounding
/// its fractional coordinates, which is the true minimum image whenever that image is shorter than
/// half the cell's smallest face-to-face width (`exactWithin`), in orthorhombic and triclinic cells
/// alike. Without a box it is the plain difference. Trajectories are not wrapped per molecule, so
/// every bonded or pair distance goes through this.
public struct MinimumImage: Sendable {
    public let box: Box?
    private let a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>
    private let orthorhombic: Bool
    /// Half the smallest perpendicular width of the cell (infinite without a box).
    public let exactWithin: Double

    public init(box: Box?) {
        self.box = box
        if let box {
            (a, b, c) = box.vectors
            orthorhombic = box.isOrthorhombic
            exactWithin = box.perpendicularWidths.min() / 2
        } else {
            (a, b, c) = (.zero, .zero, .zero)
            orthorhombic = true
            exactWithin = .infinity
        }
    }

    /// `to − from`, reduced to the nearest periodic image.
    @inline(__always)
    public func displacement(from: SIMD3<Double>, to: SIMD3<Double>) -> SIMD3<Double> {
        reduce(to - from)
    }

    /// A difference vector brought to its nearest periodic image.
    @inline(__always)
    public func reduce(_ d: SIMD3<Double>) -> SIMD3<Double> {
        guard box != nil else { return d }
        if orthorhombic {
            let lengths = SIMD3(a.x, b.y, c.z)
            return d - lengths * (d / lengths).rounded(.toNearestOrAwayFromZero)
        }
        // The cell matrix is lower triangular: solve for fractional coordinates from z down.
        var s = SIMD3<Double>.zero
        s.z = d.z / c.z
        s.y = (d.y - s.z * c.y) / b.y
        s.x = (d.x - s.z * c.x - s.y * b.x) / a.x
        let n = s.rounded(.toNearestOrAwayFromZero)
        return d - (a * n.x + b * n.y + c * n.z)
    }
}
