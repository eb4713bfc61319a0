/// One snapshot of a system as files carry it: positions, optionally velocities and forces, the cell
/// and the simulation time. Vectors are flat `[x0, y0, z0, x1, …]` Double buffers of 3·atomCount values.
public struct Frame: Equatable, Sendable {
    /// Å.
    public var positions: [Double]
    /// Å/ps (engine units; AMBER files store them divided by `Units.amberVelocityScale`).
    public var velocities: [Double]?
    /// kcal/mol/Å.
    public var forces: [Double]?
    public var box: Box?
    /// ps.
    public var time: Double

    public init(positions: [Double], velocities: [Double]? = nil, forces: [Double]? = nil,
                box: Box? = nil, time: Double = 0) {
        self.positions = positions
        self.velocities = velocities
        self.forces = forces
        self.box = box
        self.time = time
    }

    public var atomCount: Int { positions.count / 3 }

    public func position(_ atom: Int) -> SIMD3<Double> {
        SIMD3(positions[3 * atom], positions[3 * atom + 1], positions[3 * atom + 2])
    }
}
