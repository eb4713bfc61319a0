import AmberIO
import MDCore

/// Instantaneous temperature from a frame's velocities: T = 2 K / (n_dof k_B) with K = ½ Σ m v².
///
/// Trajectories do not record which constraints the run held, so the degrees of freedom follow a
/// stated `ConstraintRule`: with `.hBonds` (md simulate's default, AMBER's ntc=2 with rigid water) every
/// three-site water residue holds 3 constraints and every other bond to hydrogen 1; with `.none`
/// nothing is constrained. Three more are removed for the centre-of-mass motion md removes. Massless
/// extra points carry no degrees of freedom. This is the count `Integrators.Dynamics` uses for the
/// same options, recomputed here from the prmtop so that analysis does not depend on the integrators.
public struct KineticTemperature: Sendable {
    public let masses: [Double]
    public let degreesOfFreedom: Int
    /// The rule in words, for reports.
    public let rule: String

    /// 1 amu·Å²/ps² in kcal/mol (10 J/mol).
    public static let kcalPerAmuAngstrom2PerPs2 = 1.0 / 418.4

    public init(masses: [Double], degreesOfFreedom: Int, rule: String) {
        self.masses = masses
        self.degreesOfFreedom = degreesOfFreedom
        self.rule = rule
    }

    public init(prmtop: Prmtop, constraints: ConstraintRule, centerOfMassRemoved: Bool = true) {
        let massive = prmtop.masses.filter { $0 > 0 }.count
        var constrained = 0
        var waterRule = 0, hydrogenRule = 0
        if constraints == .hBonds {
            let (waterAtoms, waters) = ConstraintRule.rigidWaterAtoms(prmtop)
            waterRule = waters
            hydrogenRule = prmtop.bonds.filter { $0.involvesHydrogen && !waterAtoms.contains($0.i) && !waterAtoms.contains($0.j) }.count
            constrained = 3 * waterRule + hydrogenRule
        }
        let com = centerOfMassRemoved ? 3 : 0
        masses = prmtop.masses
        degreesOfFreedom = 3 * massive - constrained - com
        let comText = centerOfMassRemoved ? "centre of mass removed" : "centre of mass free"
        rule = constraints == .hBonds
            ? "3N − 3·waters − H-bonds − \(com) = 3·\(massive) − 3·\(waterRule) − \(hydrogenRule) − \(com) = \(degreesOfFreedom) (rigid water, bonds to H constrained, \(comText))"
            : "3N − \(com) = 3·\(massive) − \(com) = \(degreesOfFreedom) (no constraints, \(comText))"
    }

    /// The temperature of a subset of atoms (the solute): its kinetic energy over its own degrees of
    /// freedom, 3n less the constraints wholly inside it (no centre-of-mass term: the subset's momentum
    /// is free). In learned MD this is the thermometer of the atoms the network drives, which can run
    /// hot while the thermostat holds the whole system near its target.
    public init(prmtop: Prmtop, constraints: ConstraintRule, atoms: [Int]) {
        let inSet = Set(atoms)
        var constrained = 0
        if constraints == .hBonds {
            let (waterAtoms, _) = ConstraintRule.rigidWaterAtoms(prmtop)
            let rigid = waterAtoms.intersection(inSet).count   // three atoms, three constraints per water
            constrained = rigid + prmtop.bonds.filter {
                $0.involvesHydrogen && inSet.contains($0.i) && inSet.contains($0.j) && !waterAtoms.contains($0.i)
            }.count
        }
        let massive = atoms.filter { prmtop.masses[$0] > 0 }.count
        masses = prmtop.masses.indices.map { inSet.contains($0) ? prmtop.masses[$0] : 0 }
        degreesOfFreedom = 3 * massive - constrained
        rule = "3n − constraints within = 3·\(massive) − \(constrained) = \(degreesOfFreedom) (\(atoms.count) solute atoms)"
    }

    /// ½ Σ m v², kcal/mol; `velocities` in Å/ps, flat [x0, y0, z0, …].
    public func kineticEnergy(_ velocities: [Double]) -> Double {
        precondition(velocities.count == 3 * masses.count, "KineticTemperature: one velocity per atom")
        var sum = 0.0
        for a in 0..<masses.count {
            let v = SIMD3(velocities[3 * a], velocities[3 * a + 1], velocities[3 * a + 2])
            sum += masses[a] * (v * v).sum()
        }
        return 0.5 * sum * Self.kcalPerAmuAngstrom2PerPs2
    }

    /// Kelvin.
    public func temperature(_ velocities: [Double]) -> Double {
        2 * kineticEnergy(velocities) / (Double(max(degreesOfFreedom, 1)) * Units.boltzmann)
    }
}
