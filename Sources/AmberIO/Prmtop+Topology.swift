import MDCore

extension Prmtop {
    /// The engine-facing topology: names, elements, charges, masses, residues and bonds.
    public var topology: Topology {
        var atoms: [Topology.Atom] = []
        atoms.reserveCapacity(atomCount)
        var residues: [Topology.Residue] = []
        for r in 0..<residueCount {
            let range = residueAtoms(r)
            residues.append(Topology.Residue(name: residueNames[r], atoms: range, number: r + 1))
            for a in range {
                atoms.append(Topology.Atom(name: atomNames[a], element: elements[a], residueIndex: r,
                                           charge: charges[a], mass: masses[a]))
            }
        }
        return Topology(atoms: atoms, residues: residues, bonds: bonds.map { Topology.Bond($0.i, $0.j) })
    }
}
