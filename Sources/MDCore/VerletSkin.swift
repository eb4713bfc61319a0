/// When a Verlet list built with a skin must be rebuilt: once any atom has moved more than half the
/// skin since the build, or the box changed (nil: no periodicity). Shared by every list md keeps
/// (per-atom, clustered, and the learned force field's k-nearest candidates).
public struct VerletSkin: Sendable {
    public let skin: Double
    public private(set) var buildCount = 0
    private var builtPositions: [Double] = []
    private var builtBox: Box?
    private var valid = false

    public init(skin: Double) { self.skin = skin }

    public func needsRebuild(positions: UnsafeBufferPointer<Double>, box: Box?) -> Bool {
        guard valid && builtBox == box && builtPositions.count == positions.count else { return true }
        let limit = (skin / 2) * (skin / 2)
        return builtPositions.withUnsafeBufferPointer { old in
            for k in stride(from: 0, to: positions.count, by: 3) {
                let dx = positions[k] - old[k], dy = positions[k + 1] - old[k + 1], dz = positions[k + 2] - old[k + 2]
                if dx * dx + dy * dy + dz * dz > limit { return true }
            }
            return false
        }
    }

    /// Records the positions and box a list was just built from (the buffer is reused).
    public mutating func built(positions: UnsafeBufferPointer<Double>, box: Box?) {
        if builtPositions.count == positions.count {
            builtPositions.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: positions) }
        } else {
            builtPositions = Array(positions)
        }
        builtBox = box
        valid = true
        buildCount += 1
    }

    /// The next check asks for a rebuild.
    public mutating func invalidate() { valid = false }
}
