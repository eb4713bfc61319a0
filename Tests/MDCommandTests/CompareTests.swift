import Foundation
import XCTest
import AmberIO
import MDCore
@testable import MDCommand

/// `md compare` end to end on short trajectories made from the shipped OpenMM fixture (5 frames of
/// alanine dipeptide in water with velocities, forces and box): an intact copy, and a copy with one
/// bond stretched by 1 Å in one frame, which must be reported as a collapse at that frame and bond.
final class CompareTests: XCTestCase {
    private static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("md-compare-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    private let system = Paths.fixture("ala2-water.prmtop")
    private let source = Paths.fixture("ala2-water.openmm.nc")
    private let brokenFrame = 3

    private struct Setup {
        var good: String
        var broken: String
        var bare: String
        var prmtop: Prmtop
        /// The stretched bond's atoms (0-based) and its deviation r − r₀ in the intact frame.
        var i: Int
        var j: Int
        var intactDeviation: Double
        var brokenTime: Double
    }

    private static var cached: Setup?

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        super.tearDown()
    }

    /// Writes good.nc (a copy), broken.nc (frame 3 with a terminal heavy atom pulled 1 Å out along
    /// its only bond) and bare.nc (coordinates and box only) once for all tests.
    private func setup() throws -> Setup {
        if let cached = Self.cached { return cached }
        let prmtop = try Prmtop(contentsOf: system)
        let reader = try AmberNetCDFReader(source)
        let frames = try (0..<reader.frameCount).map { try reader.frame($0) }
        XCTAssertEqual(frames.count, 5)
        // A bond between heavy atoms whose second atom has no other bond (a carbonyl O).
        var degree = [Int](repeating: 0, count: prmtop.atomCount)
        for b in prmtop.bonds { degree[b.i] += 1; degree[b.j] += 1 }
        let bond = try XCTUnwrap(prmtop.bonds.first { !$0.involvesHydrogen && (degree[$0.i] == 1 || degree[$0.j] == 1) })
        let (i, j) = degree[bond.j] == 1 ? (bond.i, bond.j) : (bond.j, bond.i)
        let original = frames[brokenFrame]
        let u = original.position(j) - original.position(i)
        let r = (u * u).sum().squareRoot()
        var broken = frames
        for k in 0..<3 { broken[brokenFrame].positions[3 * j + k] += u[k] / r }
        var bare = frames
        for n in bare.indices { bare[n].velocities = nil; bare[n].forces = nil }

        func write(_ frames: [Frame], _ name: String) throws -> String {
            let path = "\(Self.directory)/\(name)"
            let writer = try AmberNetCDFTrajectoryWriter(creating: path, atomCount: prmtop.atomCount, contents: .init(of: frames[0]), overwrite: true)
            for frame in frames { try writer.append(frame) }
            writer.close()
            return path
        }
        let setup = Setup(good: try write(frames, "good.nc"), broken: try write(broken, "broken.nc"), bare: try write(bare, "bare.nc"),
                          prmtop: prmtop, i: i, j: j, intactDeviation: r - prmtop.bondEquilibriumLengths[bond.type],
                          brokenTime: original.time)
        Self.cached = setup
        return setup
    }

    private func label(_ prmtop: Prmtop, _ atom: Int) -> String {
        let residue = prmtop.residueStarts.lastIndex { $0 <= atom }!
        return "\(prmtop.atomNames[atom]) (\(prmtop.residueNames[residue]) \(residue + 1))"
    }

