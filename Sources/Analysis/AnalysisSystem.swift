import AmberIO
import MDCore

/// What analysing trajectories of one system needs to know once: its topology, the atom groups, the
/// bonded reference geometry (with the terms the constraint rule holds rigid marked), the degrees of
/// freedom, and how to make the solute whole.
public struct AnalysisSystem: Sendable {
    public let prmtop: Prmtop
    public let topology: Topology
    public let selection: AtomSelection
    /// Assembles the solute; RMSD and Rg work on its output, indexed like `selection.solute`.
    public let solute: WholeMolecules
    /// Positions of the solute's heavy atoms within `selection.solute`.
    public let soluteHeavyLocal: [Int]
    public let soluteMasses: [Double]
    public let geometry: BondedGeometry
    public let kinetics: KineticTemperature
    public let contacts: NonbondedContacts
    /// The solute's own temperature (nil without solute atoms).
    public let soluteKinetics: KineticTemperature?

    public init(prmtop: Prmtop, constraints: ConstraintRule = .hBonds) {
        self.prmtop = prmtop
        topology = prmtop.topology
        selection = AtomSelection(topology: topology)
        solute = WholeMolecules(topology: topology, atoms: selection.solute)
        var local = [Int: Int]()
        for (k, a) in selection.solute.enumerated() { local[a] = k }
        soluteHeavyLocal = selection.soluteHeavy.compactMap { local[$0] }
        soluteMasses = selection.solute.map { prmtop.masses[$0] }
        geometry = BondedGeometry(prmtop: prmtop, constraints: constraints)
        contacts = NonbondedContacts(prmtop: prmtop, solute: selection.solute)
        kinetics = KineticTemperature(prmtop: prmtop, constraints: constraints)
        soluteKinetics = selection.solute.isEmpty ? nil : KineticTemperature(prmtop: prmtop, constraints: constraints, atoms: selection.solute)
    }

    public var atomCount: Int { prmtop.atomCount }

    /// "CA (ALA 2)": atom name with residue name and 1-based residue number.
    public func label(_ atom: Int) -> String {
        let residue = topology.residues[topology.atoms[atom].residueIndex]
        return "\(topology.atoms[atom].name) (\(residue.name) \(residue.number))"
    }
}
