import Foundation
import XCTest
import AmberIO
@testable import MDCommand

/// Runs `md` in-process and captures what it prints.
struct Run {
    var status: Int32
    var out: String
    var err: String

    init(_ arguments: [String]) {
        var out = "", err = ""
        let console = Console(out: { out += $0 }, error: { err += $0 })
        status = MDCommand.run(arguments, console: console)
        self.out = out
        self.err = err
    }
}

enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func fixture(_ name: String) -> String { root.appendingPathComponent("Tests/Fixtures/\(name)").path }
    static func system(_ name: String) -> String { root.appendingPathComponent("systems/\(name)/\(name).prmtop").path }
}

final class ArgumentParserTests: XCTestCase {
    let spec = CommandSpec(name: "demo", summary: "A demo.",
                           positionals: [PositionalSpec("INPUT", help: "in"), PositionalSpec("EXTRA", help: "x", optional: true)],
                           options: [OptionSpec("steps", value: "N", help: "n"), OptionSpec("tag", value: "T", help: "t", repeatable: true),
                                     OptionSpec("quiet", help: "q")])

    func testParsesValuesFlagsAndPositionals() throws {
        let p = try ParsedArguments.parse(["a.prmtop", "--steps", "10", "--quiet", "--tag=x", "--tag", "y", "--", "--odd"], spec: spec)
        XCTAssertEqual(p.positionals, ["a.prmtop", "--odd"])
        XCTAssertEqual(try p.value("steps", as: Int.self), 10)
        XCTAssertTrue(p.flag("quiet"))
        XCTAssertEqual(p.strings("tag"), ["x", "y"])
        XCTAssertNil(try p.value("missing", as: Int.self))
    }

    func testErrorsSayWhatIsWrong() {
        func message(_ args: [String]) -> String {
            do { _ = try ParsedArguments.parse(args, spec: spec); return "no error" } catch { return (error as! CommandLineError).message }
        }
        XCTAssertEqual(message(["a", "--stepz", "3"]), "unknown option '--stepz' (did you mean --steps?)")
        XCTAssertEqual(message(["a", "--steps"]), "--steps needs a value (N)")
        XCTAssertEqual(message(["a", "--quiet=yes"]), "--quiet takes no value")
        XCTAssertEqual(message(["a", "--steps", "1", "--steps", "2"]), "--steps given more than once")
        XCTAssertEqual(message([]), "missing argument INPUT")
        XCTAssertEqual(message(["a", "b", "c"]), "unexpected argument 'c'")
        XCTAssertEqual(message(["a", "-s"]), "unknown option '-s' (options are spelled --name)")
        XCTAssertThrowsError(try ParsedArguments.parse(["a", "--steps", "ten"], spec: spec).value("steps", as: Int.self)) { error in
            XCTAssertEqual((error as! CommandLineError).message, "--steps expects an integer, got 'ten'")
        }
        // Negative numbers are values, not options.
        XCTAssertEqual(message(["a", "-3"]), "no error")
    }
}

final class CommandTests: XCTestCase {
    func testEverySubcommandHasHelp() {
        for command in MDCommand.subcommands {
            let run = Run([command.spec.name, "--help"])
            XCTAssertEqual(run.status, 0, command.spec.name)
            XCTAssertTrue(run.out.hasPrefix("md \(command.spec.name)"), run.out)
            XCTAssertTrue(run.out.contains("--help"))
        }
        XCTAssertEqual(Run(["--help"]).status, 0)
        XCTAssertTrue(Run(["help", "info"]).out.contains("md info FILE"))
    }

    func testLearnedForcesNeedAModel() {
        let system = Paths.root.appendingPathComponent("systems/ala2-vacuum").path
        let missing = Run(["simulate", system, "--forces", "learned=/nonexistent/model.safetensors", "--steps", "1"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("/nonexistent/model.safetensors"), missing.err)
        let wrong = Run(["simulate", system, "--forces", "network"])
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.err.contains("--forces expects classical, learned or learned=MODEL"), wrong.err)
        let train = Run(["train", "x"])
        XCTAssertEqual(train.status, 2)
        XCTAssertTrue(train.err.contains("--out MODEL.safetensors is required"), train.err)
    }

