import XCTest
@testable import AmberIO
import MDCore

final class Rst7Tests: XCTestCase {
    func testReadsTleapAndCpptrajRestartsAlike() throws {
        let (tleap, title) = try Rst7.read(Fixtures.path("ala2-vacuum.rst7"))
        XCTAssertEqual(title, "ACE")
        XCTAssertEqual(tleap.atomCount, 22)
        XCTAssertNil(tleap.box)
        XCTAssertNil(tleap.velocities)
        XCTAssertEqual(tleap.position(0), SIMD3(2.0000010, 1.0000000, -0.0000013))
        let (cpptraj, _) = try Rst7.read(Fixtures.path("ala2-vacuum.cpptraj.rst7"))
        XCTAssertEqual(cpptraj.positions, tleap.positions)
    }

    func testReadsBoxOfSolvatedSystem() throws {
        let (frame, _) = try Rst7.read(Fixtures.path("ala2-water.rst7"), expectedAtomCount: 1912)
        XCTAssertEqual(frame.box, Box(a: 31.3978560, b: 34.1000450, c: 29.2729660))
        XCTAssertThrowsError(try Rst7.read(Fixtures.path("ala2-water.rst7"), expectedAtomCount: 22)) { error in
            XCTAssertTrue("\(error)".contains("1912 atoms but the topology has 22"), "\(error)")
        }
    }

    func testRoundTripWithVelocitiesAndTriclinicBox() throws {
        // Values on the F12.7 grid survive exactly; velocities pass through the 20.455 scale.
        let positions = (0..<15).map { Double($0) * 1.2345678 - 7 }
        let velocities = (0..<15).map { Double($0 % 7) * 2.0455 - 3 * 20.455 }
        let box = Box(a: 31.0598, b: 31.0598, c: 31.0598, alpha: 109.4712190, beta: 109.4712190, gamma: 109.4712190)
        let frame = Frame(positions: positions, velocities: velocities, box: box, time: 12.5)
        let path = Fixtures.scratchDirectory(for: self) + "/r.rst7"
        try Rst7.write(frame, to: path, title: "round trip")
        let (read, title) = try Rst7.read(path)
        XCTAssertEqual(title, "round trip")
        XCTAssertEqual(read.time, 12.5)
        for (a, b) in zip(read.positions, positions) { XCTAssertEqual(a, b, accuracy: 5e-8) }
        for (a, b) in zip(read.velocities!, velocities) { XCTAssertEqual(a, b, accuracy: 5e-8 * 20.455) }
        XCTAssertEqual(read.box, box)
        // Five atoms: 15 values = 3 lines per block, so 2·3 + 1 lines of data.
        XCTAssertEqual(String(decoding: try FileBytes.read(path), as: UTF8.self).split(separator: "\n").count, 2 + 7)
    }

    func testRefusesValuesThatDoNotFitF12_7() {
        let frame = Frame(positions: [12_345.0, 0, 0])
        XCTAssertThrowsError(try Rst7.encode(frame)) { error in
            XCTAssertTrue("\(error)".contains("F12.7"), "\(error)")
        }
    }
}
