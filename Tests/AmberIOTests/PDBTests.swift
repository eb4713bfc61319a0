import XCTest
@testable import AmberIO
import MDCore

final class PDBTests: XCTestCase {
    func testWrittenFrameReadsBackWithNamesAndColumns() throws {
        let prmtop = try Prmtop(contentsOf: Fixtures.path("ala2-water.prmtop"))
        let (frame, _) = try Rst7.read(Fixtures.path("ala2-water.rst7"))
        let bytes = PDB.encode(frame, topology: prmtop.topology)
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("CRYST1   31.398   34.100   29.273  90.00  90.00  90.00 P 1"))
        // Columns per the PDB format: name 13–16 (one-letter element names start in 14), residue 18–20,
        // chain 22, residue number 23–26, x 31–38, element 77–78.
        let atom = Array(lines[2])
        XCTAssertEqual(String(atom[12..<16]), " CH3")
        XCTAssertEqual(String(atom[17..<20]), "ACE")
        XCTAssertEqual(String(atom[21]), "A")
        XCTAssertEqual(String(atom[22..<26]), "   1")
        XCTAssertEqual(String(atom[76..<78]), " C")
        XCTAssertEqual(atom.count, 78)

        let structure = try PDB.read(bytes: bytes, path: "written.pdb")
        XCTAssertEqual(structure.models.count, 1)
        XCTAssertEqual(structure.models[0].atoms.count, 1912)
        XCTAssertEqual(structure.box?.lengths.x ?? 0, 31.398, accuracy: 1e-9)
        for (i, record) in structure.models[0].atoms.enumerated() {
            XCTAssertEqual(record.name, prmtop.atomNames[i])
            XCTAssertEqual(record.element, prmtop.elements[i])
            XCTAssertLessThan(simd_distance(record.position, frame.position(i)), 1e-3)
        }
    }

    func testReadsModelsAlternateLocationsAndInsertionCodes() throws {
        let text = """
        MODEL        1
        ATOM      1  N   ALA A  10      11.104   6.134  -6.504  1.00  0.00           N
        ATOM      2  CA AALA A  10      11.639   6.071  -5.147  0.50  0.00           C
        ATOM      3  CA BALA A  10      11.700   6.000  -5.100  0.50  0.00           C
        ATOM      4  N   GLY A  10A     12.000   7.000  -4.000  1.00  0.00           N
        ENDMDL
        MODEL        2
        ATOM      1  N   ALA A  10      11.000   6.000  -6.000  1.00  0.00           N
        ENDMDL
        """
        let s = try PDB.read(bytes: Array(text.utf8), path: "t.pdb")
        XCTAssertEqual(s.models.map(\.atoms.count), [4, 1])
        XCTAssertEqual(s.models[0].atoms[1].alternateLocation, "A")
        XCTAssertEqual(s.models[0].atoms[3].insertionCode, "A")
        XCTAssertEqual(s.models[0].atoms[3].residueName, "GLY")
        XCTAssertEqual(s.models[1].atoms[0].position, SIMD3(11, 6, -6))
    }

    func testMalformedCoordinateNamesLineAndColumns() {
        let text = "ATOM      1  N   ALA A  10      11.104   x.134  -6.504  1.00  0.00           N\n"
        XCTAssertThrowsError(try PDB.read(bytes: Array(text.utf8), path: "bad.pdb")) { error in
            XCTAssertEqual("\(error)", "bad.pdb: line 1, columns 39–46: expected y, found 'x.134'")
        }
    }
}

private func simd_distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
    let d = a - b
    return (d * d).sum().squareRoot()
}
