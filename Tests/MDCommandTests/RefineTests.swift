import Foundation
import XCTest
import LearnedFF
import MDCore
@testable import MDCommand

final class RefineTests: XCTestCase {
    private let solution = Paths.fixture("rna/14_solution_free_0_rpr.res16-35.pdb")
    private let candidate = Paths.fixture("rna/14_DasPreExp_1_rpr.res16-35.pdb")

    private func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("md-refine-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testHelpDescribesTargetsAndTheModelOptions() {
        let run = Run(["refine", "--help"])
        XCTAssertEqual(run.status, 0)
        for text in ["md refine CANDIDATE", "Algorithm 1", "--solution", "--targets OUT.json|OUT.csv", "--neighbors K", "--overwrite",
                     "--json", "hydrogens are ignored", "v_a    = p_candidate(a) − T_a(p_solution(a))", "--model", "--out REFINED.pdb", "--iterations N", "--vectors OUT.json|OUT.csv"] {
            XCTAssertTrue(run.out.contains(text), "help lacks '\(text)'")
        }
        XCTAssertTrue(Run(["--help"]).out.contains("refine"))
    }

    func testWritesCSVAndRefusesToOverwrite() throws {
        let out = try scratch() + "/targets.csv"
        let run = Run(["refine", candidate, "--solution", solution, "--targets", out])
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertTrue(run.out.contains("matched: 346 atoms"), run.out)
        XCTAssertTrue(run.out.contains("absent from the other file 68 (e.g. A:22:G:P"), run.out)
        XCTAssertTrue(run.out.contains("residue name differs 20 (e.g. A:32:U:P"), run.out)
        XCTAssertTrue(run.out.contains("global RMSD: 2.5011 A"), run.out)
        XCTAssertTrue(run.out.contains("wrote \(out)"))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\n")
        let rows = lines.filter { !$0.hasPrefix("#") }
        XCTAssertEqual(rows.count, 347)
        XCTAssertEqual(rows[0], "chain,residue,residue_name,atom_name,element,candidate_serial,solution_serial,x,y,z,vx,vy,vz,length,local_rmsd")
        XCTAssertTrue(rows[1].hasPrefix("A,16,C,P,P,"), String(rows[1]))
        XCTAssertEqual(rows[1].split(separator: ",").count, 15)
        XCTAssertTrue(lines.contains { $0.hasPrefix("# matched: 346 atoms") })
        XCTAssertTrue(lines.contains { $0.contains("v_a = p_candidate(a) - T_a(p_solution(a))") })

        let again = Run(["refine", candidate, "--solution", solution, "--targets", out])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.err.contains("\(out): exists; pass --overwrite to replace it"), again.err)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), text)
        XCTAssertEqual(Run(["refine", candidate, "--solution", solution, "--targets", out, "--overwrite"]).status, 0)
    }

    func testJSONTargetsAndJSONReport() throws {
        let out = try scratch() + "/targets.json"
        let run = Run(["refine", candidate, "--solution", solution, "--targets", out, "--json", "--neighbors", "30"])
        XCTAssertEqual(run.status, 0, run.err)
        let report = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as! [String: Any]
        XCTAssertEqual(report["format"] as? String, "md-refinement-targets 1")
        XCTAssertEqual(report["targets"] as? String, out)
        let matching = report["matching"] as! [String: Any]
        XCTAssertEqual(matching["matched"] as? Int, 346)
        XCTAssertEqual(((matching["candidate"] as! [String: Any])["skipped"] as! [String: Int])["missing"], 68)
        XCTAssertEqual((report["definition"] as! [String: Any])["neighbors"] as? Int, 30)
        let summary = report["summary"] as! [String: Any]
        XCTAssertEqual(summary["globalRMSD"] as! Double, 2.5011, accuracy: 1e-4)
        XCTAssertEqual(summary["neighborhoodSize"] as? Int, 30)

        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        let atoms = file["atoms"] as! [[String: Any]]
        XCTAssertEqual(atoms.count, 346)
        XCTAssertEqual(atoms[0]["name"] as? String, "P")
        XCTAssertEqual(atoms[0]["residue"] as? String, "16")
        XCTAssertEqual(atoms[0]["element"] as? String, "P")
        XCTAssertEqual((atoms[0]["position"] as! [Double]).count, 3)
        XCTAssertEqual((atoms[0]["vector"] as! [Double]).count, 3)
        let mean = atoms.map { $0["length"] as! Double }.reduce(0, +) / 346
        XCTAssertEqual(mean, summary["meanVectorLength"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(((file["report"] as! [String: Any])["summary"] as! [String: Any])["globalRMSD"] as! Double,
                       summary["globalRMSD"] as! Double)
    }

    func testErrorsAreClear() throws {
        let directory = try scratch()
        let bad = directory + "/bad.pdb"
        try "ATOM      1  P     C A  16     -14.004  22.424 -36.401  1.00 72.25           P\nATOM      2  C5'   C A  1x     -15.443  20.252 -36.095  1.00 67.35           C\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let run = Run(["refine", bad, "--solution", solution])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.err.contains("\(bad): line 2, columns 23–26: expected a residue number, found '1x'"), run.err)

        let other = directory + "/other.pdb"
        try "ATOM      1  N   ALA B   1       0.000   0.000   0.000  1.00  0.00           N\n".write(toFile: other, atomically: true, encoding: .utf8)
        let none = Run(["refine", other, "--solution", solution])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.err.contains("have 0 atoms in common"), none.err)

        XCTAssertEqual(Run(["refine", candidate]).status, 2)
        XCTAssertTrue(Run(["refine", candidate]).err.contains("missing --solution"))
        XCTAssertEqual(Run(["refine", candidate, "--solution", solution, "--targets", directory + "/t.txt"]).status, 2)
        XCTAssertEqual(Run(["refine", candidate, "--solution", solution, "--neighbors", "2"]).status, 2)
        XCTAssertEqual(Run(["refine", candidate, "--solution", solution, "--targets", directory + "/no/such/t.csv"]).status, 1)
        let model = Run(["refine", candidate, "--model", directory + "/m.safetensors", "--out", directory + "/r.pdb"])
        XCTAssertEqual(model.status, 1)
        XCTAssertTrue(model.err.contains("m.safetensors"), model.err)
        XCTAssertEqual(Run(["refine", candidate, "--model", directory + "/m.safetensors"]).status, 2, "--model needs --out or --vectors")
        XCTAssertEqual(Run(["refine", candidate, "--solution", solution, "--step", "0.5"]).status, 2, "--step needs --model")
    }
}

