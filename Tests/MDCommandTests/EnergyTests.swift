import Foundation
import XCTest
import AmberIO
import ClassicalFF
import Equivariant
import LearnedFF
import MDCore
@testable import MDCommand

/// `md energy --forces learned` against the learned provider run directly on the same frame.
final class EnergyTests: XCTestCase {
    private let system = Paths.root.appendingPathComponent("systems/ala2-water").path

    /// A small untrained protein model with non-zero output.
    private func writeModel(in directory: String) throws -> String {
        let network = TensorFieldNetwork(.small(order: 1, outputScale: 20))
        let path = "\(directory)/model.safetensors"
        try LearnedModel(network: network, parameters: network.initialParameters(seed: 9, zeroOutput: false), learnedAtoms: .protein).write(to: path)
        return path
    }

    func testLearnedForcesReportTheProvidersForcesAndSplit() throws {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("md-energy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: d) }
        let model = try writeModel(in: d)
        let run = Run(["energy", system, "--forces", "learned=\(model)", "--write-forces", "\(d)/forces.nc", "--json"])
        XCTAssertEqual(run.status, 0, run.err)
        let report = try JSONDecoder().decode(EnergyReport.self, from: Data(run.out.utf8))

        // The same frame through LearnedForceField and an independent classical force field.
        let prmtop = try Prmtop(contentsOf: Paths.system("ala2-water"))
        let frame = try Rst7.read(Paths.root.appendingPathComponent("systems/ala2-water/ala2-water.rst7").path).frame
        let classical = try ClassicalForceField(prmtop: prmtop, options: ClassicalOptions())
        let learned = try LearnedForceField(model: try LearnedModel.load(model), topology: prmtop.topology, elements: prmtop.elements,
                                            classical: classical, source: prmtop.path)
        var expected = [Double](repeating: 0, count: 3 * prmtop.atomCount)
        _ = try frame.positions.withUnsafeBufferPointer { x in
            try expected.withUnsafeMutableBufferPointer { try learned.compute(positions: x, box: frame.box, forces: $0) }
        }
        let written = try XCTUnwrap(try AmberNetCDFReader("\(d)/forces.nc").frame(0).forces)
        for k in 0..<expected.count { XCTAssertEqual(written[k], Double(Float(expected[k])), "force component \(k)") }

        let peptide = prmtop.topology.atoms.indices.filter { prmtop.topology.residues[prmtop.topology.atoms[$0].residueIndex].name != "WAT" }
        XCTAssertEqual(report.forces, "learned")
        XCTAssertEqual(report.learned?.learnedAtoms, peptide.count)
        XCTAssertEqual(report.learned?.classicalAtoms, prmtop.atomCount - peptide.count)
        XCTAssertEqual(report.learned?.netForceRemoved, [learned.lastNetForce.x, learned.lastNetForce.y, learned.lastNetForce.z])
        XCTAssertEqual(try XCTUnwrap(report.total), classical.lastEnergies.total, accuracy: 1e-9 * abs(classical.lastEnergies.total))
        var magnitudes: [Double] = []
        for i in 0..<prmtop.atomCount {
            let f = SIMD3(expected[3 * i], expected[3 * i + 1], expected[3 * i + 2])
            magnitudes.append((f * f).sum().squareRoot())
        }
        let largest = magnitudes.indices.max { magnitudes[$0] < magnitudes[$1] }!
        XCTAssertEqual(report.maxForceAtom, largest)
        XCTAssertEqual(report.maxForce, magnitudes[largest], accuracy: 1e-9 * magnitudes[largest])
        let squares: Double = magnitudes.reduce(0) { $0 + $1 * $1 }
        let rms = (squares / Double(prmtop.atomCount)).squareRoot()
        XCTAssertEqual(report.rmsForce, rms, accuracy: 1e-9 * rms)

        let text = Run(["energy", system, "--forces", "learned=\(model)"])
        XCTAssertEqual(text.status, 0, text.err)
        XCTAssertTrue(text.out.contains("\(peptide.count) learned, \(prmtop.atomCount - peptide.count) classical"), text.out)
        XCTAssertTrue(text.out.contains("the learned forces have no energy"), text.out)
        XCTAssertTrue(text.out.contains("max force") && text.out.contains("rms force") && text.out.contains("net learned"), text.out)
    }
}
