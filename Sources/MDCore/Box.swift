import Foundation

/// A periodic cell given by its edge lengths (Å) and angles (degrees), as AMBER files store it.
/// Vectors follow the AMBER/OpenMM reduced convention: a along x, b in the xy plane, c completing a
/// right-handed cell with a positive z component.
public struct Box: Equatable, Sendable, CustomStringConvertible {
    public var lengths: SIMD3<Double>
    public var angles: SIMD3<Double>

    public init(lengths: SIMD3<Double>, angles: SIMD3<Double> = SIMD3(90, 90, 90)) {
        self.lengths = lengths
        self.angles = angles
    }

    public init(a: Double, b: Double, c: Double, alpha: Double = 90, beta: Double = 90, gamma: Double = 90) {
        self.init(lengths: SIMD3(a, b, c), angles: SIMD3(alpha, beta, gamma))
    }

    /// Angles within 1e-6 degrees of 90 count as right angles: files round them.
    public var isOrthorhombic: Bool {
        abs(angles.x - 90) < 1e-6 && abs(angles.y - 90) < 1e-6 && abs(angles.z - 90) < 1e-6
    }

    /// The cell vectors as the rows a, b, c.
    public var vectors: (a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>) {
        let radians = angles * (Double.pi / 180)
        let (cosA, cosB, cosG) = (cos(radians.x), cos(radians.y), cos(radians.z))
        let sinG = sin(radians.z)
        let a = SIMD3(lengths.x, 0, 0)
        let b = SIMD3(lengths.y * cosG, lengths.y * sinG, 0)
        let cx = lengths.z * cosB
        let cy = lengths.z * (cosA - cosB * cosG) / sinG
        let cz = (lengths.z * lengths.z - cx * cx - cy * cy).squareRoot()
        return (a, b, SIMD3(cx, cy, cz))
    }

    public var volume: Double {
        let v = vectors
        return v.a.x * v.b.y * v.c.z
    }

    /// Whether the lengths are positive and the angles make a real cell (non-zero volume).
    public var isValid: Bool {
        guard lengths.min() > 0, angles.min() > 0, angles.max() < 180 else { return false }
        let r = angles * (Double.pi / 180)
        let (ca, cb, cg) = (cos(r.x), cos(r.y), cos(r.z))
        return 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg > 1e-12
    }

    /// "orthorhombic", "truncated octahedron" or "triclinic".
    public var shapeName: String {
        if isOrthorhombic { return "orthorhombic" }
        let octahedral = acos(-1.0 / 3.0) * 180 / Double.pi
        if abs(angles.x - octahedral) < 1e-3, abs(angles.y - octahedral) < 1e-3, abs(angles.z - octahedral) < 1e-3 {
            return "truncated octahedron"
        }
        return "triclinic"
    }

    public var description: String {
        String(format: "%.4f × %.4f × %.4f Å, %.3f° %.3f° %.3f°",
               lengths.x, lengths.y, lengths.z, angles.x, angles.y, angles.z) + " (\(shapeName))"
    }
}

extension Box {
    /// Distances between opposite faces: a sphere of radius R spans ±R/width in each fractional
    /// coordinate, which is what cell lists need to know.
    public var perpendicularWidths: SIMD3<Double> {
        let (a, b, c) = vectors
        func cross(_ u: SIMD3<Double>, _ v: SIMD3<Double>) -> SIMD3<Double> {
            SIMD3(u.y * v.z - u.z * v.y, u.z * v.x - u.x * v.z, u.x * v.y - u.y * v.x)
        }
        func norm(_ u: SIMD3<Double>) -> Double { (u * u).sum().squareRoot() }
        let volume = a.x * b.y * c.z
        return SIMD3(volume / norm(cross(b, c)), volume / norm(cross(c, a)), volume / norm(cross(a, b)))
    }

    /// Fractional coordinates of a Cartesian position (the cell matrix is lower triangular).
    @inline(__always)
    public func fractional(_ x: SIMD3<Double>, vectors v: (a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>)) -> SIMD3<Double> {
        let sz = x.z / v.c.z
        let sy = (x.y - sz * v.c.y) / v.b.y
        return SIMD3((x.x - sz * v.c.x - sy * v.b.x) / v.a.x, sy, sz)
    }

    /// A position brought into the primary cell: its fractional coordinates in [0, 1) and the lattice
    /// vector that was subtracted to get there.
    @inline(__always)
    public func wrap(_ x: SIMD3<Double>, vectors v: (a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>))
        -> (fraction: SIMD3<Double>, offset: SIMD3<Double>) {
        let s = fractional(x, vectors: v)
        let whole = s.rounded(.down)
        return (s - whole, v.a * whole.x + v.b * whole.y + v.c * whole.z)
    }

    /// The 27 lattice vectors nₐa + n_b b + n_c c with each n in −1…1, at index 9(nₐ+1) + 3(n_b+1) + (n_c+1).
    public var neighbouringImageShifts: [SIMD3<Double>] {
        let (a, b, c) = vectors
        var shifts: [SIMD3<Double>] = []
        for na in -1...1 { for nb in -1...1 { for nc in -1...1 {
            shifts.append(a * Double(na) + b * Double(nb) + c * Double(nc))
        } } }
        return shifts
    }
}
