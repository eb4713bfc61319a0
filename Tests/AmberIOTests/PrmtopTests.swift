import XCTest
@testable import AmberIO
import MDCore

final class PrmtopTests: XCTestCase {
    func testTleapFileRoundTripsByteForByte() throws {
        for name in ["ala2-vacuum.prmtop", "ala2-water.prmtop"] {
            let path = Fixtures.path(name)
            let original = try FileBytes.read(path)
            let file = try PrmtopFile(bytes: original, path: path)
            let written = file.encoded()
            if written != original {
                let a = String(decoding: original, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                let b = String(decoding: written, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
                XCTFail("\(name): first difference at line \((first?.offset ?? min(a.count, b.count)) + 1): '\(first?.element.0 ?? "")' vs '\(first?.element.1 ?? "")'")
            }
            XCTAssertEqual(try PrmtopFile(bytes: written, path: "rewritten"), file)
        }
    }

    func testAlanineDipeptideDecodes() throws {
        let top = try Prmtop(contentsOf: Fixtures.path("ala2-vacuum.prmtop"))
        XCTAssertEqual(top.atomCount, 22)
        XCTAssertEqual(top.residueNames, ["ACE", "ALA", "NME"])
        XCTAssertEqual(top.residueStarts, [0, 6, 16])
        XCTAssertEqual(top.atomNames.prefix(3), ["H1", "CH3", "H2"])
        XCTAssertEqual(top.elements.prefix(3).map(\.symbol), ["H", "C", "H"])
        // Net charge of a neutral peptide is zero once the 18.2223 scale is undone.
        XCTAssertEqual(top.charges.reduce(0, +), 0, accuracy: 1e-5)
        XCTAssertEqual(top.charges[0], 0.1123, accuracy: 1e-4)   // ff14SB ACE HH31
        XCTAssertEqual(top.bonds.count, 21)
        XCTAssertEqual(top.bonds.filter(\.involvesHydrogen).count, 12)
        XCTAssertEqual(top.angles.count, 36)
        XCTAssertEqual(top.dihedrals.count, 43 + 24)
        XCTAssertTrue(top.dihedrals.contains(where: \.isImproper))
        XCTAssertNil(top.box)
        XCTAssertTrue(top.cmaps.isEmpty)
        // Exclusions: every bonded pair is excluded in one direction.
        for bond in top.bonds {
            let (i, j) = (min(bond.i, bond.j), max(bond.i, bond.j))
            XCTAssertTrue(top.exclusions[i].contains(j), "bond \(i)-\(j) not excluded")
        }
    }

    func testSolvatedSystemHasBoxAndWater() throws {
        let top = try Prmtop(contentsOf: Fixtures.path("ala2-water.prmtop"))
        XCTAssertNotNil(top.box)
        XCTAssertEqual(top.boxKind, 1)
        XCTAssertTrue(top.box!.isOrthorhombic)
        let waters = top.residueNames.filter { $0 == "WAT" }.count
        XCTAssertGreaterThan(waters, 500)
        XCTAssertEqual(top.atomsPerMolecule?.count, waters + 1 + top.residueNames.filter { $0 == "Na+" || $0 == "Cl-" }.count)
        XCTAssertEqual(top.solventPointers?.lastSoluteResidue, 3)
    }
}
