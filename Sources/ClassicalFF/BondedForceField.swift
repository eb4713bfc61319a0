import AmberIO
import MDCore

/// The prmtop's bonded terms among a set of atoms: bonds, angles, torsions, impropers, CMAP and the
/// scaled 1-4 pairs, every term whose atoms all lie in the set. It is the physical prior of a learned
/// force field that learns only the rest (Δ-learning): the stiff, local forces that hold bonds and
/// angles, which a direct-force network gets wrong far from its training data, stay exact and
/// conservative, and the network learns the non-bonded environment.
public final class BondedForceField: ForceProvider {
    public let terms: AmberTerms
    public var atomCount: Int { terms.atomCount }
    /// The terms of the last `compute` (non-bonded ones zero).
    public private(set) var lastEnergies = EnergyTerms()
    private let coulomb: Double
    private let cmap: CMAPTerms?

    public init(terms all: AmberTerms, atoms: [Int], coulomb: ClassicalOptions.CoulombConstant = .amber) throws {
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
    }

    public convenience init(prmtop: Prmtop, atoms: [Int]) throws {
        try self.init(terms: AmberTerms(prmtop), atoms: atoms)
    }

    /// The bonded energy; forces on atoms outside the set are zero.
    public func compute(positions: UnsafeBufferPointer<Double>, box: Box?, forces: UnsafeMutableBufferPointer<Double>) throws -> Double? {
        guard positions.count == 3 * atomCount, forces.count == 3 * atomCount else {
            throw ClassicalForceFieldError.badOptions("expected \(3 * atomCount) coordinates, got \(positions.count)")
        }
        forces.update(repeating: 0)
        var e = EnergyTerms()
        BondedKernels.all(terms, cmap: cmap, coulomb: coulomb, positions, PeriodicGeometry(box), forces, into: &e)
        lastEnergies = e
        guard e.total.isFinite else { throw ClassicalForceFieldError.nonFinite(worstAtom: ClassicalForceField.worstAtom(forces)) }
        return e.total
    }

    public func resetCaches() {}
}
