import XCTest
import AmberIO
@testable import ClassicalFF
import MDCore

/// Per-term energies and forces without cutoff against OpenMM: 1e-6 relative in energy, 1e-5 relative
/// RMS in force (the bar); md meets them by orders of magnitude.
final class VacuumReferenceTests: XCTestCase {
    /// One term evaluated alone, by the same kernels the force field uses.
    private func term(_ name: String, _ terms: AmberTerms, _ x: [Double]) -> (Double, [Double]) {
        var f = [Double](repeating: 0, count: x.count)
        let coulomb = Units.coulombOpenMM
        let g = PeriodicGeometry(nil)
        let e: Double = x.withUnsafeBufferPointer { x in
            f.withUnsafeMutableBufferPointer { f in
                switch name {
                case "bond": return BondedKernels.bonds(terms.bonds, x, g, f)
                case "angle": return BondedKernels.angles(terms.angles, x, g, f)
                case "proper": return BondedKernels.torsions(terms.propers, x, g, f)
                case "improper": return BondedKernels.torsions(terms.impropers, x, g, f)
                case "coulomb14":
                    let pairs = terms.pairs14.map { AmberTerms.Pair14(i: $0.i, j: $0.j, chargeProduct: $0.chargeProduct, a: 0, b: 0) }
                    return BondedKernels.pairs14(pairs, coulomb: coulomb, x, g, f).elec
                case "lj14": return BondedKernels.pairs14(terms.pairs14, coulomb: 0, x, g, f).vdw
                case "coulomb":
                    var t = terms
                    t.ljA = t.ljA.map { _ in 0 }
                    t.ljB = t.ljB.map { _ in 0 }
                    return NoCutoffNonbonded(terms: t, coulomb: coulomb, threads: 2).compute(x, f).elec
                case "lj":
                    return NoCutoffNonbonded(terms: terms, coulomb: 0, threads: 2).compute(x, f).vdw
                default: fatalError(name)
                }
            }
        }
        return (e, f)
    }

    private func check(_ caseName: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try OpenMMReference(caseName)
        let terms = AmberTerms(reference.prmtop)
        for name in ["bond", "angle", "proper", "improper", "coulomb", "lj", "coulomb14", "lj14"] {
            let (energy, forces) = term(name, terms, reference.frame.positions)
            let expected = reference.energies[name]!
            XCTAssertEqual(energy, expected, accuracy: max(1e-6 * abs(expected), 1e-9), "\(caseName) \(name) energy", file: file, line: line)
            let error = OpenMMReference.relativeRMS(forces, try reference.forces(name))
            XCTAssertLessThan(error, expected == 0 ? 1 : 1e-5, "\(caseName) \(name) forces", file: file, line: line)
        }
        let forceField = try ClassicalForceField(prmtop: reference.prmtop, options: ClassicalOptions(nonbonded: .noCutoff, coulomb: .openmm))
        let (total, forces) = try forceField.evaluate(reference.frame.positions, box: nil)
        XCTAssertEqual(total, reference.energies["total"]!, accuracy: 1e-6 * abs(reference.energies["total"]!), file: file, line: line)
        XCTAssertLessThan(OpenMMReference.relativeRMS(forces, try reference.forces("total")), 1e-5, file: file, line: line)
    }

    func testAlanineDipeptideEveryTerm() throws { try check("ala2-vacuum.nocutoff") }

    func testFF19SBWithCMAP() throws {
        let reference = try OpenMMReference("ala3-ff19sb-vacuum.nocutoff")
        let forceField = try ClassicalForceField(prmtop: reference.prmtop, options: ClassicalOptions(nonbonded: .noCutoff, coulomb: .openmm))
        let (total, forces) = try forceField.evaluate(reference.frame.positions, box: nil)
        XCTAssertEqual(forceField.lastEnergies.cmap, reference.energies["cmap"]!, accuracy: 1e-9)
        XCTAssertEqual(total, reference.energies["total"]!, accuracy: 1e-6 * abs(reference.energies["total"]!))
        XCTAssertLessThan(OpenMMReference.relativeRMS(forces, try reference.forces("total")), 1e-5)
    }

    func testTranslationAndRotationLeaveVacuumEnergyUnchanged() throws {
        let reference = try OpenMMReference("ala2-vacuum.nocutoff")
        let forceField = try ClassicalForceField(prmtop: reference.prmtop, options: ClassicalOptions(nonbonded: .noCutoff))
        let base = try forceField.evaluate(reference.frame.positions, box: nil)
        // Rotation by 40° about z, then a translation.
        let (c, s) = (cos(0.7), sin(0.7))
        var moved = reference.frame.positions
        for i in 0..<moved.count / 3 {
            let (x, y, z) = (moved[3 * i], moved[3 * i + 1], moved[3 * i + 2])
            (moved[3 * i], moved[3 * i + 1], moved[3 * i + 2]) = (c * x - s * y + 13.1, s * x + c * y - 4.2, z + 101.5)
        }
        let after = try forceField.evaluate(moved, box: nil)
        XCTAssertEqual(after.energy, base.energy, accuracy: 1e-10 * abs(base.energy))
        for i in 0..<moved.count / 3 {
            let (fx, fy) = (base.forces[3 * i], base.forces[3 * i + 1])
            XCTAssertEqual(after.forces[3 * i], c * fx - s * fy, accuracy: 1e-9)
            XCTAssertEqual(after.forces[3 * i + 1], s * fx + c * fy, accuracy: 1e-9)
            XCTAssertEqual(after.forces[3 * i + 2], base.forces[3 * i + 2], accuracy: 1e-9)
        }
    }

    func testSolvatedChignolinWithoutCutoff() throws { try check("chignolin-water.nocutoff") }

    /// Forces are the negative gradient of the energy (central differences, every atom, every axis).
    func testForcesAreMinusTheGradient() throws {
        let reference = try OpenMMReference("ala2-vacuum.nocutoff")
        let forceField = try ClassicalForceField(prmtop: reference.prmtop, options: ClassicalOptions(nonbonded: .noCutoff))
        var x = reference.frame.positions
        let (_, forces) = try forceField.evaluate(x, box: nil)
        let h = 1e-5
        var worst = 0.0
        for k in 0..<x.count {
            let saved = x[k]
            x[k] = saved + h
            let plus = try forceField.evaluate(x, box: nil).energy
            x[k] = saved - h
            let minus = try forceField.evaluate(x, box: nil).energy
            x[k] = saved
            worst = max(worst, abs(-(plus - minus) / (2 * h) - forces[k]) / max(1, abs(forces[k])))
        }
        XCTAssertLessThan(worst, 1e-6)
    }
}
