import AmberIO
import MDCore

/// The AMBER energy function of a prmtop as flat, per-term parameter lists (kcal/mol, Å, radians, e),
/// ready for the kernels: bonded terms carry their own constants, 1-4 pairs their scaled products.
public struct AmberTerms: Sendable {
    public struct Bond: Sendable { public var i, j: Int32; public var k, r0: Double }
    public struct Angle: Sendable { public var i, j, k: Int32; public var force, theta0: Double }
    public struct Torsion: Sendable { public var i, j, k, l: Int32; public var barrier, periodicity, phase: Double }
    /// A 1-4 pair: Coulomb product k·qi·qj already divided by SCEE, LJ coefficients by SCNB.
    public struct Pair14: Sendable { public var i, j: Int32; public var chargeProduct, a, b: Double }

    public var atomCount: Int
    /// e.
    public var charges: [Double]
    public var bonds: [Bond]
    public var angles: [Angle]
    public var propers: [Torsion]
    public var impropers: [Torsion]
    /// Without the Coulomb constant (charge products only); the constant is applied by the kernel.
    public var pairs14: [Pair14]
    /// 0-based LJ type per atom and the type-pair A (r⁻¹²) and B (r⁻⁶) tables, ljTypeCount² each.
    public var ljTypes: [Int32]
    public var ljTypeCount: Int
    public var ljA: [Double]
    public var ljB: [Double]
    /// Excluded partners per atom, both directions, sorted: 1-2, 1-3 and 1-4 pairs as the prmtop lists them.
    public var exclusions: [[Int32]]
    public var cmaps: [Prmtop.CMAP]
    public var cmapGrids: [Prmtop.CMAPGrid]

    public init(_ prmtop: Prmtop) {
        atomCount = prmtop.atomCount
        charges = prmtop.charges
        bonds = prmtop.bonds.map {
            Bond(i: Int32($0.i), j: Int32($0.j), k: prmtop.bondForceConstants[$0.type], r0: prmtop.bondEquilibriumLengths[$0.type])
        }
        angles = prmtop.angles.map {
            Angle(i: Int32($0.i), j: Int32($0.j), k: Int32($0.k), force: prmtop.angleForceConstants[$0.type],
                  theta0: prmtop.angleEquilibriumValues[$0.type])
        }
        func torsion(_ d: Prmtop.Dihedral) -> Torsion {
            Torsion(i: Int32(d.i), j: Int32(d.j), k: Int32(d.k), l: Int32(d.l), barrier: prmtop.dihedralForceConstants[d.type],
                    periodicity: prmtop.dihedralPeriodicities[d.type], phase: prmtop.dihedralPhases[d.type])
        }
        propers = prmtop.dihedrals.filter { !$0.isImproper }.map(torsion)
        impropers = prmtop.dihedrals.filter(\.isImproper).map(torsion)

        ljTypeCount = prmtop.ljTypeCount
        ljTypes = prmtop.ljTypes.map { Int32($0) }
        var a = [Double](repeating: 0, count: ljTypeCount * ljTypeCount)
        var b = a
        for t in 0..<ljTypeCount {
            for u in 0..<ljTypeCount {
                let index = prmtop.nonbondedParmIndex[t * ljTypeCount + u]
                // Negative indices select 10-12 H-bond terms, which no current AMBER force field uses.
                if index > 0 {
                    a[t * ljTypeCount + u] = prmtop.ljACoefficients[index - 1]
                    b[t * ljTypeCount + u] = prmtop.ljBCoefficients[index - 1]
                }
            }
        }
        ljA = a
        ljB = b

        // One 1-4 pair per atom pair, from the first torsion that claims it (the file flags the rest).
        var seen = Set<Int64>()
        var pairs: [Pair14] = []
        for d in prmtop.dihedrals where !d.skipsOneFour && !d.isImproper {
            let (i, j) = (min(d.i, d.l), max(d.i, d.l))
            guard seen.insert(Int64(i) << 32 | Int64(j)).inserted else { continue }
            let scee = prmtop.scee[d.type], scnb = prmtop.scnb[d.type]
            let t = prmtop.ljTypes[i] * prmtop.ljTypeCount + prmtop.ljTypes[j]
            pairs.append(Pair14(i: Int32(i), j: Int32(j),
                                chargeProduct: scee > 0 ? prmtop.charges[i] * prmtop.charges[j] / scee : 0,
                                a: scnb > 0 ? a[t] / scnb : 0, b: scnb > 0 ? b[t] / scnb : 0))
        }
        pairs14 = pairs

        var excluded = [[Int32]](repeating: [], count: atomCount)
        for (atom, partners) in prmtop.exclusions.enumerated() {
            for p in partners where p != atom {
                excluded[atom].append(Int32(p))
                excluded[p].append(Int32(atom))
            }
        }
        exclusions = excluded.map { Array(Set($0)).sorted() }
        cmaps = prmtop.cmaps
        cmapGrids = prmtop.cmapGrids
    }

    /// Every excluded pair once (i < j).
    public var excludedPairs: [(Int32, Int32)] {
        var out: [(Int32, Int32)] = []
        for (i, partners) in exclusions.enumerated() {
            for j in partners where j > i { out.append((Int32(i), j)) }
        }
        return out
    }
}