    private func json(_ run: Run) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any], run.out)
    }

    func testReportsTheStretchedBondAsACollapseAndFailsWhenAsked() throws {
        let s = try setup()
        let bondText = label(s.prmtop, s.i) + "–" + label(s.prmtop, s.j)
        let text = Run(["compare", s.broken, s.good, "--system", system, "--quiet"])
        XCTAssertEqual(text.status, 0, text.err)
        let collapseRow = try XCTUnwrap(text.out.split(separator: "\n").first { $0.hasPrefix("| collapse |") }, text.out)
        let cells = collapseRow.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(cells[1].hasPrefix("**yes**: first at frame \(brokenFrame) "), cells[1])
        XCTAssertTrue(cells[1].contains("bond \(bondText) (atoms \(s.i + 1)–\(s.j + 1))"), cells[1])
        XCTAssertTrue(cells[2].hasPrefix("no "), "the intact copy must not collapse: \(cells[2])")

        let failing = Run(["compare", s.broken, s.good, "--system", system, "--quiet", "--fail-on-collapse"])
        XCTAssertEqual(failing.status, 1)
        XCTAssertTrue(failing.err.contains("collapse or clash detected"), failing.err)
        XCTAssertTrue(failing.err.contains("broken.nc: collapse yes: first at frame \(brokenFrame)"), failing.err)
        XCTAssertFalse(failing.err.contains("good.nc"), failing.err)
        XCTAssertFalse(failing.out.isEmpty, "the report is printed before failing")

        let report = try json(Run(["compare", s.broken, s.good, "--system", system, "--quiet", "--json"]))
        XCTAssertEqual(report["collapse"] as? Bool, true)
        let a = try XCTUnwrap(report["a"] as? [String: Any]), b = try XCTUnwrap(report["b"] as? [String: Any])
        let collapse = try XCTUnwrap((a["bonds"] as? [String: Any])?["collapse"] as? [String: Any])
        XCTAssertEqual(collapse["frame"] as? Int, brokenFrame)
        XCTAssertEqual(collapse["atoms"] as? [Int], [s.i + 1, s.j + 1])
        XCTAssertEqual(collapse["labels"] as? [String], [label(s.prmtop, s.i), label(s.prmtop, s.j)])
        // Float storage rounds coordinates to ~1e-6 Å.
        XCTAssertEqual(try XCTUnwrap(collapse["deviation"] as? Double), s.intactDeviation + 1, accuracy: 1e-4)
        XCTAssertEqual(try XCTUnwrap(collapse["time"] as? Double), s.brokenTime, accuracy: 1e-9)
        XCTAssertNil((b["bonds"] as? [String: Any])?["collapse"])
        // Forces: frame 3 no longer matches B, the other four do and are identical.
        let forces = try XCTUnwrap(report["forces"] as? [String: Any])
        XCTAssertEqual(forces["framesCompared"] as? Int, 4)
        XCTAssertEqual(forces["framesWithDifferentCoordinates"] as? Int, 1)
    }

    /// Solute atoms that share no bond, angle or torsion: the closest pair per frame against a brute-force
    /// search over the prmtop's exclusions, and a hydrogen pushed to 1 Å of such a partner is a clash.
    func testNonbondedContactsAndAPushedHydrogenAsAClash() throws {
        let s = try setup()
        let reader = try AmberNetCDFReader(s.good)
        let frames = try (0..<reader.frameCount).map { try reader.frame($0) }
        let solute = 0..<22
        var excluded = Set<[Int]>()
        for a in solute { for b in s.prmtop.exclusions[a] { excluded.insert([min(a, b), max(a, b)]) } }
        func closest(_ f: Frame) -> (i: Int, j: Int, d: Double) {
            var best = (i: 0, j: 0, d: Double.infinity)
            for i in solute { for j in (i + 1)..<solute.upperBound where !excluded.contains([i, j]) {
                let u = f.position(j) - f.position(i), d = (u * u).sum().squareRoot()
                if d < best.d { best = (i, j, d) }
            } }
            return best
        }
        let report = try json(Run(["compare", s.good, s.good, "--system", system, "--quiet", "--json"]))
        XCTAssertEqual(report["clash"] as? Bool, false)
        let contacts = try XCTUnwrap((report["a"] as? [String: Any])?["contacts"] as? [String: Any])
        let series = try XCTUnwrap((contacts["series"] as? [String: Any])?["values"] as? [Double])
        XCTAssertEqual(series.count, frames.count)
        for (k, d) in series.enumerated() { XCTAssertEqual(d, closest(frames[k]).d, accuracy: 1e-9, "frame \(k)") }

        // Push a hydrogen of frame 2 to 1.0 Å from the nearest atom it shares no term with.
        let hydrogens = solute.filter { s.prmtop.elements[$0] == .hydrogen }
        var target = (h: 0, other: 0, d: Double.infinity)
        for h in hydrogens { for o in solute where o != h && !excluded.contains([min(h, o), max(h, o)]) {
            let u = frames[2].position(o) - frames[2].position(h), d = (u * u).sum().squareRoot()
            if d < target.d { target = (h, o, d) }
        } }
        var pushed = frames
        let u = frames[2].position(target.other) - frames[2].position(target.h)
        for k in 0..<3 { pushed[2].positions[3 * target.h + k] += u[k] * (target.d - 1.0) / target.d }
        let path = "\(Self.directory)/clash.nc"
        let writer = try AmberNetCDFTrajectoryWriter(creating: path, atomCount: s.prmtop.atomCount, contents: .init(of: pushed[0]), overwrite: true)
        for f in pushed { try writer.append(f) }
        writer.close()
        let text = Run(["compare", path, s.good, "--system", system, "--quiet"])
        let row = try XCTUnwrap(text.out.split(separator: "\n").first { $0.hasPrefix("| clash ") }, text.out)
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(cells[1].hasPrefix("**yes**: first 1.000 Å"), cells[1])
        XCTAssertTrue(cells[1].contains("at frame 2 "), cells[1])
        XCTAssertTrue(cells[1].contains("\(min(target.h, target.other) + 1)–\(max(target.h, target.other) + 1)"), cells[1])
        XCTAssertTrue(cells[2].hasPrefix("no (closest "), cells[2])
        let failing = Run(["compare", path, s.good, "--system", system, "--quiet", "--fail-on-collapse"])
        XCTAssertEqual(failing.status, 1)
        XCTAssertTrue(failing.err.contains("clash.nc: clash yes: first 1.000 Å"), failing.err)
    }

    func testIntactCopyPassesAndIdenticalForcesScoreZero() throws {
        let s = try setup()
        let run = Run(["compare", s.good, source, "--system", system, "--quiet", "--fail-on-collapse", "--json"])
        XCTAssertEqual(run.status, 0, run.err)
        let report = try json(run)
        XCTAssertEqual(report["collapse"] as? Bool, false)
        let a = try XCTUnwrap(report["a"] as? [String: Any])
        XCTAssertEqual(a["frames"] as? Int, 5)
        // RMSD against B's first frame, which is A's first frame.
        let rmsd = try XCTUnwrap((a["rmsd"] as? [String: Any])?["values"] as? [Double])
        XCTAssertEqual(rmsd[0], 0, accuracy: 1e-6)
        XCTAssertGreaterThan(rmsd[4], 0.01)
        // Velocities are stored: a temperature with the stated degrees of freedom (3·1912 − 3·630 − 12 − 3).
        let temperature = try XCTUnwrap(a["temperature"] as? [String: Any])
        XCTAssertEqual(temperature["degreesOfFreedom"] as? Int, 3831)
        let forces = try XCTUnwrap(report["forces"] as? [String: Any])
        XCTAssertEqual(forces["framesCompared"] as? Int, 5)
        let all = try XCTUnwrap((forces["all"] as? [String: Any])?["meVPerAngstrom"] as? [String: Any])
        XCTAssertEqual(all["tensor"] as? Double, 0)
        XCTAssertEqual(all["count"] as? Int, 1912)
        let protein = try XCTUnwrap((forces["protein"] as? [String: Any])?["kcalPerMolPerAngstrom"] as? [String: Any])
        XCTAssertEqual(protein["count"] as? Int, 22)
        let rdf = try XCTUnwrap(a["rdf"] as? [String: Any])
        XCTAssertEqual(rdf["particles"] as? Int, 630)
        let peak = try XCTUnwrap((rdf["firstPeak"] as? [String: Any])?["r"] as? Double)
        XCTAssertEqual(peak, 2.8, accuracy: 0.15, "water's first O–O shell")
        XCTAssertEqual(report["rdfRMSDifference"] as? Double, 0)
    }

    func testMissingVelocitiesAndForcesAreSaidAndFramesCanBeSelected() throws {
        let s = try setup()
        let run = Run(["compare", s.bare, s.good, "--system", system, "--quiet", "--first", "1", "--last", "-2", "--stride", "2"])
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertTrue(run.out.contains("| frames analysed | 2 | 2 |"), run.out)
        XCTAssertTrue(run.out.contains("no velocities"), run.out)
        XCTAssertTrue(run.out.contains("A: no velocities in the trajectory: no temperature"), run.out)
        XCTAssertTrue(run.out.contains("No force comparison: A (bare.nc) stores no forces"), run.out)
        let report = try json(Run(["compare", s.bare, s.good, "--system", system, "--quiet", "--first", "1", "--last", "-2", "--stride", "2", "--json"]))
        XCTAssertEqual((report["a"] as? [String: Any])?["frameIndices"] as? [Int], [1, 3])
        XCTAssertNil((report["a"] as? [String: Any])?["temperature"])
    }

    func testReportFilesAreWrittenAndNeverOverwrittenWithoutPermission() throws {
        let s = try setup()
        let out = "\(Self.directory)/report/cmp.md"
        try FileManager.default.createDirectory(atPath: "\(Self.directory)/report", withIntermediateDirectories: true)
        let first = Run(["compare", s.broken, s.good, "--system", system, "--report", out, "--quiet"])
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertTrue(first.out.contains("wrote \(out)"), first.out)
        XCTAssertTrue(first.out.contains("A collapse: yes"), first.out)
        let markdown = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(markdown.contains("| collapse | **yes**"), markdown)
        for name in ["rmsd", "rg", "bonds", "angles", "rdf", "temperature"] {
            let svg = try String(contentsOfFile: "\(Self.directory)/report/cmp-\(name).svg", encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"), name)
            XCTAssertTrue(markdown.contains("](cmp-\(name).svg)"), name)
        }
        let before = try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date
        let refused = Run(["compare", s.good, s.good, "--system", system, "--report", out, "--quiet"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.err.contains("exists; pass --overwrite"), refused.err)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date, before)
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).contains("**yes**"))
        let replaced = Run(["compare", s.good, s.good, "--system", system, "--report", out, "--quiet", "--overwrite"])
        XCTAssertEqual(replaced.status, 0, replaced.err)
        XCTAssertFalse(try String(contentsOfFile: out, encoding: .utf8).contains("**yes**"))
        XCTAssertEqual(Run(["compare", s.good, s.good, "--system", system, "--report", "\(Self.directory)/x.html"]).status, 2)
    }

    func testBadInputsGiveClearErrors() throws {
        let s = try setup()
        let atoms = Run(["compare", Paths.fixture("ala2-vacuum.rst7"), s.good, "--system", system])
        XCTAssertEqual(atoms.status, 1)
        XCTAssertTrue(atoms.err.contains("ala2-vacuum.rst7: has 22 atoms but"), atoms.err)
        XCTAssertTrue(atoms.err.contains("ala2-water.prmtop has 1912"), atoms.err)
        let missing = Run(["compare", "\(Self.directory)/nothing.nc", s.good, "--system", system])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("nothing.nc: no such file"), missing.err)
        let noSystem = Run(["compare", s.good, s.good])
        XCTAssertEqual(noSystem.status, 2)
        XCTAssertTrue(noSystem.err.contains("missing --system"), noSystem.err)
        XCTAssertEqual(Run(["compare", s.good, s.good, "--system", system, "--stride", "0"]).status, 2)
        XCTAssertEqual(Run(["compare", s.good, s.good, "--system", system, "--constraints", "all"]).status, 2)
        let none = Run(["compare", s.good, s.good, "--system", system, "--first", "7"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.err.contains("good.nc: has 5 frames; --first 7"), none.err)
    }

    /// The temperature md compare computes from stored velocities (its own degrees-of-freedom rule,
    /// written without the integrators) equals what md simulate logged for the same frames; the
    /// system is the truncated-octahedron one, so bonds and g(r) go through triclinic minimum images.
    func testTemperatureMatchesTheSimulationLog() throws {
        let d = Self.directory
        let octahedron = Paths.root.appendingPathComponent("systems/protein-octahedron").path
        let simulate = Run(["simulate", octahedron, "--steps", "20", "--interval", "10", "--seed", "7", "--save-velocities",
                            "--out", "\(d)/oct.nc", "--log", "\(d)/oct.csv", "--quiet", "--overwrite"])
        XCTAssertEqual(simulate.status, 0, simulate.err)
        let logged = try String(contentsOfFile: "\(d)/oct.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { Double($0.split(separator: ",")[5])! }
        let run = Run(["compare", "\(d)/oct.nc", "\(d)/oct.nc", "--system", octahedron, "--quiet", "--json"])
        XCTAssertEqual(run.status, 0, run.err)
        let a = try XCTUnwrap(try json(run)["a"] as? [String: Any])
        let temperatures = try XCTUnwrap(((a["temperature"] as? [String: Any])?["series"] as? [String: Any])?["values"] as? [Double])
        XCTAssertEqual(temperatures.count, logged.count)
        for (t, expected) in zip(temperatures, logged) { XCTAssertEqual(t, expected, accuracy: 1e-3) }
        // The peptide's own temperature, from the stored velocities: its 22 atoms' kinetic energy over
        // 3·22 − 12 degrees of freedom (its 12 bonds to hydrogen are constrained).
        let prmtop = try Prmtop(contentsOf: Paths.system("protein-octahedron"))
        let reader = try AmberNetCDFReader("\(d)/oct.nc")
        let solute = try XCTUnwrap(((a["soluteTemperature"] as? [String: Any])?["series"] as? [String: Any])?["values"] as? [Double])
        XCTAssertEqual(solute.count, reader.frameCount)
        for (k, t) in solute.enumerated() {
            let v = try XCTUnwrap(try reader.frame(k).velocities)
            var twiceKinetic = 0.0
            for i in 0..<22 { twiceKinetic += prmtop.masses[i] * (v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2]) }
            XCTAssertEqual(t, twiceKinetic / 418.4 / (Double(3 * 22 - 12) * 0.001987204259), accuracy: 1e-6 * t)
        }
        let bonds = try XCTUnwrap(a["bonds"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(bonds["freeRMSDeviation"] as? Double), 0.05)
        XCTAssertNil(bonds["collapse"])
        XCTAssertNotNil(a["rdf"])
    }
}
