import Foundation
import XCTest
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

    func testHelpDescribesTargetsAndTheComingModelOption() {
        let run = Run(["refine", "--help"])
        XCTAssertEqual(run.status, 0)
        for text in ["md refine CANDIDATE", "Algorithm 1", "--solution", "--targets OUT.json|OUT.csv", "--neighbors K", "--overwrite",
                     "--json", "hydrogens are ignored", "v_a    = p_candidate(a) − T_a(p_solution(a))", "--model", "issue 10"] {
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
        let model = Run(["refine", candidate, "--model", "m.safetensors"])
        XCTAssertEqual(model.status, 1)
        XCTAssertTrue(model.err.contains("md refine --model is not implemented yet (issue 10)"), model.err)
    }
}
