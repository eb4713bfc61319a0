import AmberIO
import LearnedFF
import MDCore

/// A model's prior on dataset frames, one provider per system: what training subtracts from the
/// reference forces and evaluation adds to the network's output.
struct FramePriors {
    let prior: ForcePrior
    let atoms: LearnedAtoms
    private var providers: [String: ForceProvider] = [:]

    init(prior: ForcePrior, atoms: LearnedAtoms) { self.prior = prior; self.atoms = atoms }

    /// The prior's forces on every atom of the frame (zero outside the learned atoms); nil without a prior.
    mutating func forces(_ f: ForceFrame) throws -> [Double]? {
        guard prior != .none else { return nil }
        guard let prmtop = f.prmtop else { throw FileFormatError(file: f.source, "has no prmtop for the model's prior \(prior.rawValue)") }
        let provider = try providers[f.system] ?? ForceSelection.prior(prior, atoms: atoms, prmtop: prmtop)!
        providers[f.system] = provider
        var forces = [Double](repeating: 0, count: 3 * f.frame.atomCount)
        _ = try f.frame.positions.withUnsafeBufferPointer { x in
            try forces.withUnsafeMutableBufferPointer { try provider.compute(positions: x, box: f.frame.box, forces: $0) }
        }
        return forces
    }

    /// The frame with the prior's forces taken from its reference forces: the network's target.
    mutating func residual(_ f: ForceFrame) throws -> ForceFrame {
        guard let prior = try forces(f), let reference = f.frame.forces else { return f }
        var out = f
        out.frame.forces = zip(reference, prior).map { $0 - $1 }
        return out
    }
}
