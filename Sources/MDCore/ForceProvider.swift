/// Anything that gives forces for a configuration: the classical AMBER force field or a trained network.
/// Buffers belong to the caller and are reused every step; providers allocate nothing per call after
/// their first.
public protocol ForceProvider: AnyObject {
    var atomCount: Int { get }

    /// Overwrites `forces` (kcal/mol/Å, 3·atomCount values) for `positions` (Å) in `box` (nil: no
    /// periodicity) and returns the potential energy in kcal/mol, or nil for a provider that has none
    /// (a direct-force network predicts forces, not an energy).
    func compute(positions: UnsafeBufferPointer<Double>, box: Box?, forces: UnsafeMutableBufferPointer<Double>) throws -> Double?

    /// Forgets what was reused between calls (neighbour lists), so the next call starts from scratch
    /// exactly as a fresh provider would: what makes a run continued from a restart bit-for-bit
    /// identical to one that was never interrupted.
    func resetCaches()
}

extension ForceProvider {
    public func resetCaches() {}
}
