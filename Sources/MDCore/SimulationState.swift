/// The running simulation's changing part (OpenMM's State): positions and velocities as flat Double
/// buffers, the cell, the time and the step count. Everything else about the system stays fixed.
public struct SimulationState: Equatable, Sendable {
    /// Å, 3·atomCount values.
    public var positions: [Double]
    /// Å/ps.
    public var velocities: [Double]
    public var box: Box?
    /// ps.
    public var time: Double
    public var step: Int

    public init(positions: [Double], velocities: [Double]? = nil, box: Box? = nil, time: Double = 0, step: Int = 0) {
        self.positions = positions
        self.velocities = velocities ?? Array(repeating: 0, count: positions.count)
        self.box = box
        self.time = time
        self.step = step
    }

    public var atomCount: Int { positions.count / 3 }
}
