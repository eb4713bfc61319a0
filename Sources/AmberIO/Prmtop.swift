import MDCore

/// The decoded content of a prmtop: atoms, residues, bonded terms with their parameter tables, the
/// Lennard-Jones tables, exclusions, CMAP and the periodic box. Atom and parameter indices are 0-based
/// (the file's `3·(i−1)` coordinate offsets and 1-based type numbers are undone on reading).
public struct Prmtop: Sendable {
    public struct Bond: Equatable, Sendable {
        public var i: Int, j: Int
        /// Index into `bondForceConstants` / `bondEquilibriumLengths`.
        public var type: Int
        public var involvesHydrogen: Bool
    }

    public struct Angle: Equatable, Sendable {
        public var i: Int, j: Int, k: Int
        public var type: Int
        public var involvesHydrogen: Bool
    }

    public struct Dihedral: Equatable, Sendable {
        public var i: Int, j: Int, k: Int, l: Int
        public var type: Int
        public var involvesHydrogen: Bool
        /// Negative third index in the file: the 1-4 pair is not computed from this term (it is shared
        /// with another term of a multi-term torsion, or lies in a ring).
        public var skipsOneFour: Bool
        /// Negative fourth index in the file.
        public var isImproper: Bool
    }

    public struct CMAP: Equatable, Sendable {
        /// The five atoms of two consecutive backbone torsions.
        public var atoms: [Int]
        /// Index into `cmapGrids`.
        public var type: Int
    }

    public struct CMAPGrid: Equatable, Sendable {
        public var resolution: Int
        /// resolution² values in kcal/mol, φ-major, both angles from −180° in steps of 360°/resolution.
        public var values: [Double]
    }

    public var path: String
    public var title: String
    public var version: String

    // Atoms
    public var atomNames: [String]
    /// Elementary charges (the file's values divided by 18.2223).
    public var charges: [Double]
    public var masses: [Double]
    public var elements: [Element]
    /// False when the prmtop lacks ATOMIC_NUMBER and elements were guessed from masses.
    public var elementsFromFile: Bool
    public var amberAtomTypes: [String]
    /// 0-based Lennard-Jones type of each atom.
    public var ljTypes: [Int]

    // Residues
    public var residueNames: [String]
    /// First atom of each residue, 0-based, ascending.
    public var residueStarts: [Int]

    // Bonded terms and their parameter tables (kcal/mol, Å, radians)
    public var bonds: [Bond]
    public var bondForceConstants: [Double]
    public var bondEquilibriumLengths: [Double]
    public var angles: [Angle]
    public var angleForceConstants: [Double]
    public var angleEquilibriumValues: [Double]
    public var dihedrals: [Dihedral]
    public var dihedralForceConstants: [Double]
    public var dihedralPeriodicities: [Double]
    public var dihedralPhases: [Double]
    /// 1-4 electrostatic and Lennard-Jones divisors per dihedral type (1.2 and 2.0 when the file has none).
    public var scee: [Double]
    public var scnb: [Double]
    public var cmaps: [CMAP]
    public var cmapGrids: [CMAPGrid]

    // Nonbonded
    public var ljTypeCount: Int
    /// ljTypeCount² entries: for types (a, b), index `a·ljTypeCount + b` gives the 1-based coefficient
    /// index (positive: ACOEF/BCOEF; negative: the 10-12 H-bond tables).
    public var nonbondedParmIndex: [Int]
    public var ljACoefficients: [Double]
    public var ljBCoefficients: [Double]
    public var hbondACoefficients: [Double]
    public var hbondBCoefficients: [Double]
    /// Excluded partners (0-based, each greater than the atom) per atom, as the file lists them.
    public var exclusions: [[Int]]

    // Periodicity and solvent
    public var box: Box?
    /// IFBOX: 0 none, 1 orthorhombic, 2 truncated octahedron, 3 general triclinic.
    public var boxKind: Int
    /// SOLVENT_POINTERS: last solute residue (1-based), molecule count, first solvent molecule (1-based).
    public var solventPointers: (lastSoluteResidue: Int, moleculeCount: Int, firstSolventMolecule: Int)?
    public var atomsPerMolecule: [Int]?
    /// Generalized Born radii and screening factors, when present.
    public var radii: [Double]?
    public var screen: [Double]?
    public var radiusSet: String?
    /// NUMEXTRA: extra points (TIP4P/OPC virtual sites).
    public var extraPointCount: Int

    public var atomCount: Int { atomNames.count }
    public var residueCount: Int { residueNames.count }

    /// Atoms of residue `r`.
    public func residueAtoms(_ r: Int) -> Range<Int> {
        residueStarts[r]..<(r + 1 < residueStarts.count ? residueStarts[r + 1] : atomCount)
    }

    /// Lennard-Jones A (r⁻¹²) and B (r⁻⁶) coefficients for a pair of atoms.
    public func ljCoefficients(_ a: Int, _ b: Int) -> (a: Double, b: Double) {
        let index = nonbondedParmIndex[ljTypes[a] * ljTypeCount + ljTypes[b]]
        return index > 0 ? (ljACoefficients[index - 1], ljBCoefficients[index - 1]) : (0, 0)
    }
}
