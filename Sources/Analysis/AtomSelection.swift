import MDCore

/// The atom groups a trajectory comparison measures, from residue names (MDCore's `ResidueKind`):
/// the solute is every atom outside water and ion residues; heavy atoms are those that are not
/// hydrogen (nor massless extra points); protein atoms are the paper's loss atoms; water oxygens
/// feed the O–O radial distribution. All lists are ascending atom indices.
public struct AtomSelection: Sendable, Equatable {
    public var solute: [Int]
    public var soluteHeavy: [Int]
    public var protein: [Int]
    public var waterOxygens: [Int]

    public init(topology: Topology) {
        var solute: [Int] = [], heavy: [Int] = [], protein: [Int] = [], oxygens: [Int] = []
        for residue in topology.residues {
            let kind = residue.kind
            for atom in residue.atoms {
                let element = topology.atoms[atom].element
                switch kind {
                case .water:
                    if element == .oxygen { oxygens.append(atom) }
                case .ion:
                    break
                case .protein, .nucleic, .other:
                    solute.append(atom)
                    if element != .hydrogen && element != .none { heavy.append(atom) }
                    if kind == .protein { protein.append(atom) }
                }
            }
        }
        self.solute = solute
        soluteHeavy = heavy
        self.protein = protein
        waterOxygens = oxygens
    }
}
