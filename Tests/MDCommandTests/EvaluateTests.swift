import Foundation
import XCTest
import AmberIO
import ClassicalFF
import Equivariant
import LearnedFF
import MDCore
import TensorCore
@testable import MDCommand

/// `md evaluate` end to end with tiny untrained models: a dataset of alanine dipeptide in vacuum
/// (jittered "thermal" frames and one "minimized" frame, forces from the classical force field) and in
/// water (the OpenMM fixture's five frames with forces), and a vacuum trajectory without forces for
/// the forces-along-a-trajectory mode. Every reported number is recomputed here independently.
final class EvaluateTests: XCTestCase {
    private static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("md-evaluate-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    private struct Setup {
        /// Order 1, and order 0 (magnitudes only).
        var model: String
        var scalarModel: String
        var manifest: String
        /// The test split's frames in manifest order.
        var frames: [ForceFrame]
        /// Vacuum frames without forces, as read back from bare.nc (Float coordinates).
        var bare: String
        var bareFrames: [Frame]
    }

    private static var cached: Setup?

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        super.tearDown()
    }

    private static func network(order: Int, elements: [Element]? = nil) -> TensorFieldNetwork {
        TensorFieldNetwork(.small(order: order, outputScale: 20, elements: elements))
    }

    private static func writeModel(_ name: String, order: Int, elements: [Element]? = nil) throws -> String {
        let network = network(order: order, elements: elements)
        let path = "\(directory)/\(name)"
        try LearnedModel(network: network, parameters: network.initialParameters(seed: 7, zeroOutput: false), learnedAtoms: .protein).write(to: path)
        return path
    }

    private static func classicalForces(_ prmtop: Prmtop, _ positions: [Double]) throws -> [Double] {
        let ff = try ClassicalForceField(prmtop: prmtop, options: ClassicalOptions(nonbonded: .noCutoff))
        var f = [Double](repeating: 0, count: positions.count)
        _ = try positions.withUnsafeBufferPointer { x in try f.withUnsafeMutableBufferPointer { try ff.compute(positions: x, box: nil, forces: $0) } }
        return f
    }

    private static func write(_ frames: [Frame], _ name: String) throws -> String {
        let path = "\(directory)/\(name)"
        let writer = try AmberNetCDFTrajectoryWriter(creating: path, atomCount: frames[0].atomCount, contents: .init(of: frames[0]), overwrite: true)
        for frame in frames { try writer.append(frame) }
        writer.close()
        return path
    }

    private func setup() throws -> Setup {
        if let cached = Self.cached { return cached }
        let vacuumPrmtop = Paths.fixture("ala2-vacuum.prmtop"), waterPrmtop = Paths.fixture("ala2-water.prmtop")
        let prmtop = try Prmtop(contentsOf: vacuumPrmtop)
        let x0 = try Rst7.read(Paths.fixture("ala2-vacuum.rst7")).frame.positions
        var g = SplitMix64(seed: 11)
        func jittered(_ count: Int, forces: Bool, dt: Double) throws -> [Frame] {
            try (0..<count).map { k in
                let x = x0.map { $0 + Double.random(in: -0.05...0.05, using: &g) }
                return Frame(positions: x, forces: forces ? try Self.classicalForces(prmtop, x) : nil, time: Double(k) * dt)
            }
        }
        _ = try Self.write(jittered(3, forces: true, dt: 1), "thermal.nc")
        _ = try Self.write([Frame(positions: x0, forces: try Self.classicalForces(prmtop, x0))], "minimized.nc")
        let bare = try Self.write(jittered(4, forces: false, dt: 0.5), "bare.nc")
        let manifest = "\(Self.directory)/dataset.json"
        let json = """
        {"format": "md-dataset 1", "proteins": [
          {"id": "ala2", "split": "test", "prmtop": "\(vacuumPrmtop)",
           "trajectories": [{"path": "thermal.nc", "kind": "thermal"}, {"path": "minimized.nc", "kind": "minimized"}]},
          {"id": "ala2-water", "split": "test", "prmtop": "\(waterPrmtop)",
           "trajectories": [{"path": "\(Paths.fixture("ala2-water.openmm.nc"))", "kind": "thermal"}]},
          {"id": "ala2-train", "split": "train", "prmtop": "\(vacuumPrmtop)",
           "trajectories": [{"path": "minimized.nc", "kind": "minimized"}]},
          {"id": "no-forces", "split": "validation", "prmtop": "\(vacuumPrmtop)",
           "trajectories": [{"path": "bare.nc", "kind": "thermal"}]}
        ]}
        """
        try FileBytes.write(Array(json.utf8), to: manifest, overwrite: true)
        var frames: [ForceFrame] = []
        try ForceDataset.load(manifest: manifest).split("test").frames { frames.append($0) }
        let reader = try AmberNetCDFReader(bare)
        let bareFrames = try (0..<reader.frameCount).map { try reader.frame($0) }
        reader.close()
        let setup = Setup(model: try Self.writeModel("model.safetensors", order: 1), scalarModel: try Self.writeModel("scalar.safetensors", order: 0),
                          manifest: manifest, frames: frames, bare: bare, bareFrames: bareFrames)
        Self.cached = setup
        return setup
    }

    private func json(_ run: Run) throws -> [String: Any] {
        XCTAssertEqual(run.status, 0, run.err)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any], run.out)
    }

    /// Protein atoms by residue name (ACE, ALA, NME), independently of md's residue classification.
    private func protein(_ topology: Topology) -> [Int] {
        topology.atoms.indices.filter { ["ACE", "ALA", "NME"].contains(topology.residues[topology.atoms[$0].residueIndex].name) }
    }

    private func norm(_ v: [Double], _ i: Int) -> Double { (v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2]).squareRoot() }

    private func gather(_ v: [Double], _ atoms: [Int]) -> [Double] { atoms.flatMap { v[(3 * $0)..<(3 * $0 + 3)] } }

    private func row(_ table: [String: Any], _ predictor: String) throws -> [String: Any] {
        let rows = try XCTUnwrap(table["rows"] as? [[String: Any]])
        return try XCTUnwrap(rows.first { $0["predictor"] as? String == predictor }, "no row \(predictor) in \(rows)")
    }

    private func kcal(_ row: [String: Any], _ key: String) throws -> Double {
        try XCTUnwrap((row[key] as? [String: Any])?["kcalPerMolPerAngstrom"] as? Double, "\(key) in \(row)")
    }

    private func assertClose(_ a: Double, _ b: Double, _ relative: Double = 1e-9, _ message: String = "", line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(a - b), relative * max(abs(a), abs(b), 1e-12), "\(a) vs \(b) \(message)", line: line)
    }

    func testTableOneOnTheTestSplitMatchesIndependentComputation() throws {
        let s = try setup()
        let first = Run(["evaluate", s.model, s.scalarModel, s.manifest, "--json", "--quiet"])
        let report = try json(first)
        XCTAssertEqual(report["mode"] as? String, "dataset")
        XCTAssertEqual(report["split"] as? String, "test")
        XCTAssertEqual(report["systems"] as? [String], ["ala2", "ala2-water"])
        XCTAssertEqual(report["frames"] as? Int, 9)
        XCTAssertEqual(report["kinds"] as? [String], ["minimized", "thermal"])
        XCTAssertEqual(report["referenceForces"] as? String, "stored")
        let models = try XCTUnwrap(report["models"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["label"] as? String }, ["model.safetensors (order 1)", "scalar.safetensors (order 0)"])
        let groups = try XCTUnwrap(report["groups"] as? [[String: Any]])
        XCTAssertEqual(groups.map { $0["kind"] as? String }, ["all", "minimized", "thermal"])
        XCTAssertEqual(groups.map { $0["frames"] as? Int }, [9, 1, 8])

        // The model's predictions, independently: the network on each whole frame.
        let model = try LearnedModel.load(s.model)
        var predicted: [[Double]] = [], receptive: [[Double]] = []
        for f in s.frames {
            let channels = try model.channels(for: f.elements, source: f.source)
            predicted.append(model.predictedForces(TrainingExample(frame: f, network: model.network, channels: channels, lossAtoms: .all)))
            receptive.append(model.predictedForces(TrainingExample(frame: f, network: model.network, channels: channels, lossAtoms: .protein)))
        }
        for (kind, group) in zip(["all", "minimized", "thermal"], groups) {
            let selected = s.frames.indices.filter { kind == "all" || s.frames[$0].kind == kind }
            for set in ["protein", "all"] {
                let table = try XCTUnwrap(group[set] as? [String: Any], "\(kind) \(set)")
                var target: [Double] = [], prediction: [Double] = [], fieldPrediction: [Double] = []
                for k in selected {
                    let atoms = set == "protein" ? protein(s.frames[k].topology) : Array(0..<s.frames[k].frame.atomCount)
                    target += gather(s.frames[k].frame.forces!, atoms)
                    prediction += gather(predicted[k], atoms)
                    if set == "protein" { fieldPrediction += receptive[k] }
                }
                let n = target.count / 3
                XCTAssertEqual(table["atoms"] as? Int, n)
                let magnitudes = (0..<n).map { norm(target, $0) }
                let mean = magnitudes.reduce(0, +) / Double(n)
                let deviation = magnitudes.map { abs($0 - mean) }.reduce(0, +) / Double(n)
                let context = "\(kind) frames, \(set) atoms"
                assertClose(try kcal(table, "meanMagnitude"), mean, 1e-9, context)
                // Zero vector: tensor error = mean |F|, relative error 1, nothing else.
                let zero = try row(table, "zero vector")
                assertClose(try kcal(zero, "tensor"), mean, 1e-9, context)
                assertClose(try XCTUnwrap(zero["relativeTensor"] as? Double), 1, 1e-12, context)
                XCTAssertNil(zero["angle"]); XCTAssertNil(zero["magnitude"])
                XCTAssertEqual((zero["tensor"] as? [String: Any])?["meVPerAngstrom"] as! Double, mean * Units.meVPerKcalPerMol, accuracy: 1e-9 * mean * 50)
                // Mean magnitude: the mean absolute deviation of |F|.
                assertClose(try kcal(try row(table, "mean magnitude"), "magnitude"), deviation, 1e-9, context)
                // The model, exactly as ForceMetrics scores model.predictedForces.
                let expected = ForceMetrics(predicted: prediction, target: target)
                let m = try row(table, "model.safetensors (order 1)")
                assertClose(try kcal(m, "tensor"), expected.tensor, 1e-9, context)
                assertClose(try kcal(m, "magnitude"), expected.magnitude, 1e-9, context)
                assertClose(try XCTUnwrap(m["angle"] as? Double), expected.angle, 1e-9, context)
                assertClose(try XCTUnwrap(m["pearson"] as? Double), expected.pearson, 1e-9, context)
                assertClose(try XCTUnwrap(m["relativeTensor"] as? Double), expected.relativeTensor, 1e-9, context)
                if set == "protein" {
                    // On the protein atoms' receptive field alone the network gives the same forces (Float rounding aside).
                    let field = ForceMetrics(predicted: fieldPrediction, target: target)
                    assertClose(field.tensor, expected.tensor, 1e-4, "receptive field, " + context)
                }
                // Order 0: magnitude and Pearson r only.
                let scalar = try row(table, "scalar.safetensors (order 0)")
                XCTAssertNotNil(scalar["magnitude"]); XCTAssertNotNil(scalar["pearson"])
                XCTAssertNil(scalar["angle"]); XCTAssertNil(scalar["tensor"]); XCTAssertNil(scalar["relativeTensor"])
            }
        }
        // Random directions over ~9,600 atoms: 90° within a few tenths (the mean of 9,600 angles has σ ≈ 0.4°).
        let all = try XCTUnwrap(groups[0]["all"] as? [String: Any])
        let randomAngle = try XCTUnwrap(try row(all, "random direction")["angle"] as? Double)
        XCTAssertEqual(randomAngle, 90, accuracy: 2)
        XCTAssertNil(try row(all, "random direction")["tensor"])
        // Deterministic: the same seed gives the same JSON.
        XCTAssertEqual(Run(["evaluate", s.model, s.scalarModel, s.manifest, "--json", "--quiet"]).out, first.out)
    }

    func testMarkdownTablesSplitsAndKinds() throws {
        let s = try setup()
        let run = Run(["evaluate", s.model, s.scalarModel, s.manifest, "--quiet"])
        XCTAssertEqual(run.status, 0, run.err)
        let lines = run.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first, "# Force evaluation (the paper's Table 1)")
        for heading in ["## All frames (9 frames: 1 minimized, 8 thermal)", "## minimized frames (1 frame)", "## thermal frames (8 frames)"] {
            XCTAssertTrue(lines.contains(heading), "missing \(heading) in\n\(run.out)")
        }
        XCTAssertEqual(lines.filter { $0.hasPrefix("### Protein atoms (") }.count, 3)
        XCTAssertEqual(lines.filter { $0.hasPrefix("### All atoms (") }.count, 3)
        let header = "| predictor | magnitude (meV/Å) | angle (°) | tensor (meV/Å) | Pearson r | relative tensor error |"
        XCTAssertEqual(lines.filter { $0 == header }.count, 6)
        // Each table: two models and three baselines; order 0 has no angle, tensor or relative error.
        let scalarRows = lines.filter { $0.hasPrefix("| `scalar.safetensors (order 0)` |") }
        XCTAssertEqual(scalarRows.count, 6)
        for r in scalarRows {
            let cells = r.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual([cells[2], cells[3], cells[5]], ["—", "—", "—"], r)
            XCTAssertNotEqual(cells[1], "—")
        }
        XCTAssertEqual(lines.filter { $0.hasPrefix("| `model.safetensors (order 1)` |") && !$0.contains("—") }.count, 6)
        for baseline in ["*mean magnitude*", "*random direction*", "*zero vector*"] {
            XCTAssertEqual(lines.filter { $0.hasPrefix("| \(baseline) |") }.count, 6, baseline)
        }
        XCTAssertTrue(run.out.contains("- `model.safetensors (order 1)`: \(s.model); learned atoms protein"), run.out)

        // --split and --kinds choose systems and frames.
        let train = try json(Run(["evaluate", s.model, s.manifest, "--split", "train", "--json", "--quiet"]))
        XCTAssertEqual(train["systems"] as? [String], ["ala2-train"])
        let minimized = try json(Run(["evaluate", s.model, s.manifest, "--kinds", "minimized", "--json", "--quiet"]))
        XCTAssertEqual(minimized["frames"] as? Int, 1)
        XCTAssertEqual((minimized["groups"] as? [[String: Any]])?.map { $0["kind"] as? String }, ["all"])
        let limited = try json(Run(["evaluate", s.model, s.manifest, "--kinds", "thermal", "--frames", "1", "--json", "--quiet"]))
        XCTAssertEqual(limited["frames"] as? Int, 2)
        let none = Run(["evaluate", s.model, s.manifest, "--kinds", "annealed", "--quiet"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.err.contains("no trajectories of kind annealed") && none.err.contains("kinds there: minimized, thermal"), none.err)
        let noForces = Run(["evaluate", s.model, s.manifest, "--split", "validation", "--quiet"])
        XCTAssertEqual(noForces.status, 1)
        XCTAssertTrue(noForces.err.contains("bare.nc") && noForces.err.contains("has no forces"), noForces.err)
    }

    func testForcesAlongATrajectoryWithoutStoredForces() throws {
        let s = try setup()
        let prmtopPath = Paths.fixture("ala2-vacuum.prmtop")
        let report = try json(Run(["evaluate", s.model, s.bare, "--system", prmtopPath, "--json", "--quiet"]))
        XCTAssertEqual(report["mode"] as? String, "trajectory")
        XCTAssertTrue((report["referenceForces"] as? String ?? "").hasPrefix("classical: nonbonded: all pairs, no cutoff"), "\(report)")
        let perFrame = try XCTUnwrap(report["perFrame"] as? [[String: Any]])
        XCTAssertEqual(perFrame.count, s.bareFrames.count)
        let prmtop = try Prmtop(contentsOf: prmtopPath)
        let model = try LearnedModel.load(s.model)
        for (k, entry) in perFrame.enumerated() {
            XCTAssertEqual(entry["frame"] as? Int, k)
            XCTAssertEqual(try XCTUnwrap(entry["time"] as? Double), 0.5 * Double(k), accuracy: 1e-9)
            // Reference forces: the classical force field on the stored (Float) coordinates.
            var frame = s.bareFrames[k]
            frame.forces = try Self.classicalForces(prmtop, frame.positions)
            let forces = frame.forces!
            let n = frame.atomCount
            let mean = (0..<n).map { norm(forces, $0) }.reduce(0, +) / Double(n)
            let all = try XCTUnwrap(entry["all"] as? [String: Any])
            assertClose(try kcal(try row(all, "zero vector"), "tensor"), mean, 1e-9, "frame \(k)")
            let f = ForceFrame(system: "ala2", kind: "thermal", source: "bare.nc:\(k)", frame: frame, elements: prmtop.elements, topology: prmtop.topology)
            let p = model.predictedForces(TrainingExample(frame: f, network: model.network,
                                                          channels: try model.channels(for: f.elements, source: f.source), lossAtoms: .all))
            let expected = ForceMetrics(predicted: p, target: forces)
            let m = try row(all, "model.safetensors (order 1)")
            assertClose(try kcal(m, "tensor"), expected.tensor, 1e-9, "frame \(k)")
            assertClose(try XCTUnwrap(m["angle"] as? Double), expected.angle, 1e-9, "frame \(k)")
        }

        // Markdown: one row per frame in the per-frame table.
        let text = Run(["evaluate", s.model, s.bare, "--system", prmtopPath, "--quiet"])
        XCTAssertEqual(text.status, 0, text.err)
        XCTAssertTrue(text.out.hasPrefix("# Forces along a trajectory"), text.out)
        let perFrameSection = try XCTUnwrap(text.out.components(separatedBy: "## Per frame").last)
        let frameRows = perFrameSection.split(separator: "\n").filter { $0.range(of: #"^\| \d+ \| "#, options: .regularExpression) != nil }
        XCTAssertEqual(frameRows.count, s.bareFrames.count, perFrameSection)

        // Without --system: a usage error that says what is missing.
        let missing = Run(["evaluate", s.model, s.bare])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.err.contains("pass --system SYSTEM") && missing.err.contains("which it does not store"), missing.err)
        let stored = Run(["evaluate", s.model, s.bare, "--system", prmtopPath, "--target-forces", "stored"])
        XCTAssertEqual(stored.status, 1)
        XCTAssertTrue(stored.err.contains("stores no forces"), stored.err)
    }

    /// A model with the bonded prior is judged on its whole force: the network's output plus the
    /// prmtop's bonded terms among the protein atoms, against the classical reference.
    func testPriorModelIsEvaluatedOnNetworkPlusPrior() throws {
        let s = try setup()
        let network = Self.network(order: 1)
        let path = "\(Self.directory)/prior.safetensors"
        try LearnedModel(network: network, parameters: network.initialParameters(seed: 7, zeroOutput: false), prior: .amberBonded).write(to: path)
        let prmtopPath = Paths.fixture("ala2-vacuum.prmtop")
        let report = try json(Run(["evaluate", path, s.bare, "--system", prmtopPath, "--json", "--quiet"]))
        let perFrame = try XCTUnwrap(report["perFrame"] as? [[String: Any]])
        let prmtop = try Prmtop(contentsOf: prmtopPath)
        let model = try LearnedModel.load(path)
        let bonded = try AmberPrior(prmtop: prmtop, atoms: Array(0..<prmtop.atomCount))
        for (k, entry) in perFrame.enumerated() {
            var frame = s.bareFrames[k]
            frame.forces = try Self.classicalForces(prmtop, frame.positions)
            let f = ForceFrame(system: "ala2", kind: "thermal", source: "bare.nc:\(k)", frame: frame, elements: prmtop.elements, topology: prmtop.topology)
            var p = model.predictedForces(TrainingExample(frame: f, network: model.network,
                                                          channels: try model.channels(for: f.elements, source: f.source), lossAtoms: .all))
            var prior = [Double](repeating: 0, count: p.count)
            _ = try frame.positions.withUnsafeBufferPointer { x in try prior.withUnsafeMutableBufferPointer { try bonded.compute(positions: x, box: nil, forces: $0) } }
            for i in p.indices { p[i] += prior[i] }
            let expected = ForceMetrics(predicted: p, target: frame.forces!)
            let m = try row(try XCTUnwrap(entry["all"] as? [String: Any]), "prior.safetensors (order 1)")
            assertClose(try kcal(m, "tensor"), expected.tensor, 1e-9, "frame \(k)")
            assertClose(try XCTUnwrap(m["angle"] as? Double), expected.angle, 1e-9, "frame \(k)")
        }
    }

    func testReportFilesAreNotOverwrittenWithoutOverwrite() throws {
        let s = try setup()
        let out = "\(Self.directory)/report/eval.md"
        try FileManager.default.createDirectory(atPath: "\(Self.directory)/report", withIntermediateDirectories: true)
        let arguments = ["evaluate", s.model, s.bare, "--system", Paths.fixture("ala2-vacuum.prmtop"), "--report", out, "--quiet", "--frames", "2"]
        let first = Run(arguments)
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertTrue(first.out.contains("wrote \(out) and 6 plots beside it"), first.out)
        let names = ["magnitude", "angle", "angle-vs-magnitude", "time-tensor", "time-angle", "time-pearson"]
        let markdown = try String(contentsOfFile: out, encoding: .utf8)
        for name in names {
            let svg = try String(contentsOfFile: "\(Self.directory)/report/eval-\(name).svg", encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"), name)
            XCTAssertTrue(markdown.contains("](eval-\(name).svg)"), name)
        }
        XCTAssertTrue(try String(contentsOfFile: "\(Self.directory)/report/eval-magnitude.svg", encoding: .utf8).contains("y = x"))

        // Again without --overwrite: refused before any work, nothing touched.
        try FileBytes.write(Array("keep".utf8), to: out, overwrite: true)
        let second = Run(arguments)
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.err.contains("exists; pass --overwrite"), second.err)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "keep")
        let third = Run(arguments + ["--overwrite"])
        XCTAssertEqual(third.status, 0, third.err)
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("# Forces along a trajectory"))
        // A dataset report has the three Figure 3 panels.
        let datasetOut = "\(Self.directory)/report/dataset.md"
        let dataset = Run(["evaluate", s.model, s.manifest, "--kinds", "minimized", "--report", datasetOut, "--quiet"])
        XCTAssertEqual(dataset.status, 0, dataset.err)
        XCTAssertTrue(dataset.out.contains("and 3 plots beside it"), dataset.out)
    }

    func testClearErrors() throws {
        let s = try setup()
        let vacuum = Paths.fixture("ala2-vacuum.prmtop")
        // A model without nitrogen: the first N atom is named, with its residue and element.
        let noNitrogen = try Self.writeModel("no-nitrogen.safetensors", order: 1, elements: [.carbon, .hydrogen, .oxygen])
        let prmtop = try Prmtop(contentsOf: vacuum)
        let nitrogen = try XCTUnwrap(prmtop.elements.firstIndex(of: .nitrogen))
        let mismatch = Run(["evaluate", noNitrogen, s.bare, "--system", vacuum, "--quiet"])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertTrue(mismatch.err.contains("no-nitrogen.safetensors cannot evaluate"), mismatch.err)
        XCTAssertTrue(mismatch.err.contains("atom \(nitrogen + 1) (\(prmtop.atomNames[nitrogen]), residue"), mismatch.err)
        XCTAssertTrue(mismatch.err.contains("is N, which the model does not know (it knows C, H, O)"), mismatch.err)
        let datasetMismatch = Run(["evaluate", noNitrogen, s.manifest, "--quiet"])
        XCTAssertEqual(datasetMismatch.status, 1)
        XCTAssertTrue(datasetMismatch.err.contains("is N"), datasetMismatch.err)
        // A trajectory of another system.
        let wrongSystem = Run(["evaluate", s.model, s.bare, "--system", Paths.fixture("ala2-water.prmtop"), "--quiet"])
        XCTAssertEqual(wrongSystem.status, 1)
        XCTAssertTrue(wrongSystem.err.contains("has 22 atoms") && wrongSystem.err.contains("1912"), wrongSystem.err)
        // Options of the other mode, and grammar.
        let splitOnTrajectory = Run(["evaluate", s.model, s.bare, "--system", vacuum, "--split", "train"])
        XCTAssertEqual(splitOnTrajectory.status, 2)
        XCTAssertTrue(splitOnTrajectory.err.contains("--split applies to a dataset manifest"), splitOnTrajectory.err)
        let systemOnDataset = Run(["evaluate", s.model, s.manifest, "--system", vacuum])
        XCTAssertEqual(systemOnDataset.status, 2)
        XCTAssertEqual(Run(["evaluate", s.model, s.manifest, "--split", "holdout"]).status, 2)
        let missingData = Run(["evaluate", s.model])
        XCTAssertEqual(missingData.status, 2)
        XCTAssertTrue(missingData.err.contains("missing argument DATA"), missingData.err)
        XCTAssertTrue(Run(["evaluate", "--help"]).out.hasPrefix("md evaluate MODEL [MODEL ...] DATA [options]"))
        let noModel = Run(["evaluate", "\(Self.directory)/absent.safetensors", s.manifest])
        XCTAssertEqual(noModel.status, 1)
        XCTAssertTrue(noModel.err.contains("absent.safetensors"), noModel.err)
    }
}
