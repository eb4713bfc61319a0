import XCTest
@testable import AmberIO
import MDCore

final class NetCDFTests: XCTestCase {
    private func assertMatches(_ frame: Frame, _ reference: ReferenceFrame, tolerance: Double, _ label: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(frame.time, reference.time, accuracy: 1e-9, "\(label) time", file: file, line: line)
        for atom in 0..<3 {
            for k in 0..<3 {
                XCTAssertEqual(frame.positions[3 * atom + k], reference.coordinates[atom][k], accuracy: tolerance, "\(label) x", file: file, line: line)
                if let v = reference.velocities {
                    XCTAssertEqual(frame.velocities![3 * atom + k], v[atom][k], accuracy: tolerance * 20, "\(label) v", file: file, line: line)
                }
                if let f = reference.forces {
                    XCTAssertEqual(frame.forces![3 * atom + k], f[atom][k], accuracy: tolerance, "\(label) f", file: file, line: line)
                }
            }
        }
        XCTAssertEqual(frame.box?.lengths.x ?? 0, reference.cellLengths[0], accuracy: 1e-12, file: file, line: line)
        XCTAssertEqual(frame.box?.lengths.z ?? 0, reference.cellLengths[2], accuracy: 1e-12, file: file, line: line)
        XCTAssertEqual(frame.box?.angles.y ?? 0, reference.cellAngles[1], accuracy: 1e-12, file: file, line: line)
    }

    func testReadsTrajectoryWrittenByOpenMMAndParmEd() throws {
        let reader = try AmberNetCDFReader(Fixtures.path("ala2-water.openmm.nc"))
        XCTAssertEqual(reader.kind, .trajectory)
        XCTAssertEqual(reader.atomCount, 1912)
        XCTAssertEqual(reader.frameCount, 5)
        XCTAssertEqual(reader.contents, AmberNetCDF.Contents(velocities: true, forces: true, box: true))
        for (index, reference) in try ReferenceJSON.frames("ala2-water.openmm.json") {
            assertMatches(try reader.frame(index), reference, tolerance: 1e-12, "openmm frame \(index)")
        }
        // The last frame is reachable by a negative index too.
        XCTAssertEqual(try reader.frame(-1), try reader.frame(4))
        XCTAssertThrowsError(try reader.frame(5))
    }

    func testVelocitiesAgreeWithOpenMMStateInAngstromPerPicosecond() throws {
        let json = try ReferenceJSON.load("ala2-water.openmm.json")
        let state = (json["openmm_state"] as! [String: Any])["frames"] as! [[String: Any]]
        let velocities = state[0]["velocities_A_per_ps"] as! [[Double]]
        let frame = try AmberNetCDFReader(Fixtures.path("ala2-water.openmm.nc")).frame(0)
        for atom in 0..<3 {
            for k in 0..<3 {
                // float32 storage: relative 1e-6.
                XCTAssertEqual(frame.velocities![3 * atom + k], velocities[atom][k], accuracy: 1e-6 * max(1, abs(velocities[atom][k])))
            }
        }
    }

    func testReadsCpptrajTrajectoryAndRestart() throws {
        let trajectory = try AmberNetCDFReader(Fixtures.path("ala2-water.cpptraj.nc"))
        XCTAssertEqual(trajectory.frameCount, 2)
        XCTAssertFalse(trajectory.contents.forces)
        for (index, reference) in try ReferenceJSON.frames("ala2-water.cpptraj.json") {
            assertMatches(try trajectory.frame(index), reference, tolerance: 1e-12, "cpptraj frame \(index)")
        }
        let restart = try AmberNetCDFReader(Fixtures.path("ala2-water.cpptraj.ncrst"))
        XCTAssertEqual(restart.kind, .restart)
        XCTAssertEqual(restart.frameCount, 1)
        let reference = try ReferenceJSON.frames("ala2-water.cpptraj.ncrst.json")[0]!
        assertMatches(try restart.frame(0), reference, tolerance: 1e-12, "cpptraj restart")
    }

    private func sampleFrame(atoms: Int, seed: UInt64, box: Box? = Box(a: 30, b: 31, c: 32)) -> Frame {
        var rng = SplitMix64(seed: seed)
        func values() -> [Double] { (0..<(3 * atoms)).map { _ in Double.random(in: -50...50, using: &rng) } }
        return Frame(positions: values(), velocities: values(), forces: values(), box: box, time: Double(seed) * 0.5)
    }

