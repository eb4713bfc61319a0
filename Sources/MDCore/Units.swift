/// Units inside md are AMBER's: Å, ps, kcal/mol, amu, K, elementary charge.
/// Conversions happen at the edges (file formats, reports, comparisons with other engines).
public enum Units {
    /// kJ → kcal.
    public static let kcalPerKJ = 1.0 / 4.184
    /// nm → Å.
    public static let angstromPerNanometer = 10.0

    /// AMBER's Coulomb constant, kcal·Å/(mol·e²); prmtop charges are stored multiplied by its square root.
    public static let coulombAmber = 332.0522173
    /// The factor prmtop CHARGE values carry (√332.0522173, as tleap writes it).
    public static let amberChargeScale = 18.2223
    /// OpenMM's Coulomb constant, 138.935456 kJ·nm/(mol·e²), in kcal·Å/(mol·e²): ≈35 ppm above AMBER's.
    public static let coulombOpenMM = 138.93545764438198 * angstromPerNanometer * kcalPerKJ

    /// Boltzmann constant in kcal/(mol·K) (CODATA 2018 via OpenMM's 0.008314462618 kJ/(mol·K)).
    public static let boltzmann = 0.008314462618 * kcalPerKJ

    /// AMBER files store velocities in Å per (1/20.455) ps; multiply by this to get Å/ps.
    public static let amberVelocityScale = 20.455

    /// 1 kcal/mol/Å in meV/Å (1 kcal/mol = 4184 J/mol ÷ 96485.33212 C/mol = 43.3641 meV).
    public static let meVPerKcalPerMol = 4184.0 / 96485.33212 * 1000.0
}
