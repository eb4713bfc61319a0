import AmberIO
import Foundation
import MDCore
import XCTest
@testable import ClassicalFF

/// CMAP (ff19SB) against OpenMM's CMAPTorsionForce, finite differences and the tabulated grid.
final class CMAPTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    private static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    private static func ala3() throws -> (terms: AmberTerms, positions: [Double]) {
        let prmtop = try Prmtop(contentsOf: fixture("ala3-ff19sb-vacuum.prmtop"))
        let frame = try Rst7.read(fixture("ala3-ff19sb-vacuum.perturbed.rst7"), expectedAtomCount: prmtop.atomCount).frame
        return (AmberTerms(prmtop), frame.positions)
    }

    /// Energy and forces (from zero).
    private static func evaluate(_ cmap: CMAPTerms, _ positions: [Double], box: Box? = nil) -> (energy: Double, forces: [Double]) {
        var forces = [Double](repeating: 0, count: positions.count)
        let g = PeriodicGeometry(box)
        let energy = positions.withUnsafeBufferPointer { x in
            forces.withUnsafeMutableBufferPointer { f in cmap.compute(x, g, f) }
        }
        return (energy, forces)
    }

    private static func relativeRMS(_ f: [Double], _ reference: [Double]) -> Double {
        var diff = 0.0, norm = 0.0
        for i in f.indices {
            diff += (f[i] - reference[i]) * (f[i] - reference[i])
            norm += reference[i] * reference[i]
        }
        return (diff / norm).squareRoot()
    }

    /// IUPAC dihedral (radians) of four points, independent of the kernel's formulation.
    private static func dihedral(_ p0: SIMD3<Double>, _ p1: SIMD3<Double>, _ p2: SIMD3<Double>, _ p3: SIMD3<Double>) -> Double {
        let b0 = p0 - p1, b1 = p2 - p1, b2 = p3 - p2
        let axis = b1 / length(b1)
        let v = b0 - axis * dot(b0, axis), w = b2 - axis * dot(b2, axis)
        return atan2(dot(cross(axis, v), w), dot(v, w))
    }

    /// Five atoms whose dihedrals (0,1,2,3) and (1,2,3,4) are φ and ψ (radians), built with NeRF.
    private static func fiveAtoms(phi: Double, psi: Double) -> [SIMD3<Double>] {
        func place(_ a: SIMD3<Double>, _ b: SIMD3<Double>, _ c: SIMD3<Double>, bond: Double, angle: Double, torsion: Double) -> SIMD3<Double> {
            let bc = (c - b) / length(c - b)
            let nrm = cross(b - a, bc)
            let n = nrm / length(nrm)
            let m = cross(n, bc)
            let d = SIMD3(-bond * cos(angle), bond * sin(angle) * cos(torsion), bond * sin(angle) * sin(torsion))
            return c + bc * d.x + m * d.y + n * d.z
        }
        let p0 = SIMD3<Double>(0.3, -1.2, 0.4)
        let p1 = SIMD3<Double>(1.1, -0.4, 0.2)
        let p2 = SIMD3<Double>(2.45, -0.9, 0.35)
        let theta = 111.0 * Double.pi / 180
        let p3 = place(p0, p1, p2, bond: 1.52, angle: theta, torsion: phi)
        let p4 = place(p1, p2, p3, bond: 1.33, angle: 1.02 * theta, torsion: psi)
        return [p0, p1, p2, p3, p4]
    }

    /// The ala3 system with a single CMAP term whose five atoms sit at `atoms`; every other atom at 0.
    private static func single(_ terms: AmberTerms, _ atoms: [SIMD3<Double>]) -> (terms: AmberTerms, positions: [Double]) {
        var t = terms
        t.cmaps = [terms.cmaps[0]]
        var x = [Double](repeating: 0, count: 3 * terms.atomCount)
        for (k, atom) in terms.cmaps[0].atoms.enumerated() {
            for d in 0..<3 { x[3 * atom + d] = atoms[k][d] }
        }
        return (t, x)
    }

    // MARK: - OpenMM

    func testMatchesOpenMMReference() throws {
        let (terms, positions) = try Self.ala3()
        XCTAssertEqual(terms.cmaps.count, 3)
        XCTAssertEqual(terms.cmapGrids.map(\.resolution), [24])

        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("reference/index.json")))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(json["cases"] as? [String: Any])
        let entry = try XCTUnwrap(cases["ala3-ff19sb-vacuum.nocutoff"] as? [String: Any])
        XCTAssertEqual(entry["coordinates"] as? String, "Tests/Fixtures/ala3-ff19sb-vacuum.perturbed.rst7")
        let referenceEnergy = try XCTUnwrap((entry["energies"] as? [String: Any])?["cmap"] as? Double)
        let forceEntry = try XCTUnwrap((entry["forces"] as? [String: Any])?["cmap"] as? [String: Any])
        let file = try XCTUnwrap(forceEntry["file"] as? String)
        let rows = try XCTUnwrap(forceEntry["rows"] as? Int)
        let raw = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("reference/" + file)))
        XCTAssertEqual(raw.count, rows * 3 * 8)
        let values: [Double] = (0..<(rows * 3)).map { k in
            Double(bitPattern: raw.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)) })
        }
        var referenceForces = [Double](repeating: 0, count: 3 * terms.atomCount)
        let rowAtoms = (forceEntry["atoms"] as? [Int]) ?? Array(0..<rows)
        for (row, atom) in rowAtoms.enumerated() {
            for d in 0..<3 { referenceForces[3 * atom + d] = values[3 * row + d] }
        }

        let cmap = try CMAPTerms(terms: terms)
        let (energy, forces) = Self.evaluate(cmap, positions)
        let energyError = abs(energy - referenceEnergy) / abs(referenceEnergy)
        let forceError = Self.relativeRMS(forces, referenceForces)
        print("CMAP vs OpenMM: E \(energy) ref \(referenceEnergy) relE \(energyError) relF(RMS) \(forceError)")
        XCTAssertLessThan(energyError, 1e-8)
        XCTAssertLessThan(forceError, 1e-6)
        // Forces only on the CMAP atoms, and they sum to zero.
        let cmapAtoms = Set(terms.cmaps.flatMap(\.atoms))
        for atom in 0..<terms.atomCount where !cmapAtoms.contains(atom) {
            XCTAssertEqual(forces[3 * atom ..< 3 * atom + 3], [0, 0, 0])
        }
        for d in 0..<3 {
            XCTAssertEqual(stride(from: d, to: forces.count, by: 3).map { forces[$0] }.reduce(0, +), 0, accuracy: 1e-12)
        }
    }

    // MARK: - Finite differences

    private static func checkFiniteDifferences(_ cmap: CMAPTerms, _ positions: [Double], box: Box? = nil,
                                               file: StaticString = #filePath, line: UInt = #line) {
        let (_, forces) = evaluate(cmap, positions, box: box)
        let h = 1e-5
        var numeric = [Double](repeating: 0, count: positions.count)
        var x = positions
        for k in positions.indices where forces[k] != 0 {
            x[k] = positions[k] + h
            let up = evaluate(cmap, x, box: box).energy
            x[k] = positions[k] - h
            let down = evaluate(cmap, x, box: box).energy
            x[k] = positions[k]
            numeric[k] = -(up - down) / (2 * h)
        }
        let error = relativeRMS(forces, numeric)
        XCTAssertLessThan(error, 1e-6, "relative RMS force error vs central differences", file: file, line: line)
        let scale = numeric.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0, file: file, line: line)
        for k in positions.indices {
            XCTAssertEqual(forces[k], numeric[k], accuracy: 1e-6 * scale, "component \(k)", file: file, line: line)
        }
    }

    func testForcesAreMinusGradientOnPerturbedGeometry() throws {
        let (terms, positions) = try Self.ala3()
        let cmap = try CMAPTerms(terms: terms)
        Self.checkFiniteDifferences(cmap, positions)
        // Periodic: the same, with atoms scattered over images of a box.
        let box = Box(a: 7, b: 8, c: 9, alpha: 80, beta: 100, gamma: 95)
        let (a, b, c) = box.vectors
        var shifted = positions
        for atom in 0..<terms.atomCount {
            let s = a * Double(atom % 3 - 1) + b * Double(atom % 2) - c * Double(atom % 5 / 2)
            for d in 0..<3 { shifted[3 * atom + d] += s[d] }
        }
        let plain = Self.evaluate(cmap, positions), wrapped = Self.evaluate(cmap, shifted, box: box)
        XCTAssertEqual(wrapped.energy, plain.energy, accuracy: 1e-10 * abs(plain.energy))
        XCTAssertLessThan(Self.relativeRMS(wrapped.forces, plain.forces), 1e-10)
        Self.checkFiniteDifferences(cmap, shifted, box: box)
    }

    func testForcesAreMinusGradientAcrossTheMap() throws {
        let (terms, _) = try Self.ala3()
        // Points all over the map, including close to ±180° and patch edges.
        let degrees: [(Double, Double)] = [(-63, -41), (-150, 155), (179.9, -179.9), (-179.95, 179.97), (0.01, -0.02),
                                           (57.5, 42.5), (-90, 120.001), (105, -7.5)]
        for (phi, psi) in degrees {
            let (t, x) = Self.single(terms, Self.fiveAtoms(phi: phi * .pi / 180, psi: psi * .pi / 180))
            Self.checkFiniteDifferences(try CMAPTerms(terms: t), x)
        }
    }

    // MARK: - Grid nodes and layout

    /// On a node (φ, ψ) = (−180° + iΔ, −180° + jΔ) the energy is the prmtop's value `n·i + j` (φ-major).
    func testGridNodesReproduceTabulatedValues() throws {
        let (terms, _) = try Self.ala3()
        let grid = terms.cmapGrids[0]
        let n = grid.resolution
        let cmap = try CMAPTerms(terms: Self.single(terms, Self.fiveAtoms(phi: 0, psi: 0)).terms)
        var worst = 0.0
        for i in 0..<n {
            for j in 0..<n {
                let phi = -Double.pi + Double(i) * 2 * .pi / Double(n)
                let psi = -Double.pi + Double(j) * 2 * .pi / Double(n)
                let atoms = Self.fiveAtoms(phi: phi, psi: psi)
                XCTAssertEqual(remainder(Self.dihedral(atoms[0], atoms[1], atoms[2], atoms[3]) - phi, 2 * .pi), 0, accuracy: 1e-12)
                XCTAssertEqual(remainder(Self.dihedral(atoms[1], atoms[2], atoms[3], atoms[4]) - psi, 2 * .pi), 0, accuracy: 1e-12)
                let energy = Self.evaluate(cmap, Self.single(terms, atoms).positions).energy
                worst = max(worst, abs(energy - grid.values[n * i + j]))
                XCTAssertEqual(energy, grid.values[n * i + j], accuracy: 1e-9, "node φ index \(i), ψ index \(j)")
            }
        }
        print("CMAP grid nodes: worst |E − tabulated| = \(worst) kcal/mol")
        // The map is not symmetric, so this also pins the φ/ψ order: the transpose differs somewhere.
        XCTAssertTrue((0..<n).contains { i in (0..<n).contains { j in abs(grid.values[n * i + j] - grid.values[n * j + i]) > 0.1 } })
    }

    /// A synthetic smooth periodic surface is interpolated closely between the nodes, and continuously
    /// across the ±180° seam.
    func testSyntheticSurfaceInterpolation() throws {
        let (terms, _) = try Self.ala3()
        let n = 24
        func surface(_ phi: Double, _ psi: Double) -> Double { 1.5 * cos(phi - 0.3) + 0.8 * sin(2 * psi) + 0.6 * cos(phi + psi) }
        var t = terms
        XCTAssertEqual(t.cmapGrids[0].resolution, n)
        t.cmapGrids[0].values = (0..<(n * n)).map { k in
            surface(-Double.pi + Double(k / n) * 2 * .pi / Double(n), -Double.pi + Double(k % n) * 2 * .pi / Double(n))
        }
        var worst = 0.0
        for (phi, psi) in [(-2.9, 3.1), (0.123, -1.7), (1.0, 2.0), (3.14159, -3.14159), (-0.05, 0.07), (2.5, 0.5)] {
            let (single, x) = Self.single(t, Self.fiveAtoms(phi: phi, psi: psi))
            let energy = Self.evaluate(try CMAPTerms(terms: single), x).energy
            worst = max(worst, abs(energy - surface(phi, psi)))
        }
        XCTAssertLessThan(worst, 2e-4)
        let (a, xa) = Self.single(t, Self.fiveAtoms(phi: .pi - 1e-9, psi: 0.4))
        let (_, xb) = Self.single(t, Self.fiveAtoms(phi: -.pi + 1e-9, psi: 0.4))
        let cmap = try CMAPTerms(terms: a)
        XCTAssertEqual(Self.evaluate(cmap, xa).energy, Self.evaluate(cmap, xb).energy, accuracy: 1e-8)
    }

    func testRejectsBadGrids() throws {
        let (terms, _) = try Self.ala3()
        var t = terms
        t.cmapGrids[0].values.removeLast()
        XCTAssertThrowsError(try CMAPTerms(terms: t))
        t = terms
        t.cmaps[0].type = 1
        XCTAssertThrowsError(try CMAPTerms(terms: t))
        t = terms
        t.cmaps[0].atoms = [0, 1, 2, 3]
        XCTAssertThrowsError(try CMAPTerms(terms: t))
    }
}
