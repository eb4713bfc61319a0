import AmberIO
import MDCore

/// The prmtop's terms among a set of atoms that a learned force field keeps exact (its physical prior;
/// the network learns the rest, Δ-learning): the bonded terms (bonds, angles, torsions, impropers,
/// CMAP, scaled 1-4 pairs) whose atoms all lie in the set, and optionally the Lennard-Jones between
/// the set's non-excluded pairs (no cutoff, minimum image). The bonded terms hold bonds and angles,
/// which a direct-force network gets wrong far from its training data; the Lennard-Jones core keeps
/// atoms that share no bonded term from meeting, which a network that never saw such contacts allows.
public final class AmberPrior: ForceProvider {
    public let terms: AmberTerms
    public var atomCount: Int { terms.atomCount }
    /// The terms of the last `compute` (electrostatics zero, van der Waals only with Lennard-Jones).
    public private(set) var lastEnergies = EnergyTerms()
    private let coulomb: Double
    private let cmap: CMAPTerms?
    /// Non-excluded pairs of the set with their A and B coefficients (empty without Lennard-Jones).
    public let lennardJonesPairs: [AmberTerms.Pair14]

    public init(terms all: AmberTerms, atoms: [Int], lennardJones: Bool = false, coulomb: ClassicalOptions.CoulombConstant = .amber) throws {
        var inSet = [Bool](repeating: false, count: all.atomCount)
        for a in atoms { inSet[a] = true }
        func kept(_ indices: Int32...) -> Bool { indices.allSatisfy { inSet[Int($0)] } }
        var terms = all
        terms.bonds = all.bonds.filter { kept($0.i, $0.j) }
        terms.angles = all.angles.filter { kept($0.i, $0.j, $0.k) }
        terms.propers = all.propers.filter { kept($0.i, $0.j, $0.k, $0.l) }
        terms.impropers = all.impropers.filter { kept($0.i, $0.j, $0.k, $0.l) }
        terms.pairs14 = all.pairs14.filter { kept($0.i, $0.j) }
        terms.cmaps = all.cmaps.filter { $0.atoms.allSatisfy { inSet[$0] } }
        self.terms = terms
        self.coulomb = coulomb.value
        cmap = terms.cmaps.isEmpty ? nil : try CMAPTerms(terms: terms)
        var pairs: [AmberTerms.Pair14] = []
        if lennardJones {
            let sorted = atoms.sorted()
            for (k, i) in sorted.enumerated() {
                let excluded = Set(all.exclusions[i])
                for j in sorted[(k + 1)...] where !excluded.contains(Int32(j)) {
                    let t = Int(all.ljTypes[i]) * all.ljTypeCount + Int(all.ljTypes[j])
                    pairs.append(AmberTerms.Pair14(i: Int32(i), j: Int32(j), chargeProduct: 0, a: all.ljA[t], b: all.ljB[t]))
                }
            }
        }
        lennardJonesPairs = pairs
    }

    public convenience init(prmtop: Prmtop, atoms: [Int], lennardJones: Bool = false) throws {
        try self.init(terms: AmberTerms(prmtop), atoms: atoms, lennardJones: lennardJones)
    }

    /// The prior's energy (bonded terms, and Lennard-Jones when asked); forces on atoms outside the set are zero.
    public func compute(positions: UnsafeBufferPointer<Double>, box: Box?, forces: UnsafeMutableBufferPointer<Double>) throws -> Double? {
        guard positions.count == 3 * atomCount, forces.count == 3 * atomCount else {
            throw ClassicalForceFieldError.badOptions("expected \(3 * atomCount) coordinates, got \(positions.count)")
        }
        forces.update(repeating: 0)
        var e = EnergyTerms()
        let geometry = PeriodicGeometry(box)
        BondedKernels.all(terms, cmap: cmap, coulomb: coulomb, positions, geometry, forces, into: &e)
        // Lennard-Jones alone is the 1-4 kernel with no charges and unscaled coefficients.
        if !lennardJonesPairs.isEmpty { e.vdw = BondedKernels.pairs14(lennardJonesPairs, coulomb: 0, positions, geometry, forces).vdw }
        lastEnergies = e
        guard e.total.isFinite else { throw ClassicalForceFieldError.nonFinite(worstAtom: ClassicalForceField.worstAtom(forces)) }
        return e.total
    }

    public func resetCaches() {}
}
