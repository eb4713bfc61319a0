import AmberIO
import Foundation
import MDCore
import XCTest
@testable import Refinement

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/rna")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static let solution = path("14_solution_free_0_rpr.res16-35.pdb")
    static let candidates = ["14_DasPreExp_1_rpr.res16-35.pdb", "14_BujnickiPostExp_1_rpr.res16-35.pdb"]

    /// scripts/make_rna_fixtures.py's NumPy/SciPy computation.
    struct Reference: Decodable {
        struct Candidate: Decodable {
            var candidateRecords: Int
            var solutionRecords: Int
            var matched: Int
            var globalRMSD: Double
            var meanVectorLength: Double
            var maxVectorLength: Double
            var atoms: [String]
            var vectors: [[Double]]
        }
        var neighbors: Int
        var candidates: [String: Candidate]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
    }
}

/// A PDB ATOM/HETATM line in the standard columns.
func atomLine(_ serial: Int, _ name: String, _ residue: String, _ chain: String, _ number: Int, _ p: SIMD3<Double>,
              alt: String = " ", insertion: String = " ", occupancy: Double = 1, element: String, hetero: Bool = false) -> String {
    let paddedName = name.count < 4 && element.count < 2 ? " " + name : name
    func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, n - s.count))
        return right ? fill + s : s + fill
    }
    return (hetero ? "HETATM" : "ATOM  ") + pad(String(serial), 5, right: true) + " " + pad(paddedName, 4) + alt
        + pad(residue, 3, right: true) + " " + chain + pad(String(number), 4, right: true) + insertion + "   "
        + String(format: "%8.3f%8.3f%8.3f%6.2f%6.2f", p.x, p.y, p.z, occupancy, 0.0) + "          " + pad(element, 2, right: true)
}

final class StructureMatchingTests: XCTestCase {
    func testFixtureCountsMatchedAndSkippedAtomsByReason() throws {
        for name in Fixtures.candidates {
            let match = try StructureMatch(candidatePath: Fixtures.path(name), solutionPath: Fixtures.solution)
            let s = match.statistics
            XCTAssertEqual(s.matched, 346, name)
            XCTAssertFalse(s.hydrogensIncluded)
            // Candidate: 434 records = 346 matched + 68 in residues 22–24 (absent from the solution)
            // + 20 in residue 32 (C here, U in the solution).
            XCTAssertEqual(s.candidate.records, 434)
            XCTAssertEqual(s.candidate.skipped(.missing), 68)
            XCTAssertEqual(s.candidate.skipped(.residueNameDiffers), 20)
            XCTAssertEqual(s.candidate.skippedTotal, 88)
            XCTAssertEqual(s.candidate.examples["missing"]?.first, "A:22:G:P")
            XCTAssertEqual(s.candidate.examples["residue-name-differs"]?.first, "A:32:C:P")
            // Solution: 366 = 346 + 20 (residue 32, U).
            XCTAssertEqual(s.solution.records, 366)
            XCTAssertEqual(s.solution.skipped(.residueNameDiffers), 20)
            XCTAssertEqual(s.solution.skippedTotal, 20)
            XCTAssertEqual(s.solution.examples["residue-name-differs"]?.first, "A:32:U:P")
            for side in [s.candidate, s.solution] {
                XCTAssertEqual(side.models, 1)
                XCTAssertEqual(side.alternateLocationsDropped, 0)
                XCTAssertEqual(side.skipped(.hydrogen) + side.skipped(.duplicate) + side.skipped(.ambiguousPartner), 0)
            }
            // The pairs are the reference's, in candidate file order; elements come from columns 77–78.
            let reference = try Fixtures.reference().candidates[name]!
            XCTAssertEqual(match.atoms.map(\.key.description), reference.atoms)
            XCTAssertEqual(match.atoms.first?.element, Element(atomicNumber: 15))
            XCTAssertTrue(match.atoms.allSatisfy { $0.element != nil })
            for (i, atom) in match.atoms.enumerated() where atom.key.name == "P" {
                XCTAssertEqual(atom.key.chain, "A")
                XCTAssertNotEqual(match.candidatePositions[i], match.solutionPositions[i])
            }
        }
    }

