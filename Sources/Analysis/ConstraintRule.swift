import AmberIO
import MDCore

/// Which bonded degrees of freedom the simulations held rigid. Trajectories do not record it, so the
/// analysis is told: `.hBonds` is md simulate's default (AMBER's ntc=2 with rigid water: every bond
/// to hydrogen, and three-site waters as rigid triangles), `.none` is fully flexible. It sets the
/// temperature's degrees of freedom and which bonds and angles count as free (their deviations are
/// the informative ones; constrained terms sit at zero deviation).
public enum ConstraintRule: String, Codable, Sendable {
    case hBonds = "hbonds"
    case none

    /// Atoms of the three-site waters (one O, two H) that SETTLE holds rigid.
    public static func rigidWaterAtoms(_ prmtop: Prmtop) -> (atoms: Set<Int>, waters: Int) {
        var atoms = Set<Int>()
        var waters = 0
        for r in 0..<prmtop.residueCount where ResidueKind(residueName: prmtop.residueNames[r]) == .water {
            let range = prmtop.residueAtoms(r)
            let oxygens = range.filter { prmtop.elements[$0] == .oxygen }.count
            let hydrogens = range.filter { prmtop.elements[$0] == .hydrogen }.count
            guard range.count == 3, oxygens == 1, hydrogens == 2 else { continue }
            atoms.formUnion(range)
            waters += 1
        }
        return (atoms, waters)
    }
}
