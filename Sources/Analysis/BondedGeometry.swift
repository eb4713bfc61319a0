import AmberIO
import Foundation
import MDCore

/// The bonds and angles of a force field with their reference values, measured on frames: bond
/// length deviations r − r₀ (Å) and angle deviations θ − θ₀ (degrees). Every vector goes through
/// the minimum image, so molecules split by wrapping measure correctly.
public struct BondedGeometry: Sendable {
    public struct Bond: Equatable, Sendable {
        public var i: Int, j: Int
        /// Reference (equilibrium) length r₀, Å.
        public var length: Double
        public var involvesHydrogen: Bool
        /// Held at r₀ by a constraint in the simulations (per the `ConstraintRule`).
        public var constrained: Bool

        public init(i: Int, j: Int, length: Double, involvesHydrogen: Bool = false, constrained: Bool = false) {
            self.i = i
            self.j = j
            self.length = length
            self.involvesHydrogen = involvesHydrogen
            self.constrained = constrained
        }
    }

    public struct Angle: Equatable, Sendable {
        /// j is the vertex.
        public var i: Int, j: Int, k: Int
        /// Reference angle θ₀, degrees.
        public var angle: Double
        /// Held rigid in the simulations (the H–O–H angle of a rigid water).
        public var constrained: Bool

        public init(i: Int, j: Int, k: Int, angle: Double, constrained: Bool = false) {
            self.i = i
            self.j = j
            self.k = k
            self.angle = angle
            self.constrained = constrained
        }
    }

    public var bonds: [Bond]
    public var angles: [Angle]

    public init(bonds: [Bond], angles: [Angle]) {
        self.bonds = bonds
        self.angles = angles
    }

    /// The prmtop's bonds and angles with their equilibrium values (both with and without hydrogen;
    /// TIP3P's H–H bond, there for SETTLE, is a bond like any other). `constraints` marks the terms
    /// the simulations held rigid: with `.hBonds`, bonds to hydrogen and the angles of rigid waters.
    public init(prmtop: Prmtop, constraints: ConstraintRule = .none) {
        let water = constraints == .hBonds ? ConstraintRule.rigidWaterAtoms(prmtop).atoms : []
        bonds = prmtop.bonds.map {
            Bond(i: $0.i, j: $0.j, length: prmtop.bondEquilibriumLengths[$0.type], involvesHydrogen: $0.involvesHydrogen,
                 constrained: constraints == .hBonds && ($0.involvesHydrogen || (water.contains($0.i) && water.contains($0.j))))
        }
        angles = prmtop.angles.map {
            Angle(i: $0.i, j: $0.j, k: $0.k, angle: prmtop.angleEquilibriumValues[$0.type] * 180 / .pi,
                  constrained: water.contains($0.i) && water.contains($0.j) && water.contains($0.k))
        }
    }

    @inline(__always)
    private static func position(_ x: UnsafeBufferPointer<Double>, _ a: Int) -> SIMD3<Double> {
        SIMD3(x[3 * a], x[3 * a + 1], x[3 * a + 2])
    }

    /// r − r₀ for every bond, in `bonds` order.
    public func bondDeviations(_ positions: UnsafeBufferPointer<Double>, image: MinimumImage, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == bonds.count, "BondedGeometry: one output per bond")
        for (n, bond) in bonds.enumerated() {
            let d = image.displacement(from: Self.position(positions, bond.i), to: Self.position(positions, bond.j))
            out[n] = (d * d).sum().squareRoot() - bond.length
        }
    }

    /// θ − θ₀ in degrees for every angle, in `angles` order.
    public func angleDeviations(_ positions: UnsafeBufferPointer<Double>, image: MinimumImage, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == angles.count, "BondedGeometry: one output per angle")
        for (n, angle) in angles.enumerated() {
            let vertex = Self.position(positions, angle.j)
            let u = image.displacement(from: vertex, to: Self.position(positions, angle.i))
            let v = image.displacement(from: vertex, to: Self.position(positions, angle.k))
            // atan2(|u × v|, u · v) keeps full precision near 0° and 180°, where acos does not.
            let cross = SIMD3(u.y * v.z - u.z * v.y, u.z * v.x - u.x * v.z, u.x * v.y - u.y * v.x)
            let theta = atan2((cross * cross).sum().squareRoot(), (u * v).sum()) * 180 / .pi
            out[n] = theta - angle.angle
        }
    }

    /// Convenience for one frame: both deviation lists as new arrays.
    public func deviations(_ positions: [Double], box: Box?) -> (bonds: [Double], angles: [Double]) {
        var b = [Double](repeating: 0, count: bonds.count), a = [Double](repeating: 0, count: angles.count)
        let image = MinimumImage(box: box)
        positions.withUnsafeBufferPointer { x in
            b.withUnsafeMutableBufferPointer { bondDeviations(x, image: image, into: $0) }
            a.withUnsafeMutableBufferPointer { angleDeviations(x, image: image, into: $0) }
        }
        return (b, a)
    }
}