    func testTrajectoryRoundTripAndAppend() throws {
        let path = Fixtures.scratchDirectory(for: self) + "/t.nc"
        let contents = AmberNetCDF.Contents(velocities: true, forces: true, box: true)
        let frames = (1...3).map { sampleFrame(atoms: 7, seed: UInt64($0)) }
        let writer = try AmberNetCDFTrajectoryWriter(creating: path, atomCount: 7, contents: contents)
        try writer.append(frames[0])
        try writer.append(frames[1])
        writer.close()
        let appender = try AmberNetCDFTrajectoryWriter(appendingTo: path, atomCount: 7, contents: contents)
        XCTAssertEqual(appender.frameCount, 2)
        try appender.append(frames[2])
        appender.close()

        let reader = try AmberNetCDFReader(path)
        XCTAssertEqual(reader.frameCount, 3)
        XCTAssertEqual(reader.program, "md \(AmberNetCDF.programVersion)")
        for (i, expected) in frames.enumerated() {
            let got = try reader.frame(i)
            // Trajectories store float32: exact to single precision.
            for (a, b) in zip(got.positions, expected.positions) { XCTAssertEqual(a, Double(Float(b))) }
            for (a, b) in zip(got.forces!, expected.forces!) { XCTAssertEqual(a, Double(Float(b))) }
            for (a, b) in zip(got.velocities!, expected.velocities!) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
            XCTAssertEqual(got.box, expected.box)
            XCTAssertEqual(got.time, Double(Float(expected.time)))
        }
    }

    func testAppendRejectsMismatchedLayout() throws {
        let path = Fixtures.scratchDirectory(for: self) + "/t.nc"
        let writer = try AmberNetCDFTrajectoryWriter(creating: path, atomCount: 4, contents: .init(box: true))
        try writer.append(Frame(positions: Array(repeating: 1, count: 12), box: Box(a: 10, b: 10, c: 10)))
        writer.close()
        XCTAssertThrowsError(try AmberNetCDFTrajectoryWriter(appendingTo: path, atomCount: 5, contents: .init(box: true)))
        XCTAssertThrowsError(try AmberNetCDFTrajectoryWriter(appendingTo: path, atomCount: 4, contents: .init(forces: true, box: true)))
        // A frame that does not match the file's layout is refused, not silently dropped.
        let appender = try AmberNetCDFTrajectoryWriter(appendingTo: path, atomCount: 4, contents: .init(box: true))
        XCTAssertThrowsError(try appender.append(Frame(positions: Array(repeating: 1, count: 12))))
    }

    func testWriterNeverOverwritesWithoutPermission() throws {
        let path = Fixtures.scratchDirectory(for: self) + "/t.nc"
        let first = try AmberNetCDFTrajectoryWriter(creating: path, atomCount: 2, contents: .init())
        try first.append(Frame(positions: [0, 0, 0, 1, 1, 1]))
        first.close()
        XCTAssertThrowsError(try AmberNetCDFTrajectoryWriter(creating: path, atomCount: 2, contents: .init())) { error in
            XCTAssertTrue("\(error)".contains("--overwrite"), "\(error)")
        }
        XCTAssertEqual(try AmberNetCDFReader(path).frameCount, 1)
        XCTAssertNoThrow(try AmberNetCDFTrajectoryWriter(creating: path, atomCount: 2, contents: .init(), overwrite: true))
    }

    /// What a killed writer leaves on disk is the file as of its last sync: copy the bytes while the
    /// writer is still open (no close, no final flush) and read the copy.
    func testKilledWriterLeavesReadableTrajectory() throws {
        let directory = Fixtures.scratchDirectory(for: self)
        let path = directory + "/live.nc"
        let writer = try AmberNetCDFTrajectoryWriter(creating: path, atomCount: 5, contents: .init(velocities: true, box: true))
        let frames = (1...4).map { seed -> Frame in
            var f = sampleFrame(atoms: 5, seed: UInt64(seed))
            f.forces = nil
            return f
        }
        for f in frames { try writer.append(f) }
        let snapshot = directory + "/snapshot.nc"
        try FileManager.default.copyItem(atPath: path, toPath: snapshot)
        let reader = try AmberNetCDFReader(snapshot)
        XCTAssertEqual(reader.frameCount, 4)
        XCTAssertEqual(try reader.frame(3).positions.map { Float($0) }, frames[3].positions.map { Float($0) })
        writer.close()
    }

    func testRestartRoundTripIsExactInDouble() throws {
        let path = Fixtures.scratchDirectory(for: self) + "/r.ncrst"
        var frame = sampleFrame(atoms: 9, seed: 42, box: Box(a: 31.0598, b: 31.0598, c: 31.0598, alpha: 109.4712190, beta: 109.4712190, gamma: 109.4712190))
        frame.forces = nil
        try AmberNetCDFRestart.write(frame, to: path)
        let reader = try AmberNetCDFReader(path)
        XCTAssertEqual(reader.kind, .restart)
        let got = try reader.frame(0)
        XCTAssertEqual(got.positions, frame.positions)
        XCTAssertEqual(got.box, frame.box)
        XCTAssertEqual(got.time, frame.time)
        // Velocities pass through the 20.455 scale factor twice.
        for (a, b) in zip(got.velocities!, frame.velocities!) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b))) }
        XCTAssertThrowsError(try AmberNetCDFRestart.write(frame, to: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
    }
}
