import Foundation
import XCTest
import AmberIO
@testable import ClassicalFF
import MDCore

/// The bonded prior of learned models against OpenMM's per-term references, by finite differences,
/// and restricted to a subset of atoms.
final class AmberPriorTests: XCTestCase {
    private func fixture(_ name: String) -> String {
        OpenMMReference.root.appendingPathComponent("Tests/Fixtures/\(name)").path
    }

    private func compute(_ field: AmberPrior, _ x: [Double], box: Box? = nil) throws -> (Double, [Double]) {
        var f = [Double](repeating: 0, count: x.count)
        let e = try x.withUnsafeBufferPointer { x in try f.withUnsafeMutableBufferPointer { try field.compute(positions: x, box: box, forces: $0) } }
        return (try XCTUnwrap(e), f)
    }

    /// Over every atom of alanine dipeptide: the sum of OpenMM's bond, angle, torsion, improper and 1-4 terms.
    func testAllAtomsGiveOpenMMsBondedTerms() throws {
        let reference = try OpenMMReference("ala2-vacuum.nocutoff")
        let field = try AmberPrior(terms: AmberTerms(reference.prmtop), atoms: Array(0..<reference.prmtop.atomCount), coulomb: .openmm)
        let (energy, forces) = try compute(field, reference.frame.positions)
        let names = ["bond", "angle", "proper", "improper", "coulomb14", "lj14"]
        let expected = names.reduce(0.0) { $0 + reference.energies[$1]! }
        XCTAssertEqual(energy, expected, accuracy: 1e-6 * abs(expected))
        var sum = [Double](repeating: 0, count: forces.count)
        for name in names { for (k, v) in try reference.forces(name).enumerated() { sum[k] += v } }
        XCTAssertLessThan(OpenMMReference.relativeRMS(forces, sum), 1e-5)

        // With Lennard-Jones: OpenMM's all-pairs LJ term besides (vacuum, no cutoff).
        let withLJ = try AmberPrior(terms: AmberTerms(reference.prmtop), atoms: Array(0..<reference.prmtop.atomCount), lennardJones: true,
                                    coulomb: .openmm)
        let (energyLJ, forcesLJ) = try compute(withLJ, reference.frame.positions)
        XCTAssertEqual(energyLJ, expected + reference.energies["lj"]!, accuracy: 1e-6 * abs(expected))
        for (k, v) in try reference.forces("lj").enumerated() { sum[k] += v }
        XCTAssertLessThan(OpenMMReference.relativeRMS(forcesLJ, sum), 1e-5)
    }

    /// Forces are −∇E (central differences), CMAP and Lennard-Jones included (ff19SB).
    func testForcesAreTheEnergyGradient() throws {
        let reference = try OpenMMReference("ala3-ff19sb-vacuum.nocutoff")
        let field = try AmberPrior(prmtop: reference.prmtop, atoms: Array(0..<reference.prmtop.atomCount), lennardJones: true)
        XCTAssertFalse(field.terms.cmaps.isEmpty)
        var x = reference.frame.positions
        let (_, forces) = try compute(field, x)
        let h = 1e-5
        for k in Swift.stride(from: 0, to: x.count, by: 7) {
            let x0 = x[k]
            x[k] = x0 + h; let (ep, _) = try compute(field, x)
            x[k] = x0 - h; let (em, _) = try compute(field, x)
            x[k] = x0
            XCTAssertEqual(forces[k], -(ep - em) / (2 * h), accuracy: 1e-5 * max(1, abs(forces[k])), "coordinate \(k)")
        }
    }

    /// Over the peptide of solvated alanine dipeptide: the peptide's terms only, so water atoms feel
    /// nothing and the peptide feels what it feels in vacuum (same terms, same coordinates, minimum image).
    func testSubsetKeepsOnlyTermsWithinIt() throws {
        let water = try Prmtop(contentsOf: fixture("ala2-water.prmtop"))
        let frame = try Rst7.read(fixture("ala2-water.rst7")).frame
        let peptide = Array(0..<22)
        XCTAssertTrue(water.topology.atoms[22...].allSatisfy { water.topology.residues[$0.residueIndex].name == "WAT" })
        let field = try AmberPrior(prmtop: water, atoms: peptide)
        let (energy, forces) = try compute(field, frame.positions, box: frame.box)
        XCTAssertTrue(forces[66...].allSatisfy { $0 == 0 })
        let vacuum = try Prmtop(contentsOf: fixture("ala2-vacuum.prmtop"))
        let alone = try AmberPrior(prmtop: vacuum, atoms: peptide)
        let (expectedEnergy, expectedForces) = try compute(alone, Array(frame.positions[0..<66]))
        XCTAssertEqual(energy, expectedEnergy, accuracy: 1e-9 * abs(expectedEnergy))
        for k in 0..<66 { XCTAssertEqual(forces[k], expectedForces[k], accuracy: 1e-9 * max(1, abs(expectedForces[k]))) }
        XCTAssertGreaterThan(AmberTerms(water).bonds.count, field.terms.bonds.count)
    }
}
