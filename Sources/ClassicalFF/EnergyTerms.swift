/// Potential energy by term, kcal/mol, named as AMBER and OpenMM report them.
public struct EnergyTerms: Codable, Equatable, Sendable {
    public var bond = 0.0
    public var angle = 0.0
    public var dihedral = 0.0
    public var improper = 0.0
    public var cmap = 0.0
    /// Lennard-Jones between non-excluded pairs (within the cutoff when periodic).
    public var vdw = 0.0
    /// Coulomb between non-excluded pairs: with PME the real-space, reciprocal, self and excluded-pair
    /// corrections together (each also listed below).
    public var elec = 0.0
    public var vdw14 = 0.0
    public var elec14 = 0.0
    /// Long-range Lennard-Jones correction beyond the cutoff (periodic only).
    public var dispersionCorrection = 0.0

    // The parts of `elec` under PME.
    public var elecDirect = 0.0
    public var elecReciprocal = 0.0
    public var elecSelf = 0.0
    public var elecExcluded = 0.0

    public init() {}

    public var total: Double { bond + angle + dihedral + improper + cmap + vdw + elec + vdw14 + elec14 + dispersionCorrection }

    /// The terms a user compares with another engine, in AMBER's order.
    public var rows: [(name: String, value: Double)] {
        [("bond", bond), ("angle", angle), ("dihedral", dihedral), ("improper", improper), ("cmap", cmap),
         ("vdw", vdw), ("elec", elec), ("vdw14", vdw14), ("elec14", elec14), ("dispersion", dispersionCorrection)]
    }
}