/// Learning and using refinement vectors through the commands: `md train` on a refinement manifest,
/// `md evaluate` giving Table 2 and the refinement outcome, `md refine --model`. The rp14_free
/// fixtures stand in for RNA-Puzzles; expected numbers come from the NumPy reference
/// (Tests/Fixtures/rna/reference.json) or from md refine's targets path, not from the code under test.
final class RefinementCommandTests: XCTestCase {
    private static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("md-refinement-commands-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    private static let solution = Paths.fixture("rna/14_solution_free_0_rpr.res16-35.pdb")
    private static let candidates = ["rna/14_DasPreExp_1_rpr.res16-35.pdb", "rna/14_BujnickiPostExp_1_rpr.res16-35.pdb"].map(Paths.fixture)

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        super.tearDown()
    }

    /// The fixture target in every split, and a model trained on it for a few steps (once).
    private static let trained: (manifest: String, model: String, run: Run) = {
        let targets = ["train", "validation", "test"].map { split -> [String: Any] in
            ["id": "rp14_\(split)", "split": split, "solution": solution, "candidates": candidates]
        }
        let manifest = "\(directory)/dataset.json"
        try! JSONSerialization.data(withJSONObject: ["format": "md-refinement-dataset 1", "targets": targets]).write(to: URL(fileURLWithPath: manifest))
        let model = "\(directory)/refine.safetensors"
        let run = Run(["train", manifest, "--out", model, "--order", "1", "--steps", "4", "--validation-interval", "2", "--quiet"])
        return (manifest, model, run)
    }()

    private struct Reference: Decodable {
        struct Candidate: Decodable { var globalRMSD: Double; var meanVectorLength: Double; var matched: Int }
        var candidates: [String: Candidate]
    }

