import XCTest
@testable import AmberIO
import MDCore

/// Mutated real files must read or fail with a located error; a crash, hang or other error type fails.
final class FuzzTests: XCTestCase {
    /// Iterations per file; MD_LONG_TESTS=1 runs many more, MD_FUZZ_ITERATIONS sets the count.
    static let iterations: Int = {
        let environment = ProcessInfo.processInfo.environment
        if let n = environment["MD_FUZZ_ITERATIONS"].flatMap(Int.init) { return n }
        return environment["MD_LONG_TESTS"] == "1" ? 3000 : 150
    }()

    static func mutate(_ original: [UInt8], region: Int? = nil, rng: inout SplitMix64) -> [UInt8] {
        var b = original
        let span = min(region ?? b.count, b.count)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !b.isEmpty else { break }
            let at = Int.random(in: 0..<min(span, b.count), using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: b[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: b[at] = Array("0123456789-+.E ".utf8).randomElement(using: &rng)!
            case 2: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...200, using: &rng)))
            case 3: b = Array(b.prefix(at))
            case 4: b.insert(contentsOf: b[at..<min(b.count, at + Int.random(in: 1...120, using: &rng))], at: at)
            case 5: b[at] = UInt8(ascii: "\n")
            default: b.insert(contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 32...126, using: &rng) }, at: at)
            }
        }
        return b
    }

    private func fuzz(_ fixture: String, region: Int? = nil, seed: UInt64, read: (String) throws -> Void) throws {
        let original = try FileBytes.read(Fixtures.path(fixture))
        let directory = Fixtures.scratchDirectory(for: self)
        var rng = SplitMix64(seed: seed)
        var failures = 0
        for i in 0..<Self.iterations {
            let mutant = Self.mutate(original, region: region, rng: &rng)
            let path = "\(directory)/\(i)-\(fixture)"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(mutant)))
            do {
                try read(path)
            } catch let error as FileFormatError {
                failures += 1
                XCTAssertTrue(error.file == path, "error names another file: \(error)")
                XCTAssertFalse(error.message.isEmpty)
            } catch {
                XCTFail("\(fixture) mutant \(i): unexpected \(type(of: error)): \(error)")
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        // Most mutants of a strict format are rejected; if none were, the mutator is not reaching the reader.
        XCTAssertGreaterThan(failures, Self.iterations / 4, "\(fixture): only \(failures) of \(Self.iterations) mutants rejected")
    }

    func testPrmtopMutants() throws {
        try fuzz("ala2-vacuum.prmtop", seed: 1) { path in
            let prmtop = try Prmtop(contentsOf: path)
            _ = prmtop.topology.molecules()
            _ = prmtop.encoded()
        }
    }

    func testRst7Mutants() throws {
        try fuzz("ala2-vacuum.rst7", seed: 2) { _ = try Rst7.read($0) }
    }

    func testNetCDFHeaderMutants() throws {
        try fuzz("ala2-water.cpptraj.ncrst", region: 1200, seed: 3) { path in
            let reader = try AmberNetCDFReader(path)
            for i in 0..<reader.frameCount { _ = try reader.frame(i) }
        }
    }

    func testPDBMutants() throws {
        let prmtop = try Prmtop(contentsOf: Fixtures.path("ala2-vacuum.prmtop"))
        let (frame, _) = try Rst7.read(Fixtures.path("ala2-vacuum.rst7"))
        let path = Fixtures.scratchDirectory(for: self) + "/ala2.pdb"
        try PDB.write(frame, topology: prmtop.topology, to: path)
        let original = try FileBytes.read(path)
        var rng = SplitMix64(seed: 4)
        for i in 0..<Self.iterations {
            do {
                _ = try PDB.read(bytes: Self.mutate(original, rng: &rng), path: "m.pdb")
            } catch let error as FileFormatError {
                XCTAssertEqual(error.file, "m.pdb")
            } catch {
                XCTFail("PDB mutant \(i): unexpected \(error)")
            }
        }
    }
}

extension Prmtop {
    /// Re-encoding exercises the writer on whatever decoded.
    func encoded() -> [UInt8] { (try? PrmtopFile(contentsOf: path).encoded()) ?? [] }
}