    func testAlternateLocationsHydrogensDuplicatesAndModels() throws {
        let o = SIMD3<Double>(0, 0, 0)
        let candidate = [
            "MODEL        1",
            atomLine(1, "N", "ALA", "A", 1, o, element: "N"),
            atomLine(2, "CA", "ALA", "A", 1, SIMD3(1, 0, 0), alt: "A", occupancy: 0.4, element: "C"),
            atomLine(3, "CA", "ALA", "A", 1, SIMD3(1, 1, 0), alt: "B", occupancy: 0.6, element: "C"),  // kept: higher occupancy
            atomLine(4, "C", "ALA", "A", 1, SIMD3(2, 0, 0), alt: "A", occupancy: 0.5, element: "C"),   // kept: first of equals
            atomLine(5, "C", "ALA", "A", 1, SIMD3(2, 1, 0), alt: "B", occupancy: 0.5, element: "C"),
            atomLine(6, "H", "ALA", "A", 1, SIMD3(0, 1, 0), element: "H"),
            atomLine(7, "1HB", "ALA", "A", 1, SIMD3(0, 2, 0), element: ""),   // hydrogen by name (no element column)
            atomLine(8, "O", "ALA", "A", 1, SIMD3(3, 0, 0), element: "O"),
            atomLine(9, "O", "ALA", "A", 1, SIMD3(3, 1, 0), element: "O"),    // duplicate without altlocs
            atomLine(10, "N", "GLY", "A", 2, SIMD3(4, 0, 0), element: "N"),
            atomLine(11, "N", "GLY", "A", 2, SIMD3(5, 0, 0), insertion: "A", element: "N"),
            atomLine(12, "N", "SER", "B", 3, SIMD3(6, 0, 0), element: "N"),
            "ENDMDL",
            "MODEL        2",
            atomLine(1, "N", "ALA", "A", 1, SIMD3(9, 9, 9), element: "N"),
            "ENDMDL",
        ].joined(separator: "\n") + "\n"
        let solution = [
            atomLine(1, "N", "ALA", "A", 1, SIMD3(0, 0, 1), element: "N"),
            atomLine(2, "CA", "ALA", "A", 1, SIMD3(1, 0, 1), element: "C"),
            atomLine(3, "C", "ALA", "A", 1, SIMD3(2, 0, 1), element: "C"),
            atomLine(4, "H", "ALA", "A", 1, SIMD3(0, 1, 1), element: "H"),
            atomLine(5, "O", "ALA", "A", 1, SIMD3(3, 0, 1), element: "O"),
            atomLine(6, "N", "GLY", "A", 2, SIMD3(4, 0, 1), element: "N"),
            atomLine(7, "CA", "GLY", "A", 2, SIMD3(4, 1, 1), element: "C"),
            atomLine(8, "N", "GLY", "A", 2, SIMD3(5, 0, 1), insertion: "A", element: "N"),
            atomLine(9, "N", "THR", "B", 3, SIMD3(6, 0, 1), element: "N"),
            atomLine(10, "CA", "THR", "B", 3, SIMD3(6, 1, 1), element: "C"),
            atomLine(11, "C", "GLY", "A", 2, SIMD3(4, 2, 1), element: "C"),
            atomLine(12, "C", "GLY", "A", 2, SIMD3(4, 3, 1), element: "C"),
        ].joined(separator: "\n") + "\n"
        let c = try PDB.read(bytes: Array(candidate.utf8), path: "c.pdb"), s = try PDB.read(bytes: Array(solution.utf8), path: "s.pdb")
        let match = StructureMatch(candidate: c, candidatePath: "c.pdb", solution: s, solutionPath: "s.pdb")
        XCTAssertEqual(match.atoms.map(\.key.description), ["A:1:ALA:N", "A:1:ALA:CA", "A:1:ALA:C", "A:2:GLY:N", "A:2A:GLY:N"])
        XCTAssertEqual(match.atoms.map(\.candidateSerial), [1, 3, 4, 10, 11])
        XCTAssertEqual(match.candidatePositions[1], SIMD3(1, 1, 0))
        XCTAssertEqual(match.candidatePositions[2], SIMD3(2, 0, 0))
        XCTAssertEqual(match.solutionPositions[4], SIMD3(5, 0, 1))
        let st = match.statistics
        XCTAssertEqual(st.matched, 5)
        XCTAssertEqual(st.candidate.models, 2)
        XCTAssertEqual(st.candidate.records, 12)
        XCTAssertEqual(st.candidate.alternateLocationsDropped, 2)
        XCTAssertEqual(st.candidate.skipped(.hydrogen), 2)
        XCTAssertEqual(st.candidate.skipped(.duplicate), 2)
        XCTAssertEqual(st.candidate.skipped(.residueNameDiffers), 1)   // B:3 SER vs THR
        XCTAssertEqual(st.candidate.skipped(.missing), 0)
        XCTAssertEqual(st.solution.skipped(.hydrogen), 1)
        XCTAssertEqual(st.solution.skipped(.ambiguousPartner), 1)     // A:1 O is duplicated in the candidate
        XCTAssertEqual(st.solution.skipped(.missing), 1)              // A:2 GLY CA
        XCTAssertEqual(st.solution.skipped(.residueNameDiffers), 2)   // B:3 THR N, CA
        XCTAssertEqual(st.solution.skipped(.duplicate), 2)            // A:2 GLY C, twice
        // Every record is accounted for, once.
        for side in [st.candidate, st.solution] {
            XCTAssertEqual(side.records, st.matched + side.skippedTotal + side.alternateLocationsDropped)
        }

        // With hydrogens: the H pair matches, 1HB has no partner.
        let withH = StructureMatch(candidate: c, candidatePath: "c.pdb", solution: s, solutionPath: "s.pdb", includeHydrogens: true)
        XCTAssertEqual(withH.statistics.matched, 6)
        XCTAssertEqual(withH.statistics.candidate.skipped(.missing), 1)
        XCTAssertEqual(withH.atoms.first { $0.key.name == "H" }?.element, .hydrogen)
    }

    func testBadFilesAreNamedWithTheirLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("md-refine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.pdb").path
        try ("REMARK x\n" + atomLine(1, "N", "ALA", "A", 1, .zero, element: "N") + "\n"
             + "ATOM      2  CA  ALA A   1       1.000   y.000   0.000  1.00  0.00           C\n").write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try StructureMatch(candidatePath: bad, solutionPath: Fixtures.solution)) { error in
            XCTAssertEqual("\(error)", "\(bad): line 3, columns 39–46: expected y, found 'y.000'")
        }
        let gz = directory.appendingPathComponent("c.pdb.gz").path
        try Data([0x1f, 0x8b, 8, 0]).write(to: URL(fileURLWithPath: gz))
        XCTAssertThrowsError(try StructureMatch(candidatePath: Fixtures.solution, solutionPath: gz)) { error in
            XCTAssertEqual("\(error)", "\(gz): is gzip-compressed; decompress it first (gunzip -k)")
        }
        XCTAssertThrowsError(try StructureMatch(candidatePath: directory.appendingPathComponent("none.pdb").path, solutionPath: Fixtures.solution)) { error in
            XCTAssertTrue("\(error)".hasSuffix("none.pdb: no such file"), "\(error)")
        }
    }
}