    private func reference() throws -> [Reference.Candidate] {
        let r = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Paths.fixture("rna/reference.json"))))
        return Self.candidates.map { r.candidates[URL(fileURLWithPath: $0).lastPathComponent]! }
    }

    func testTrainWritesARefinementModel() throws {
        let (_, path, run) = Self.trained
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertTrue(run.err.contains("2 training candidates from 1 systems"), run.err)
        XCTAssertTrue(run.err.contains("Huber δ 1.0000 Å"), run.err)
        let model = try LearnedModel.load(path)
        XCTAssertEqual(model.target, .refinement)
        XCTAssertEqual(model.configuration.radialCutoff, 12)
        XCTAssertTrue(model.configuration.elements.contains(Element(atomicNumber: 15)))
        let log = try String(contentsOfFile: path + ".log.csv", encoding: .utf8)
        XCTAssertTrue(log.hasPrefix("step,learning_rate,train_loss,validation_loss,tensor_A,magnitude_A"), log)
        XCTAssertEqual(log.split(separator: "\n").count, 3)
    }

    /// --sequence-separation: a refinement model whose radial functions see the chain, started from
    /// the trained model without it, which md refine and md evaluate then use; refused for forces.
    func testSequenceSeparationModelTrainsRefinesAndEvaluates() throws {
        let (manifest, plain, run) = Self.trained
        XCTAssertEqual(run.status, 0, run.err)
        let path = "\(Self.directory)/sequence.safetensors"
        let train = Run(["train", manifest, "--out", path, "--init", plain, "--order", "1", "--sequence-separation", "--steps", "2",
                         "--validation-interval", "2", "--quiet"])
        XCTAssertEqual(train.status, 0, train.err)
        let model = try LearnedModel.load(path)
        XCTAssertTrue(model.configuration.sequenceSeparation)
        XCTAssertEqual(model.parameters["block1.radial.w1"]!.shape[0], try LearnedModel.load(plain).parameters["block1.radial.w1"]!.shape[0] + 4)
        let refine = Run(["refine", Self.candidates[0], "--model", path, "--solution", Self.solution, "--out", "\(Self.directory)/seq.pdb", "--json"])
        XCTAssertEqual(refine.status, 0, refine.err)
        let evaluate = Run(["evaluate", path, manifest, "--quiet"])
        XCTAssertEqual(evaluate.status, 0, evaluate.err)
        XCTAssertTrue(evaluate.out.contains("radial functions see sequence separation"), evaluate.out)
        let forces = Run(["train", Paths.root.appendingPathComponent("trajectories/dataset.json").path, "--out", "\(Self.directory)/f.safetensors",
                          "--sequence-separation", "--steps", "1"])
        XCTAssertEqual(forces.status, 2)
        XCTAssertTrue(forces.err.contains("--sequence-separation applies to refinement datasets"), forces.err)
    }

    func testEvaluateGivesTableTwoAndTheRefinementOutcome() throws {
        let (manifest, model, run) = Self.trained
        XCTAssertEqual(run.status, 0, run.err)
        let evaluation = Run(["evaluate", model, manifest, "--json", "--quiet"])
        XCTAssertEqual(evaluation.status, 0, evaluation.err)
        let json = try JSONSerialization.jsonObject(with: Data(evaluation.out.utf8)) as! [String: Any]
        let reference = try reference()
        let atoms = reference.map(\.matched).reduce(0, +)
        let group = (json["groups"] as! [[String: Any]])[0]
        XCTAssertNil(group["protein"])
        let table = group["all"] as! [String: Any]
        XCTAssertEqual(table["atoms"] as? Int, atoms)
        let meanLength = reference.map { $0.meanVectorLength * Double($0.matched) }.reduce(0, +) / Double(atoms)
        XCTAssertEqual((table["meanMagnitude"] as! [String: Any])["angstrom"] as! Double, meanLength, accuracy: 1e-9)
        let rows = table["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["predictor"] as! String }, ["refine.safetensors (order 1)", "mean magnitude", "random direction", "zero vector"])
        XCTAssertEqual((rows[3]["tensor"] as! [String: Any])["angstrom"] as! Double, meanLength, accuracy: 1e-9)

        let refinement = json["refinement"] as! [String: Any]
        XCTAssertEqual(refinement["candidates"] as? Int, 2)
        let before = refinement["before"] as! [String: Any]
        XCTAssertEqual(before["meanGlobalRMSD"] as! Double, reference.map(\.globalRMSD).reduce(0, +) / 2, accuracy: 1e-6)
        XCTAssertEqual(before["meanLocalVector"] as! Double, reference.map(\.meanVectorLength).reduce(0, +) / 2, accuracy: 1e-9)
        let oracle = refinement["oracle"] as! [String: Any]
        XCTAssertLessThan(oracle["meanGlobalRMSD"] as! Double, before["meanGlobalRMSD"] as! Double)
        XCTAssertEqual((refinement["models"] as! [[String: Any]]).count, 1)

        let markdown = Run(["evaluate", model, manifest, "--quiet"])
        XCTAssertEqual(markdown.status, 0, markdown.err)
        for text in ["Table 2", "magnitude (Å)", "tensor (Å)", "mean |v|", "## Refinement", "oracle: true vectors", "68.8°"] {
            XCTAssertTrue(markdown.out.contains(text), "report lacks '\(text)'")
        }
        XCTAssertFalse(markdown.out.contains("meV"), markdown.out)
    }

    func testRefineWithAModelWritesTheMovedStructureAndItsRMSD() throws {
        let (_, model, run) = Self.trained
        XCTAssertEqual(run.status, 0, run.err)
        let out = "\(Self.directory)/refined.pdb"
        let refine = Run(["refine", Self.candidates[0], "--model", model, "--solution", Self.solution, "--out", out,
                          "--iterations", "2", "--step", "0.5", "--json", "--overwrite"])
        XCTAssertEqual(refine.status, 0, refine.err)
        let json = try JSONSerialization.jsonObject(with: Data(refine.out.utf8)) as! [String: Any]
        let iterations = json["iterations"] as! [[String: Any]]
        XCTAssertEqual(iterations.count, 3)
        let first = iterations[0]["deviation"] as! [String: Any]
        XCTAssertEqual(first["globalRMSD"] as! Double, try reference()[0].globalRMSD, accuracy: 1e-6)
        XCTAssertGreaterThan(iterations[2]["meanMove"] as! Double, 0)
        // The written file, read back through md refine's targets: its RMSD is the last iteration's
        // (to the 0.0005 Å the PDB format keeps).
        let last = (iterations[2]["deviation"] as! [String: Any])["globalRMSD"] as! Double
        let check = Run(["refine", out, "--solution", Self.solution, "--json"])
        XCTAssertEqual(check.status, 0, check.err)
        let summary = (try JSONSerialization.jsonObject(with: Data(check.out.utf8)) as! [String: Any])["summary"] as! [String: Any]
        XCTAssertEqual(summary["globalRMSD"] as! Double, last, accuracy: 1e-3)
        XCTAssertEqual(Run(["refine", Self.candidates[0], "--model", model, "--out", out]).status, 1, "exists without --overwrite")
    }

    /// Numeric columns of a CSV md writes ('#' lines skipped), by header name.
    private func columns(_ path: String) throws -> [String: [Double]] {
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        let header = rows[0].split(separator: ",").map(String.init)
        var out: [String: [Double]] = [:]
        for row in rows.dropFirst() {
            for (name, field) in zip(header, row.split(separator: ",")) { if let x = Double(field) { out[name, default: []].append(x) } }
        }
        return out
    }

    /// The written field is the one the refinement moves by (checked through the refined PDB read
    /// back by md refine --targets), and its target columns are md refine --targets' vectors.
    func testVectorsAreTheFirstMoveBesideAlgorithmOne() throws {
        let (_, model, run) = Self.trained
        XCTAssertEqual(run.status, 0, run.err)
        let d = Self.directory, candidate = Self.candidates[0], solution = Self.solution
        let refine = Run(["refine", candidate, "--model", model, "--solution", solution, "--out", "\(d)/moved.pdb",
                          "--vectors", "\(d)/field.csv", "--overwrite"])
        XCTAssertEqual(refine.status, 0, refine.err)
        XCTAssertTrue(refine.out.contains("wrote \(d)/field.csv"), refine.out)
        for (input, out) in [(candidate, "given.csv"), ("\(d)/moved.pdb", "moved.csv")] {
            XCTAssertEqual(Run(["refine", input, "--solution", solution, "--targets", "\(d)/\(out)", "--overwrite"]).status, 0)
        }
        let field = try columns("\(d)/field.csv"), given = try columns("\(d)/given.csv"), moved = try columns("\(d)/moved.csv")
        XCTAssertEqual(field["px"]?.count, 346)
        for axis in ["x", "y", "z"] {
            let p = field["p" + axis]!, v = field["v" + axis]!
            XCTAssertEqual(field[axis]!, given[axis]!)
            for i in p.indices {
                XCTAssertEqual(v[i], given["v" + axis]![i], accuracy: 1e-6)
                // Moved by one whole predicted vector, written to PDB's 0.001 Å.
                XCTAssertEqual(moved[axis]![i], given[axis]![i] - p[i], accuracy: 6e-4)
            }
        }
        let lengths = field["predicted_length"]!
        XCTAssertEqual(lengths[7], (0..<3).map { field[["px", "py", "pz"][$0]]![7] }.reduce(0) { $0 + $1 * $1 }.squareRoot(), accuracy: 2e-6)
        XCTAssertGreaterThan(lengths.max()!, 0)

        // JSON, without --out: the same prediction, and nothing refined.
        let json = Run(["refine", candidate, "--model", model, "--solution", solution, "--vectors", "\(d)/field.json", "--json", "--overwrite"])
        XCTAssertEqual(json.status, 0, json.err)
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(d)/field.json"))) as! [String: Any]
        XCTAssertEqual((file["report"] as! [String: Any])["format"] as? String, "md-refinement-predictions 1")
        let atoms = file["atoms"] as! [[String: Any]]
        XCTAssertEqual(atoms.count, 346)
        XCTAssertEqual((atoms[5]["predicted"] as! [Double])[1], field["py"]![5], accuracy: 1e-6)
        XCTAssertEqual((atoms[5]["target"] as! [Double])[2], field["vz"]![5], accuracy: 1e-6)

        // Without a solution: every heavy atom of the candidate, and no target columns.
        let alone = Run(["refine", candidate, "--model", model, "--vectors", "\(d)/alone.csv", "--overwrite"])
        XCTAssertEqual(alone.status, 0, alone.err)
        let own = try columns("\(d)/alone.csv")
        XCTAssertEqual(own["px"]?.count, 434)
        XCTAssertNil(own["vx"])

        let again = Run(["refine", candidate, "--model", model, "--vectors", "\(d)/field.csv"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.err.contains("field.csv: exists; pass --overwrite"), again.err)
        XCTAssertEqual(Run(["refine", candidate, "--model", model, "--vectors", "\(d)/field.txt"]).status, 2)
        XCTAssertEqual(Run(["refine", candidate, "--model", model, "--vectors", "\(d)/f.csv", "--iterations", "2"]).status, 2,
                       "--iterations needs --out")
    }

    /// An order-0 model writes lengths only, the ones md evaluate scores: the files' mean
    /// | |p| − |t| | over both candidates is evaluate's magnitude error.
    func testOrderZeroVectorsAreTheLengthsEvaluateScores() throws {
        let (manifest, _, run) = Self.trained
        XCTAssertEqual(run.status, 0, run.err)
        let d = Self.directory, model = "\(d)/order0.safetensors"
        let train = Run(["train", manifest, "--out", model, "--order", "0", "--steps", "2", "--validation-interval", "2", "--quiet", "--overwrite"])
        XCTAssertEqual(train.status, 0, train.err)
        var errors: [Double] = []
        for (k, candidate) in Self.candidates.enumerated() {
            let out = "\(d)/lengths\(k).csv"
            let refine = Run(["refine", candidate, "--model", model, "--solution", Self.solution, "--vectors", out, "--overwrite"])
            XCTAssertEqual(refine.status, 0, refine.err)
            let field = try columns(out)
            XCTAssertNil(field["px"])
            errors += zip(field["predicted_length"]!, field["target_length"]!).map { abs($0 - $1) }
        }
        let evaluation = Run(["evaluate", model, manifest, "--json", "--quiet", "--refine-iterations", "1"])
        XCTAssertEqual(evaluation.status, 0, evaluation.err)
        let json = try JSONSerialization.jsonObject(with: Data(evaluation.out.utf8)) as! [String: Any]
        let row = (((json["groups"] as! [[String: Any]])[0]["all"] as! [String: Any])["rows"] as! [[String: Any]])[0]
        XCTAssertEqual(errors.count, try reference().map(\.matched).reduce(0, +))
        XCTAssertEqual(errors.reduce(0, +) / Double(errors.count), (row["magnitude"] as! [String: Any])["angstrom"] as! Double, accuracy: 1e-5)
        let refine = Run(["refine", Self.candidates[0], "--model", model, "--out", "\(d)/order0.pdb"])
        XCTAssertEqual(refine.status, 1)
        XCTAssertTrue(refine.err.contains("is an order-0 model"), refine.err)
    }

    func testModelsOfTheOtherTaskAreRefused() throws {
        let (manifest, model, run) = Self.trained
        XCTAssertEqual(run.status, 0, run.err)
        let forces = Paths.root.appendingPathComponent("models/default.safetensors").path
        let wrong = Run(["refine", Self.candidates[0], "--model", forces, "--out", "\(Self.directory)/x.pdb"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.err.contains("predicts forces; md refine needs a refinement model"), wrong.err)
        let evaluate = Run(["evaluate", forces, manifest])
        XCTAssertEqual(evaluate.status, 2)
        XCTAssertTrue(evaluate.err.contains("predicts forces, but \(manifest) holds refinement vectors"), evaluate.err)
        let simulate = Run(["simulate", Paths.root.appendingPathComponent("systems/ala2-water").path, "--forces", "learned=\(model)",
                            "--steps", "1", "--out", "\(Self.directory)/x.nc"])
        XCTAssertEqual(simulate.status, 1)
        XCTAssertTrue(simulate.err.contains("predicts refinement vectors (Å), not forces"), simulate.err)
    }
}
