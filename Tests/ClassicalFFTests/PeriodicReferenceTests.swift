import XCTest
import AmberIO
@testable import ClassicalFF
import MDCore

/// Periodic PME against OpenMM at ewaldErrorTolerance 1e-6 (nearly exact Ewald), in orthorhombic and
/// truncated-octahedron cells.
final class PeriodicReferenceTests: XCTestCase {
    private func forceField(_ reference: OpenMMReference, tolerance: Double, precision: ClassicalOptions.Precision = .mixed) throws -> ClassicalForceField {
        try ClassicalForceField(prmtop: reference.prmtop,
                                options: ClassicalOptions(nonbonded: .pme(cutoff: 9, tolerance: tolerance), precision: precision, coulomb: .openmm))
    }

    func testDefaultSettingsMeetOpenMMReferenceAndTighteningHelps() throws {
        for system in ["ala2-water", "protein-octahedron", "chignolin-water"] {
            let reference = try OpenMMReference("\(system).pme.tol1e-6")
            let exact = try reference.forces("total")
            let box = reference.frame.box!
            guard case let .pme(_, defaultTolerance) = ClassicalOptions.Nonbonded.pmeDefault else { return XCTFail() }
            let standard = try forceField(reference, tolerance: defaultTolerance).evaluate(reference.frame.positions, box: box)
            let loose = try forceField(reference, tolerance: 5e-4).evaluate(reference.frame.positions, box: box)
            let fine = try forceField(reference, tolerance: 1e-6).evaluate(reference.frame.positions, box: box)
            let (standardError, looseError) = (OpenMMReference.relativeRMS(standard.forces, exact), OpenMMReference.relativeRMS(loose.forces, exact))
            let fineError = OpenMMReference.relativeRMS(fine.forces, exact)
            XCTAssertLessThan(standardError, 5e-4, "\(system) at md's default tolerance")
            XCTAssertLessThan(standardError, looseError, "\(system): tightening the tolerance must shrink the error")
            XCTAssertLessThan(fineError, standardError / 10, "\(system): tightening the tolerance must shrink the error")
            let total = reference.energies["total"]!
            XCTAssertEqual(fine.energy, total, accuracy: 2e-6 * abs(total), "\(system) total energy at 1e-6")
            let openMMLoose = try OpenMMReference("\(system).pme.tol5e-4").energies["total"]!
            XCTAssertEqual(loose.energy, openMMLoose, accuracy: 1e-5 * abs(total), "\(system) total energy at 5e-4 against OpenMM at 5e-4")
            print("PME \(system): relative RMS force error \(looseError) (tol 5e-4), \(standardError) (tol \(defaultTolerance)), \(fineError) (tol 1e-6); energy error \(fine.energy - total) kcal/mol at 1e-6")
        }
    }

    func testMatchesOpenMMAtItsOwnDefaultTolerance() throws {
        let reference = try OpenMMReference("ala2-water.pme.tol5e-4")
        let result = try forceField(reference, tolerance: 5e-4).evaluate(reference.frame.positions, box: reference.frame.box!)
        // Same α; md's grid is OpenMM CPU's (FFT-friendly), the reference platform's is unrounded.
        XCTAssertLessThan(OpenMMReference.relativeRMS(result.forces, try reference.forces("total")), 5e-4)
    }

    /// Moving atoms by lattice vectors (wrapping each into the cell on its own) changes nothing but
    /// rounding. A rigid translation by an arbitrary vector moves the charges against the PME grid, so it
    /// changes forces only within PME's own error, which shrinks with the tolerance.
    func testInvariantToWrappingAndTranslation() throws {
        for system in ["ala2-water", "protein-octahedron"] {
            let reference = try OpenMMReference("\(system).pme.tol1e-6")
            let box = reference.frame.box!
            let ff = try forceField(reference, tolerance: 2e-4)
            let base = try ff.evaluate(reference.frame.positions, box: box)
            let (a, b, c) = box.vectors
            func wrapped(_ x: [Double], shift: SIMD3<Double>) -> [Double] {
                var out = x
                for i in 0..<x.count / 3 {
                    var p = SIMD3(x[3 * i], x[3 * i + 1], x[3 * i + 2]) + shift
                    p -= c * (p.z / c.z).rounded(.down)
                    p -= b * (p.y / b.y).rounded(.down)
                    p -= a * (p.x / a.x).rounded(.down)
                    (out[3 * i], out[3 * i + 1], out[3 * i + 2]) = (p.x, p.y, p.z)
                }
                return out
            }
            let onlyWrapped = try ff.evaluate(wrapped(reference.frame.positions, shift: .zero), box: box)
            XCTAssertEqual(onlyWrapped.energy, base.energy, accuracy: 1e-6 * abs(base.energy), system)
            XCTAssertLessThan(OpenMMReference.relativeRMS(onlyWrapped.forces, base.forces), 1e-6, system)

            let shift = SIMD3(7.3, -12.1, 19.7)
            let translated = try ff.evaluate(wrapped(reference.frame.positions, shift: shift), box: box)
            XCTAssertEqual(translated.energy, base.energy, accuracy: 2e-4 * abs(base.energy), system)
            XCTAssertLessThan(OpenMMReference.relativeRMS(translated.forces, base.forces), 5e-4, system)
            let fine = try forceField(reference, tolerance: 1e-6)
            let fineBase = try fine.evaluate(reference.frame.positions, box: box)
            let fineTranslated = try fine.evaluate(wrapped(reference.frame.positions, shift: shift), box: box)
            XCTAssertLessThan(OpenMMReference.relativeRMS(fineTranslated.forces, fineBase.forces), 1e-5, system)
        }
    }

    /// −∇E by central differences on atoms of the solute and of a water, PME and all, in double
    /// precision (Float energy sums are too coarse for a 10⁻⁴ Å step).
    func testForcesAreMinusTheGradient() throws {
        let reference = try OpenMMReference("ala2-water.pme.tol1e-6")
        let box = reference.frame.box!
        let ff = try forceField(reference, tolerance: 5e-4, precision: .double)
        var x = reference.frame.positions
        let forces = try ff.evaluate(x, box: box).forces
        let h = 1e-4
        for atom in [0, 8, 14, 500, 1911] {
            for d in 0..<3 {
                let k = 3 * atom + d
                let saved = x[k]
                x[k] = saved + h
                let plus = try ff.evaluate(x, box: box).energy
                x[k] = saved - h
                let minus = try ff.evaluate(x, box: box).energy
                x[k] = saved
                let numeric = -(plus - minus) / (2 * h)
                XCTAssertEqual(forces[k], numeric, accuracy: 1e-5 * max(1, abs(numeric)), "atom \(atom) axis \(d)")
            }
        }
    }
}
