import XCTest
@testable import AmberIO
import MDCore

/// Bad input must give an error naming the file, the place and what is wrong, never a crash.
final class BrokenFileTests: XCTestCase {
    enum Reader { case prmtop, rst7(expectedAtoms: Int?), netcdf, pdb }

    struct Case {
        var name: String
        var reader: Reader
        var bytes: () throws -> [UInt8]
        /// The whole message, or a fragment of it when `exact` is false.
        var message: String
        var exact = false
    }

    static func text(_ name: String) throws -> String { String(decoding: try FileBytes.read(Fixtures.path(name)), as: UTF8.self) }
    static func bytes(_ name: String) throws -> [UInt8] { try FileBytes.read(Fixtures.path(name)) }
    static func edit(_ name: String, _ change: (inout [String]) -> Void) throws -> [UInt8] {
        var lines = try text(name).components(separatedBy: "\n")
        change(&lines)
        return Array(lines.joined(separator: "\n").utf8)
    }
    static func line(_ lines: [String], startingWith prefix: String) -> Int { lines.firstIndex { $0.hasPrefix(prefix) }! }

    static let cases: [Case] = [
        Case(name: "empty.prmtop", reader: .prmtop, bytes: { [] }, message: "empty.prmtop: is empty; expected an AMBER prmtop", exact: true),
        Case(name: "garbage.prmtop", reader: .prmtop, bytes: { (0..<500).map { UInt8(truncatingIfNeeded: $0 &* 7919) } },
             message: "garbage.prmtop: line 1: expected '%FLAG'"),
        Case(name: "netcdf-as.prmtop", reader: .prmtop, bytes: { try bytes("ala2-water.cpptraj.ncrst") },
             message: "netcdf-as.prmtop: is a NetCDF file, not a prmtop", exact: true),
        Case(name: "truncated.prmtop", reader: .prmtop, bytes: { Array(try bytes("ala2-vacuum.prmtop").prefix(9000)) },
             message: "truncated.prmtop: line 123: expected '%FLAG', found '%F'", exact: true),
        Case(name: "cut-mid-section.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in l.remove(at: line(l, startingWith: "%FLAG CHARGE") + 3) }
        }, message: "cut-mid-section.prmtop: section CHARGE (line 15): expected 22 values (from POINTERS), found 17", exact: true),
        Case(name: "non-numeric.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in l[line(l, startingWith: "%FLAG POINTERS") + 2] = "     2x2" + l[6].dropFirst(8) }
        }, message: "non-numeric.prmtop: section POINTERS, line 7, field 1: expected an integer, found '     2x2'", exact: true),
        Case(name: "bad-real.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in
                let i = line(l, startingWith: "%FLAG MASS") + 2
                l[i] = "  1.0080000QE+00" + l[i].dropFirst(16)
            }
        }, message: "bad-real.prmtop: section MASS, line 29, field 1: expected a real number, found '  1.0080000QE+00'", exact: true),
        Case(name: "missing-section.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in
                let i = line(l, startingWith: "%FLAG CHARGE")
                l.removeSubrange(i..<line(l, startingWith: "%FLAG ATOMIC_NUMBER"))
            }
        }, message: "missing-section.prmtop: required section %FLAG CHARGE is missing", exact: true),
        Case(name: "atom-out-of-range.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in
                let i = line(l, startingWith: "%FLAG BONDS_INC_HYDROGEN") + 2
                l[i] = "    3000" + l[i].dropFirst(8)
            }
        }, message: "atom-out-of-range.prmtop: section BONDS_INC_HYDROGEN (line 131): term 1: atom 1001 outside 1…22", exact: true),
        Case(name: "not-an-offset.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in
                let i = line(l, startingWith: "%FLAG BONDS_INC_HYDROGEN") + 2
                l[i] = "       4" + l[i].dropFirst(8)
            }
        }, message: "term 1: atom reference 4 is not a coordinate offset (multiple of 3)"),
        Case(name: "type-out-of-range.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in
                let i = line(l, startingWith: "%FLAG ATOM_TYPE_INDEX") + 2
                l[i] = "      99" + l[i].dropFirst(8)
            }
        }, message: "section ATOM_TYPE_INDEX (line 34): entry 1: Lennard-Jones type 99 outside 1…7"),
        Case(name: "duplicate.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in
                let i = line(l, startingWith: "%FLAG ATOMIC_NUMBER")
                let j = line(l, startingWith: "%FLAG MASS")
                l.insert(contentsOf: l[i..<j], at: j)
            }
        }, message: "duplicate.prmtop: line 27: section ATOMIC_NUMBER appears twice", exact: true),
        Case(name: "bad-format.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in l[line(l, startingWith: "%FLAG POINTERS") + 1] = "%FORMAT(10Q8)" }
        }, message: "bad-format.prmtop: line 6: section POINTERS: cannot read format '(10Q8)'", exact: true),
        Case(name: "exclusions.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in
                let i = line(l, startingWith: "%FLAG NUMBER_EXCLUDED_ATOMS") + 2
                l[i] = "      99" + l[i].dropFirst(8)
            }
        }, message: "section NUMBER_EXCLUDED_ATOMS (line 39): counts sum to"),
        Case(name: "residues.prmtop", reader: .prmtop, bytes: {
            try edit("ala2-vacuum.prmtop") { l in
                let i = line(l, startingWith: "%FLAG RESIDUE_POINTER") + 2
                l[i] = "       1      17       7"
            }
        }, message: "section RESIDUE_POINTER (line 54): residue 3 starts at atom 7"),

        Case(name: "mismatch.rst7", reader: .rst7(expectedAtoms: 1912), bytes: { try bytes("ala2-vacuum.rst7") },
             message: "mismatch.rst7: line 2: has 22 atoms but the topology has 1912", exact: true),
        Case(name: "truncated.rst7", reader: .rst7(expectedAtoms: nil), bytes: {
            try edit("ala2-water.rst7") { l in l.removeLast(40) }
        }, message: "truncated.rst7: has 918 data lines; 1912 atoms need 956 for coordinates"),
        Case(name: "non-numeric.rst7", reader: .rst7(expectedAtoms: nil), bytes: {
            try edit("ala2-vacuum.rst7") { l in l[2] = "   2.0000010   1.00x0000  -0.0000013   2.0000010   2.0900000   0.0000001" }
        }, message: "non-numeric.rst7: line 3: field 2 (columns 13–24): expected a number in F12.7, found '   1.00x0000'", exact: true),
        Case(name: "header.rst7", reader: .rst7(expectedAtoms: nil), bytes: {
            try edit("ala2-vacuum.rst7") { l in l[1] = "  twenty-two" }
        }, message: "header.rst7: line 2: expected the atom count, found '  twenty-two'", exact: true),
        Case(name: "netcdf-as.rst7", reader: .rst7(expectedAtoms: nil), bytes: { try bytes("ala2-water.cpptraj.ncrst") },
             message: "netcdf-as.rst7: is a NetCDF file; read it as a NetCDF restart or trajectory", exact: true),

        Case(name: "text.nc", reader: .netcdf, bytes: { try bytes("ala2-vacuum.rst7") }, message: "text.nc: is not a readable NetCDF file"),
        Case(name: "truncated.nc", reader: .netcdf, bytes: { Array(try bytes("ala2-water.openmm.nc").prefix(200)) },
             message: "truncated.nc: has a corrupt or truncated NetCDF header", exact: true),
        Case(name: "short-data.nc", reader: .netcdf, bytes: { Array(try bytes("ala2-water.openmm.nc").prefix(100_000)) },
             message: "short-data.nc: is truncated: its header promises 5 frames in 345480 bytes, the file has 100000", exact: true),
        Case(name: "one-byte-short.nc", reader: .netcdf, bytes: { Array(try bytes("ala2-water.openmm.nc").dropLast()) },
             message: "one-byte-short.nc: is truncated"),
        Case(name: "one-byte-short.ncrst", reader: .netcdf, bytes: { Array(try bytes("ala2-water.cpptraj.ncrst").dropLast()) },
             message: "one-byte-short.ncrst: is truncated"),
        Case(name: "not-amber.nc", reader: .netcdf, bytes: {
            var b = try bytes("ala2-water.cpptraj.nc")
            let needle = Array("AMBER".utf8)
            // The Conventions attribute is the last "AMBER" in the header (application = "AMBER" comes first).
            let hits = (0..<2000).filter { Array(b[$0..<$0 + 5]) == needle }
            b[hits.last!] = UInt8(ascii: "X")
            return b
        }, message: "not-amber.nc: global attribute Conventions: is 'XMBER', not AMBER or AMBERRESTART", exact: true),

        Case(name: "empty.pdb", reader: .pdb, bytes: { Array("REMARK nothing here\nEND\n".utf8) },
             message: "empty.pdb: has no ATOM or HETATM records", exact: true),
        Case(name: "short.pdb", reader: .pdb, bytes: { Array("ATOM      1  N   ALA A  10      11.104\n".utf8) },
             message: "short.pdb: line 1: ATOM record is 38 characters; coordinates need 54", exact: true),
    ]

    static func read(_ reader: Reader, path: String) throws {
        switch reader {
        case .prmtop: _ = try Prmtop(contentsOf: path)
        case .rst7(let n): _ = try Rst7.read(path, expectedAtomCount: n)
        case .netcdf:
            let r = try AmberNetCDFReader(path)
            for i in 0..<r.frameCount { _ = try r.frame(i) }
        case .pdb: _ = try PDB.read(path)
        }
    }

    func testEveryBrokenFileGivesALocatedMessage() throws {
        let directory = Fixtures.scratchDirectory(for: self)
        for c in Self.cases {
            let path = directory + "/" + c.name
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(try c.bytes())))
            do {
                try Self.read(c.reader, path: path)
                XCTFail("\(c.name): read without error")
            } catch let error as FileFormatError {
                let message = error.description.replacingOccurrences(of: directory + "/", with: "")
                if c.exact {
                    XCTAssertEqual(message, c.message, c.name)
                } else {
                    XCTAssertTrue(message.hasPrefix(c.name) && message.contains(c.message), "\(c.name): got '\(message)'")
                }
            } catch {
                XCTFail("\(c.name): unexpected error type \(type(of: error)): \(error)")
            }
        }
    }

    func testMissingFileIsAnAccessError() {
        XCTAssertThrowsError(try Prmtop(contentsOf: "/nonexistent/x.prmtop")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/x.prmtop: no such file")
        }
        XCTAssertThrowsError(try AmberNetCDFReader("/nonexistent/x.nc")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/x.nc: no such file")
        }
    }
}
