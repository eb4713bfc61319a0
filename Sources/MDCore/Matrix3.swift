import Foundation

/// A 3×3 matrix of Doubles stored by rows: rotations (and reflections) for superposition and
/// equivariance checks, covariances. `self * v` applies it to a column vector.
public struct Matrix3: Equatable, Sendable, CustomStringConvertible {
    public var row0: SIMD3<Double>
    public var row1: SIMD3<Double>
    public var row2: SIMD3<Double>

    public init(rows row0: SIMD3<Double>, _ row1: SIMD3<Double>, _ row2: SIMD3<Double>) {
        self.row0 = row0
        self.row1 = row1
        self.row2 = row2
    }

    public static let identity = Matrix3(rows: SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1))

    /// The rotation by `angle` radians about `axis` (right-handed; the axis need not be unit length).
    public init(rotationAbout axis: SIMD3<Double>, angle: Double) {
        let u = axis / (axis * axis).sum().squareRoot()
        let (c, s) = (cos(angle), sin(angle))
        let t = 1 - c
        self.init(rows: SIMD3(c + u.x * u.x * t, u.x * u.y * t - u.z * s, u.x * u.z * t + u.y * s),
                  SIMD3(u.y * u.x * t + u.z * s, c + u.y * u.y * t, u.y * u.z * t - u.x * s),
                  SIMD3(u.z * u.x * t - u.y * s, u.z * u.y * t + u.x * s, c + u.z * u.z * t))
    }

    /// A rotation drawn uniformly from SO(3) (a normalised Gaussian quaternion).
    public static func randomRotation<G: RandomNumberGenerator>(using g: inout G) -> Matrix3 {
        func gaussian() -> Double {
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &g), u2 = Double.random(in: 0..<1, using: &g)
            return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
        var q = SIMD4(gaussian(), gaussian(), gaussian(), gaussian())
        q /= (q * q).sum().squareRoot()
        let (w, x, y, z) = (q.x, q.y, q.z, q.w)
        return Matrix3(rows: SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
                       SIMD3(2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
                       SIMD3(2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)))
    }

    /// Element (row, column), both 0-based.
    public subscript(row: Int, column: Int) -> Double {
        switch row {
        case 0: return row0[column]
        case 1: return row1[column]
        default: return row2[column]
        }
    }

    @inline(__always)
    public static func * (m: Matrix3, v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3((m.row0 * v).sum(), (m.row1 * v).sum(), (m.row2 * v).sum())
    }

    public static func * (a: Matrix3, b: Matrix3) -> Matrix3 {
        let t = b.transposed
        return Matrix3(rows: SIMD3((a.row0 * t.row0).sum(), (a.row0 * t.row1).sum(), (a.row0 * t.row2).sum()),
                       SIMD3((a.row1 * t.row0).sum(), (a.row1 * t.row1).sum(), (a.row1 * t.row2).sum()),
                       SIMD3((a.row2 * t.row0).sum(), (a.row2 * t.row1).sum(), (a.row2 * t.row2).sum()))
    }

    public var transposed: Matrix3 {
        Matrix3(rows: SIMD3(row0.x, row1.x, row2.x), SIMD3(row0.y, row1.y, row2.y), SIMD3(row0.z, row1.z, row2.z))
    }

    public var determinant: Double {
        row0.x * (row1.y * row2.z - row1.z * row2.y) - row0.y * (row1.x * row2.z - row1.z * row2.x)
            + row0.z * (row1.x * row2.y - row1.y * row2.x)
    }

    /// Largest absolute difference between corresponding elements.
    public func maxDifference(_ other: Matrix3) -> Double {
        var largest = 0.0
        for (u, v) in [(row0, other.row0), (row1, other.row1), (row2, other.row2)] {
            let d = u - v
            largest = max(largest, Swift.abs(d.x), Swift.abs(d.y), Swift.abs(d.z))
        }
        return largest
    }

    public var description: String { "[\(row0.x) \(row0.y) \(row0.z); \(row1.x) \(row1.y) \(row1.z); \(row2.x) \(row2.y) \(row2.z)]" }
}
