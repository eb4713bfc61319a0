import MDCore

/// Displacements between atoms, with the minimum-image convention in a periodic cell. The cell is in
/// AMBER/OpenMM reduced form (a along x, b in the xy plane), so reducing along c, then b, then a gives
/// the nearest image of any vector shorter than half the cell's narrowest width.
struct PeriodicGeometry {
    let a: SIMD3<Double>, b: SIMD3<Double>, c: SIMD3<Double>
    let periodic: Bool

    init(_ box: Box?) {
        if let box {
            (a, b, c) = box.vectors
            periodic = true
        } else {
            (a, b, c) = (.zero, .zero, .zero)
            periodic = false
        }
    }

    @inline(__always)
    func delta(_ from: SIMD3<Double>, _ to: SIMD3<Double>) -> SIMD3<Double> {
        var d = to - from
        guard periodic else { return d }
        d -= c * (d.z / c.z).rounded()
        d -= b * (d.y / b.y).rounded()
        d -= a * (d.x / a.x).rounded()
        return d
    }
}

extension UnsafeBufferPointer where Element == Double {
    @inline(__always)
    func vector(_ atom: Int32) -> SIMD3<Double> {
        let i = Int(atom) * 3
        return SIMD3(self[i], self[i + 1], self[i + 2])
    }
}

extension UnsafeMutableBufferPointer where Element == Double {
    @inline(__always)
    func add(_ atom: Int32, _ f: SIMD3<Double>) {
        let i = Int(atom) * 3
        self[i] += f.x
        self[i + 1] += f.y
        self[i + 2] += f.z
    }
}

@inline(__always) func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
@inline(__always) func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
@inline(__always) func length(_ a: SIMD3<Double>) -> Double { dot(a, a).squareRoot() }