    func testUsageErrorsExitTwo() {
        let unknown = Run(["frobnicate"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.err.contains("unknown command 'frobnicate'"))
        let missing = Run(["info"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.err.contains("md info: missing argument FILE"), missing.err)
    }

    func testInfoOnSolvatedPrmtop() throws {
        let run = Run(["info", Paths.system("bench-30k")])
        XCTAssertEqual(run.status, 0, run.err)
        for expected in ["atoms             30506 (ion 8, protein 2643, water 27855)", "residues          9457 (ion 8, protein 164, water 9285)",
                         "molecules         9294", "box               70.3714 × 70.4103 × 77.3454 Å", "(orthorhombic)",
                         "bonds             30518 (29189 with hydrogen)", "dihedrals         11206 proper, 528 improper",
                         "ions              Cl- 8", "CMAP              none", "1-4 scaling       SCEE 1.2, SCNB 2.0"] {
            XCTAssertTrue(run.out.contains(expected), "missing '\(expected)' in\n\(run.out)")
        }
        let json = Run(["info", Paths.system("protein-octahedron"), "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        XCTAssertEqual(object["atoms"] as? Int, 1864)
        XCTAssertEqual((object["box"] as! [String: Any])["shape"] as? String, "truncated octahedron")
    }

    func testInfoOnTrajectoryRestartAndBrokenFile() {
        let trajectory = Run(["info", Paths.fixture("ala2-water.openmm.nc")])
        XCTAssertTrue(trajectory.out.contains("frames            5"), trajectory.out)
        XCTAssertTrue(trajectory.out.contains("coordinates, velocities, forces, box"))
        let restart = Run(["info", Paths.fixture("ala2-water.cpptraj.ncrst")])
        XCTAssertTrue(restart.out.contains("AMBER NetCDF restart"))
        let broken = Run(["info", Paths.fixture("ala2-water.openmm.json")])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.err.contains("ala2-water.openmm.json: is not a prmtop"), broken.err)
    }

    func testConvertWritesEachFormatAndRefusesToOverwrite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("md-convert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        let source = Paths.fixture("ala2-water.openmm.nc")
        for (input, out) in [(source, "t.nc"), (source + ":2", "r.ncrst"), (source, "r.rst7"), (source + ":-1", "f.pdb")] {
            let run = Run(["convert", input, "--out", "\(directory)/\(out)", "--prmtop", Paths.fixture("ala2-water.prmtop")])
            XCTAssertEqual(run.status, 0, run.err)
        }
        XCTAssertTrue(Run(["info", "\(directory)/t.nc"]).out.contains("frames            5"))
        let again = Run(["convert", source, "--out", "\(directory)/t.nc"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.err.contains("exists; pass --overwrite"), again.err)
        XCTAssertEqual(Run(["convert", source, "--out", "\(directory)/t.nc", "--overwrite"]).status, 0)
        let wrongAtoms = Run(["convert", source, "--out", "\(directory)/x.rst7", "--prmtop", Paths.fixture("ala2-vacuum.prmtop")])
        XCTAssertTrue(wrongAtoms.err.contains("has 1912 atoms but"), wrongAtoms.err)

        // Frame ranges: 1…3, then every second frame, each against the source frame it copies.
        for (options, expected) in [(["--first", "1", "--last", "-2"], [1, 2, 3]), (["--stride", "2"], [0, 2, 4])] {
            let out = "\(directory)/range-\(expected.map(String.init).joined()).nc"
            XCTAssertEqual(Run(["convert", source, "--out", out] + options).status, 0)
            let written = try AmberNetCDFReader(out), original = try AmberNetCDFReader(source)
            XCTAssertEqual(written.frameCount, expected.count)
            for (k, index) in expected.enumerated() { XCTAssertEqual(try written.frame(k).positions, try original.frame(index).positions) }
        }
        XCTAssertTrue(Run(["convert", source, "--out", "\(directory)/none.nc", "--first", "7"]).err.contains("--first 7 --last -1 selects none"))
    }

    /// --forces classical labels every frame with md's force field: checked against the forces OpenMM
    /// (Reference platform, PME 9 Å, tolerance 5e-4, its Coulomb constant) stored in the same file.
    func testConvertLabelsFramesWithClassicalForcesAsOpenMMDoes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("md-relabel-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = Paths.fixture("ala2-water.openmm.nc"), prmtop = Paths.fixture("ala2-water.prmtop")
        let out = "\(directory)/labelled.nc"
        let run = Run(["convert", source, "--out", out, "--prmtop", prmtop, "--forces", "classical", "--coulomb", "openmm",
                       "--pme-tolerance", "5e-4", "--quiet"])
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertTrue(run.out.contains("forces: the classical force field's (nonbonded: PME"), run.out)
        let openmm = try AmberNetCDFReader(source), labelled = try AmberNetCDFReader(out)
        XCTAssertEqual(labelled.frameCount, openmm.frameCount)
        for index in 0..<openmm.frameCount {
            let expected = try openmm.frame(index), frame = try labelled.frame(index)
            XCTAssertEqual(frame.positions, expected.positions, "frame \(index) positions")
            let f = try XCTUnwrap(frame.forces), g = try XCTUnwrap(expected.forces)
            var squaredError = 0.0, squared = 0.0
            for k in f.indices { squaredError += (f[k] - g[k]) * (f[k] - g[k]); squared += g[k] * g[k] }
            // OpenMM's Reference PME at the same tolerance agrees to 6e-5 of the RMS force.
            XCTAssertLessThan((squaredError / squared).squareRoot(), 2e-4, "frame \(index)")
        }
        let noTopology = Run(["convert", source, "--out", "\(directory)/x.nc", "--forces", "classical"])
        XCTAssertEqual(noTopology.status, 2)
        XCTAssertTrue(noTopology.err.contains("--forces classical needs --prmtop"), noTopology.err)
        let restart = Run(["convert", source, "--out", "\(directory)/x.rst7", "--prmtop", prmtop, "--forces", "classical"])
        XCTAssertTrue(restart.err.contains("stores forces in a .nc trajectory; .rst7 holds none"), restart.err)
        let stray = Run(["convert", source, "--out", "\(directory)/x.nc", "--cutoff", "8"])
        XCTAssertTrue(stray.err.contains("--cutoff applies to --forces classical"), stray.err)
    }
}
