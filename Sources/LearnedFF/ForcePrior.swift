/// What a force model's output is added to (hyper-parameter "prior"). With `none` the network
/// predicts the whole force, as in the paper. With `amberBonded` it predicts the force minus the
/// prmtop's bonded terms among the learned atoms (bonds, angles, torsions, impropers, CMAP, 1-4
/// pairs; ClassicalFF's AmberPrior), which are added back wherever the model is used:
/// training subtracts them from the targets, evaluation and dynamics add them to the output.
/// `amberBondedLJ` adds the Lennard-Jones between the learned atoms' non-excluded pairs: a repulsive
/// core the network cannot unlearn.
public enum ForcePrior: String, Sendable, CaseIterable {
    case none
    case amberBonded = "amber-bonded"
    case amberBondedLJ = "amber-bonded-lj"

    /// For run logs and reports.
    public var summary: String {
        switch self {
        case .none: return "the network predicts the whole force"
        case .amberBonded: return "the network predicts the force beyond the AMBER bonded terms (bonds, angles, torsions, 1-4 pairs) among the learned atoms, which are added to it"
        case .amberBondedLJ: return "the network predicts the force beyond the AMBER bonded terms and the Lennard-Jones among the learned atoms, which are added to it"
        }
    }
}
