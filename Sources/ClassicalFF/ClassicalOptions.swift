import MDCore

/// How the classical force field treats nonbonded interactions, with OpenMM's defaults.
public struct ClassicalOptions: Sendable {
    public enum Nonbonded: Sendable, Equatable {
        /// Every pair, no periodicity (vacuum).
        case noCutoff
        /// Periodic: real-space Coulomb and Lennard-Jones within `cutoff` Å, smooth PME for the rest of
        /// the Coulomb sum with B-splines of order 5 and α and grid chosen from `tolerance` as OpenMM does.
        case pme(cutoff: Double, tolerance: Double)

        /// 9 Å and tolerance 2·10⁻⁴: tighter than OpenMM's 5·10⁻⁴, whose forces are 6-11·10⁻⁴ (relative
        /// RMS) from converged Ewald on the shipped systems; md's default keeps them under 3·10⁻⁴.
        public static let pmeDefault = Nonbonded.pme(cutoff: 9, tolerance: 2e-4)
    }

    /// AMBER's 332.0522173 (sander, pmemd) or OpenMM's 332.0637 kcal·Å/(mol·e²); they differ by 35 ppm.
    public enum CoulombConstant: String, Sendable {
        case amber, openmm

        public var value: Double { self == .amber ? Units.coulombAmber : Units.coulombOpenMM }
    }

    /// Pair kernels in Float with Double sums (OpenMM's "mixed", the default) or all in Double.
    public enum Precision: String, Sendable { case mixed, double }

    public var nonbonded: Nonbonded
    public var precision: Precision
    public var coulomb: CoulombConstant
    /// The long-range Lennard-Jones correction for periodic systems (on in OpenMM and AMBER by default).
    public var dispersionCorrection: Bool
    /// Verlet skin of the neighbour list, Å.
    public var skin: Double
    public var threads: Int

    public init(nonbonded: Nonbonded = .pmeDefault, precision: Precision = .mixed, coulomb: CoulombConstant = .amber,
                dispersionCorrection: Bool = true, skin: Double = 1, threads: Int = 2) {
        self.nonbonded = nonbonded
        self.precision = precision
        self.coulomb = coulomb
        self.dispersionCorrection = dispersionCorrection
        self.skin = skin
        self.threads = threads
    }
}
