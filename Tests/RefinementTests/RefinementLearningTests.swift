import AmberIO
import Equivariant
import Foundation
import LearnedFF
import MDCore
import TensorCore
import XCTest
@testable import Refinement

/// Learning refinement vectors (§4.4): the dataset manifest, samples, training, and refinement with
/// a model, on the trimmed rp14_free fixtures. Expected values come from `RefinementVectors` (itself
/// checked against NumPy/SciPy) and from the network run through another path (`TrainingExample`).
final class RefinementLearningTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("md-refinement-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    /// A manifest with the fixture target twice: once for training, once as the test split.
    private func manifest() throws -> String {
        let target = ["solution": Fixtures.solution, "candidates": Fixtures.candidates.map(Fixtures.path)] as [String: Any]
        let json: [String: Any] = ["format": RefinementDataset.format,
                                   "targets": [target.merging(["id": "rp14_free", "split": "train"]) { $1 },
                                               target.merging(["id": "rp14_copy", "split": "test"]) { $1 }]]
        let path = "\(directory!)/dataset.json"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func samples(_ split: String = "train") throws -> [RefinementSample] {
        var out: [RefinementSample] = []
        try RefinementDataset.load(manifest: try manifest()).split(split).samples { out.append($0) }
        return out
    }

    private func model(order: Int, seed: UInt64 = 5) -> LearnedModel {
        let network = TensorFieldNetwork(.small(order: order, outputScale: 2, elements: [.carbon, .nitrogen, .oxygen, Element(atomicNumber: 15)]))
        return LearnedModel(network: network, parameters: network.initialParameters(seed: seed, zeroOutput: false), learnedAtoms: .all,
                            target: .refinement)
    }

    func testSamplesAreTheMatchedAtomsWithTheirAlgorithmOneVectors() throws {
        let samples = try samples()
        XCTAssertEqual(samples.map(\.candidate), Fixtures.candidates.map(Fixtures.path))
        for sample in samples {
            let match = try StructureMatch(candidatePath: sample.candidate, solutionPath: Fixtures.solution)
            XCTAssertEqual(sample.atomCount, 346)
            XCTAssertEqual(sample.candidatePositions, match.candidatePositions)
            XCTAssertEqual(sample.vectors, RefinementVectors.compute(candidate: match.candidatePositions, solution: match.solutionPositions).vectors)
            XCTAssertEqual(Set(sample.elements.map(\.symbol)), ["C", "N", "O", "P"])
        }
        XCTAssertEqual(try self.samples("test").map(\.target), ["rp14_copy", "rp14_copy"])
        XCTAssertTrue(try self.samples("validation").isEmpty)
    }

    func testManifestOfAnotherFormatIsRefusedByName() throws {
        let path = "\(directory!)/forces.json"
        try Data(#"{"format": "md-dataset 1", "proteins": []}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try RefinementDataset.load(manifest: path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("md-refinement-dataset 1"), "\(error)")
        }
    }

    func testExampleTargetsEveryAtomWithItsVector() throws {
        let sample = try samples()[0]
        let model = model(order: 1)
        let example = try sample.example(model: model)
        XCTAssertEqual(example.lossAtoms, Array(0..<sample.atomCount))
        XCTAssertEqual(example.fieldAtoms, sample.atomCount)
        XCTAssertEqual(example.targetVectors, sample.vectors.flatMap { [$0.x, $0.y, $0.z] })
    }

    func testModelFileKeepsTheTarget() throws {
        let path = "\(directory!)/refine.safetensors"
        try model(order: 2).write(to: path)
        let loaded = try LearnedModel.load(path)
        XCTAssertEqual(loaded.target, .refinement)
        XCTAssertEqual(loaded.huberDelta, 1)
        XCTAssertEqual(loaded.learnedAtoms, .all)
    }

    /// A sample carries its matched atoms' chains and residue numbers: the fixture is residues 16–35
    /// of chain A, of which the solution lacks 22–24 and names 32 otherwise (so 32 is not matched).
    /// A force model claiming sequence separation is refused on load, by file name.
    func testSequencePositionsComeFromTheMatchedAtoms() throws {
        let sample = try samples()[0]
        XCTAssertEqual(sample.sequence.count, sample.atomCount)
        XCTAssertEqual(Set(sample.sequence.chains), [0])
        XCTAssertEqual(Set(sample.sequence.residues), Set([16, 17, 18, 19, 20, 21, 25, 26, 27, 28, 29, 30, 31, 33, 34, 35]))

        var c = TensorFieldNetworkConfiguration.small(order: 1)
        c.sequenceSeparation = true
        let network = TensorFieldNetwork(c)
        let path = "\(directory!)/force.safetensors"
        try LearnedModel(network: network, parameters: network.initialParameters(seed: 1)).write(to: path)
        XCTAssertThrowsError(try LearnedModel.load(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("\"sequence_separation\" applies to refinement models only"), "\(error)")
        }
    }

    /// The loss with a magnitude term, computed by hand from the predicted and true vectors: the mean
    /// Huber of |p − t| plus the weight times the mean Huber of |p| − |t|; the file keeps the weight.
    func testMagnitudeTermAddsTheHuberOfTheMagnitudeError() throws {
        var model = model(order: 2)
        model.magnitudeLossWeight = 0.5
        let example = try samples()[0].example(model: model)
        let graph = Graph<Float>(recording: false)
        let prediction = model.predict(example, on: graph, parameters: model.parameters.variables(in: graph))
        let loss = Double(model.loss(prediction: prediction, target: graph.constant(example.target)).value.scalar)
        let p = model.forces(example, output: prediction.value), t = example.targetVectors
        func huber(_ r: Double) -> Double { abs(r) <= 1 ? r * r / 2 : abs(r) - 0.5 }
        func norm(_ v: [Double], _ i: Int) -> Double { (0..<3).map { v[3 * i + $0] * v[3 * i + $0] }.reduce(0, +).squareRoot() }
        let n = example.lossAtoms.count
        let vectorTerm = (0..<n).map { i in huber(norm(zip(p, t).map { $0 - $1 }, i)) }.reduce(0, +) / Double(n)
        let magnitudeTerm = (0..<n).map { i in huber(norm(p, i) - norm(t, i)) }.reduce(0, +) / Double(n)
        XCTAssertGreaterThan(magnitudeTerm, 0.01, "the untrained model's magnitudes must be off for this test to mean anything")
        XCTAssertEqual(loss, vectorTerm + 0.5 * magnitudeTerm, accuracy: 1e-5 * loss)

        let path = "\(directory!)/magnitude.safetensors"
        try model.write(to: path)
        XCTAssertEqual(try LearnedModel.load(path).magnitudeLossWeight, 0.5)
    }

    /// An order-0 prediction that hits its target exactly (p == |t| in Float) gives zero loss and a
    /// zero, finite gradient there; taking the square root of (p − t)² made that gradient NaN, which
    /// stopped a 17-target training run at its 1,406th step. Elsewhere the gradient is the Huber slope.
    func testOrderZeroLossHasAFiniteGradientAtAnExactHit() throws {
        let model = model(order: 0)
        let graph = Graph<Float>()
        let target: [Float] = [1.5, 0.25, 3, 0.75]
        let prediction = graph.parameter(Tensor(shape: Shape(4), scalars: [1.5, 0.5, 3, 0.75]))
        let loss = model.loss(prediction: prediction, target: graph.constant(Tensor(shape: Shape(4), scalars: target)))
        XCTAssertEqual(Double(loss.value.scalar), 0.25 * 0.25 / 2 / 4, accuracy: 1e-7)
        let gradient = graph.backward(loss)[prediction].scalars
        XCTAssertEqual(gradient, [0, 0.25 / 4, 0, 0])
    }

    /// A step whose loss is not finite is refused with the example that caused it, and not applied.
    func testANonFiniteStepNamesItsExampleAndKeepsTheParameters() throws {
        let model = model(order: 1)
        let sample = try samples()[0]
        let channels = try model.channels(for: sample.elements, source: sample.candidate)
        let broken = TrainingExample(source: "broken.pdb", system: "rp14_free", kind: "candidate",
                                     positions: sample.candidatePositions.flatMap { [$0.x, $0.y, $0.z] }, box: nil, channels: channels,
                                     lossAtoms: Array(0..<sample.atomCount), targets: [.nan] + Array(repeating: 0, count: 3 * sample.atomCount - 1),
                                     network: model.network)
        var options = TrainingOptions()
        options.steps = 2
        let trainer = Trainer(model: model, training: ExampleSet([broken]), validation: ExampleSet([]), options: options)
        func scalars(_ m: LearnedModel) -> [[Float]] { m.parameters.names.map { m.parameters[$0]!.scalars } }
        let before = scalars(model)
        XCTAssertThrowsError(try trainer.trainStep()) { error in
            XCTAssertTrue("\(error)".contains("step 1 on broken.pdb") && "\(error)".contains("not applied"), "\(error)")
        }
        XCTAssertEqual(trainer.step, 0)
        XCTAssertEqual(scalars(trainer.model), before)
    }

    func testTrainingLowersTheRefinementLoss() throws {
        let samples = try samples()
        let model = model(order: 1, seed: 2)
        let examples = ExampleSet(count: samples.count) { try! samples[$0].example(model: model) }
        var options = TrainingOptions()
        options.steps = 60
        options.learningRate = 1e-2
        options.warmupSteps = 5
        options.threads = 2
        let trainer = Trainer(model: model, training: examples, validation: examples, options: options)
        let before = Trainer.evaluate(trainer.model, on: examples).loss
        while !trainer.isFinished { try trainer.trainStep() }
        let after = Trainer.evaluate(trainer.model, on: examples).loss
        XCTAssertLessThan(after, 0.9 * before, "loss \(before) → \(after)")
    }

    /// Each iteration moves by −step·v with v the network's prediction on the moved structure, and
    /// reports that v, checked against the prediction made through a `TrainingExample` (another code path).
    func testRefinerMovesAgainstThePrediction() throws {
        let sample = try samples()[1]
        let model = model(order: 2)
        let refined = try StructureRefiner(model: model, step: 0.5, iterations: 2).refine(sample.candidatePositions, elements: sample.elements, sequence: sample.sequence,
                                                                                          source: sample.candidate)
        let path = refined.path
        XCTAssertEqual(refined.predictions.count, 2)
        XCTAssertEqual(path.count, 3)
        XCTAssertEqual(path[0], sample.candidatePositions)
        for k in 1...2 {
            var moved = sample
            moved.candidatePositions = path[k - 1]
            let v = model.predictedForces(try moved.example(model: model))
            var largest = 0.0
            for i in 0..<sample.atomCount {
                let expected = path[k - 1][i] - 0.5 * SIMD3(v[3 * i], v[3 * i + 1], v[3 * i + 2])
                largest = max(largest, maxAbs(path[k][i] - expected))
            }
            XCTAssertLessThan(largest, 1e-9, "iteration \(k)")
            XCTAssertLessThan(zip(refined.predictions[k - 1], v).map { abs($0 - $1) }.max()!, 1e-9, "the predictions reported for iteration \(k)")
            XCTAssertGreaterThan(v.map(abs).max()!, 1e-3, "the model must move atoms for this test to mean anything")
        }
    }

    /// Moving by the true −v puts every atom on its locally aligned solution position: the global
    /// RMSD and local |v| fall; the solution itself deviates by nothing.
    func testDeviationFallsUnderTheOracleMove() throws {
        let sample = try samples()[0]
        let before = StructureRefiner.deviation(sample.candidatePositions, solution: sample.solutionPositions)
        let oracle = StructureRefiner.deviation(zip(sample.candidatePositions, sample.vectors).map { $0 - $1 }, solution: sample.solutionPositions)
        XCTAssertLessThan(oracle.meanLocalVector, 0.5 * before.meanLocalVector)
        XCTAssertLessThan(oracle.globalRMSD, before.globalRMSD)
        let exact = StructureRefiner.deviation(sample.solutionPositions, solution: sample.solutionPositions)
        XCTAssertEqual(exact.globalRMSD, 0, accuracy: 1e-6)
        XCTAssertEqual(exact.meanLocalVector, 0, accuracy: 1e-6)
    }

    /// The refined file is the candidate with new coordinates: moved atoms where they were moved,
    /// unmatched atoms of a residue with moved atoms carried along, residues without any untouched.
    func testRefinedPDBKeepsRecordsAndCarriesUnmatchedAtoms() throws {
        let candidatePath = Fixtures.path(Fixtures.candidates[0])
        let bytes = try FileBytes.read(candidatePath)
        let records = try PDB.read(bytes: bytes, path: candidatePath).models[0].atoms
        let match = try StructureMatch(candidatePath: candidatePath, solutionPath: Fixtures.solution)
        let shift = SIMD3(0.25, -0.5, 1.0)
        var moved: [Int: SIMD3<Double>] = [:]
        for a in match.atoms { moved[a.candidateRecord] = records[a.candidateRecord].position + shift }
        let positions = RefinedPDB.positions(records: records, moved: moved)
        let out = RefinedPDB.rewrite(bytes, positions: positions, remarks: ["TEST"])
        let back = try PDB.read(bytes: out, path: "refined.pdb").models
        XCTAssertEqual(back.count, 1)
        XCTAssertEqual(back[0].atoms.count, records.count)
        let matchedRecords = Set(match.atoms.map(\.candidateRecord))
        let residuesWithMoves = Set(match.atoms.map { "\(records[$0.candidateRecord].residueNumber)" })
        var kept = 0
        for (i, (r, b)) in zip(records, back[0].atoms).enumerated() {
            XCTAssertEqual([r.name, r.residueName, r.chain], [b.name, b.residueName, b.chain])
            let expected = matchedRecords.contains(i) || residuesWithMoves.contains("\(r.residueNumber)") ? r.position + shift : r.position
            XCTAssertLessThan(maxAbs(b.position - expected), 6e-4, "record \(i) \(r.name) \(r.residueNumber)")
            if !matchedRecords.contains(i) && !residuesWithMoves.contains("\(r.residueNumber)") { kept += 1 }
        }
        XCTAssertEqual(kept, 88, "residues 22–24 (68 atoms) and 32 (20 atoms) have no matched atom")
        XCTAssertEqual(String(decoding: out.prefix(16), as: UTF8.self), "REMARK   1 TEST\n")
    }
}

private func maxAbs(_ v: SIMD3<Double>) -> Double { max(abs(v.x), abs(v.y), abs(v.z)) }
