import XCTest
import AmberIO
import ClassicalFF
import Equivariant
import MDCore
import TensorCore
@testable import LearnedFF

/// Model files, training (learning, exact resume) and the learned force provider, on alanine
/// dipeptide with reference forces from the classical force field.
final class LearnedFFTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    private func smallNetwork(order: Int = 1) -> TensorFieldNetwork {
        TensorFieldNetwork(.small(order: order, channels: 8, outputScale: 20))
    }

    /// Thermal-like frames of alanine dipeptide in vacuum: positions jittered by ~0.05 Å, forces
    /// from the classical force field.
    private func frames(_ count: Int, seed: UInt64) throws -> [ForceFrame] {
        let prmtop = try Prmtop(contentsOf: Self.fixture("ala2-vacuum.prmtop"))
        let x0 = try Rst7.read(Self.fixture("ala2-vacuum.rst7")).frame.positions
        let ff = try ClassicalForceField(prmtop: prmtop, options: ClassicalOptions(nonbonded: .noCutoff))
        var g = SplitMix64(seed: seed)
        return try (0..<count).map { k in
            let x = x0.map { $0 + Double.random(in: -0.05...0.05, using: &g) }
            var f = [Double](repeating: 0, count: x.count)
            _ = try x.withUnsafeBufferPointer { p in try f.withUnsafeMutableBufferPointer { try ff.compute(positions: p, box: nil, forces: $0) } }
            return ForceFrame(system: "ala2", kind: "thermal", source: "ala2:\(k)", frame: Frame(positions: x, forces: f),
                              elements: prmtop.elements, topology: prmtop.topology)
        }
    }

    private func examples(_ frames: [ForceFrame], _ model: LearnedModel) throws -> [TrainingExample] {
        try frames.map { TrainingExample(frame: $0, network: model.network, channels: try model.channels(for: $0.elements, source: $0.source),
                                         lossAtoms: .all) }
    }

    func testModelFileRoundTripAndRejection() throws {
        let network = smallNetwork(order: 2)
        let model = LearnedModel(network: network, parameters: network.initialParameters(seed: 3, zeroOutput: false), learnedAtoms: .protein,
                                 provenance: ["note": "test"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("md-learned-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.safetensors"
        try model.write(to: path)
        let back = try LearnedModel.load(path)
        XCTAssertEqual(back.configuration, model.configuration)
        XCTAssertEqual(back.learnedAtoms, .protein)
        XCTAssertEqual(back.provenance["note"], "test")
        for name in model.parameters.names { XCTAssertEqual(back.parameters[name], model.parameters[name], name) }
        let example = try examples(frames(1, seed: 1), model)[0]
        XCTAssertEqual(back.predictedForces(example), model.predictedForces(example))

        // A file whose tensors do not fit its hyper-parameters is refused, naming the tensor.
        var other = model
        other.network = smallNetwork(order: 1)
        try other.write(to: path)  // order-1 header, order-2 tensors
        XCTAssertThrowsError(try LearnedModel.load(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("block"), "\(error)")
        }
        // A truncated file is refused.
        try model.write(to: path)
        let bytes = try FileBytes.read(path)
        try FileBytes.write(Array(bytes.prefix(bytes.count - 100)), to: path, overwrite: true)
        XCTAssertThrowsError(try LearnedModel.load(path)) { XCTAssertTrue("\($0)".contains(path), "\($0)") }
    }

    func testTrainingLowersHeldOutError() throws {
        let network = smallNetwork()
        let model = LearnedModel(network: network, parameters: network.initialParameters(seed: 1, zeroOutput: false), learnedAtoms: .all)
        let train = try examples(frames(8, seed: 1), model), held = try examples(frames(3, seed: 2), model)
        var options = TrainingOptions()
        options.steps = 400; options.learningRate = 1e-2; options.warmupSteps = 10; options.validationInterval = 50
        let trainer = Trainer(model: model, training: train, validation: held, options: options)
        let before = Trainer.evaluate(model, on: held)
        while !trainer.isFinished {
            try trainer.trainStep()
            if trainer.step % options.validationInterval == 0 { trainer.validate() }
        }
        let after = Trainer.evaluate(trainer.best, on: held)
        XCTAssertLessThan(after.loss, 0.6 * before.loss, "held-out loss \(before.loss) → \(after.loss)")
        XCTAssertLessThan(after.metrics.relativeTensor, 0.8 * before.metrics.relativeTensor)
        XCTAssertGreaterThan(after.metrics.pearson, before.metrics.pearson)
    }

    func testCheckpointResumesExactly() throws {
        let network = smallNetwork()
        let model = LearnedModel(network: network, parameters: network.initialParameters(seed: 4, zeroOutput: false), learnedAtoms: .all)
        let train = try examples(frames(4, seed: 5), model), held = try examples(frames(1, seed: 6), model)
        var options = TrainingOptions()
        options.steps = 8; options.validationInterval = 2; options.warmupSteps = 3
        func run(_ t: Trainer, until step: Int) throws {
            while t.step < step { try t.trainStep(); if t.step % options.validationInterval == 0 { t.validate() } }
        }
        let straight = Trainer(model: model, training: train, validation: held, options: options)
        // A checkpoint before any validation (best loss still +∞) round-trips too.
        let early = FileManager.default.temporaryDirectory.appendingPathComponent("md-ckpt-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: early) }
        try straight.writeCheckpoint(to: early)
        try Trainer(model: model, training: train, validation: held, options: options).restoreCheckpoint(from: early)
        try run(straight, until: 8)

        let first = Trainer(model: model, training: train, validation: held, options: options)
        try run(first, until: 5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("md-ckpt-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        try first.writeCheckpoint(to: path)
        let resumed = Trainer(model: model, training: train, validation: held, options: options)
        try resumed.restoreCheckpoint(from: path)
        XCTAssertEqual(resumed.step, 5)
        try run(resumed, until: 8)
        for name in model.parameters.names {
            XCTAssertEqual(resumed.model.parameters[name], straight.model.parameters[name], "\(name) differs after resume")
            XCTAssertEqual(resumed.best.parameters[name], straight.best.parameters[name])
        }
        XCTAssertEqual(resumed.schedule, straight.schedule)
        // A checkpoint made with other options is refused.
        var otherOptions = options
        otherOptions.learningRate *= 2
        XCTAssertThrowsError(try Trainer(model: model, training: train, validation: held, options: otherOptions).restoreCheckpoint(from: path))
    }

    /// In water: the network drives the protein atoms (its net force removed), classical AMBER
    /// every water atom, exactly as it alone would.
    func testLearnedProviderSplitsAtoms() throws {
        let prmtop = try Prmtop(contentsOf: Self.fixture("ala2-water.prmtop"))
        let frame = try AmberNetCDFReader(Self.fixture("ala2-water.equilibrated.ncrst")).frame(0)
        let classical = try ClassicalForceField(prmtop: prmtop, options: ClassicalOptions(nonbonded: .pme(cutoff: 9, tolerance: 2e-4)))
        let network = smallNetwork()
        var configuration = network.configuration
        configuration.neighbors = 50
        let model = LearnedModel(network: TensorFieldNetwork(configuration), parameters: TensorFieldNetwork(configuration).initialParameters(seed: 2, zeroOutput: false),
                                 learnedAtoms: .protein)
        let provider = try LearnedForceField(model: model, topology: prmtop.topology, elements: prmtop.elements, classical: classical, source: "ala2-water")
        XCTAssertEqual(provider.learnedAtoms, Array(0..<22))
        var learned = [Double](repeating: 0, count: 3 * prmtop.atomCount), reference = learned
        let energy = try frame.positions.withUnsafeBufferPointer { x in
            try learned.withUnsafeMutableBufferPointer { try provider.compute(positions: x, box: frame.box, forces: $0) }
        }
        XCTAssertNil(energy, "a direct-force network has no energy")
        _ = try frame.positions.withUnsafeBufferPointer { x in
            try reference.withUnsafeMutableBufferPointer { try classical.compute(positions: x, box: frame.box, forces: $0) }
        }
        for k in (3 * 22)..<learned.count { XCTAssertEqual(learned[k], reference[k], "water atom \(k / 3)") }
        var net = SIMD3<Double>.zero
        for i in 0..<22 { net += SIMD3(learned[3 * i], learned[3 * i + 1], learned[3 * i + 2]) }
        XCTAssertLessThan((net * net).sum().squareRoot(), 1e-9)
        XCTAssertGreaterThan((provider.lastNetForce * provider.lastNetForce).sum(), 0)
        // The learned forces are the network's on the whole system, less the mean.
        let graph = model.network.graphBuilder.build(positions: frame.positions, box: frame.box)
        let edges: EdgeFeatures<Float> = model.network.edges(graph: graph, targets: Array(0..<prmtop.atomCount), channels: try model.channels(for: prmtop.elements, source: ""))
        let tape = Graph<Float>(recording: false)
        let whole = model.network(tape.constant(model.network.inputFeatures(channels: try model.channels(for: prmtop.elements, source: ""), field: edges.field)),
                                  edges: edges, parameters: model.parameters.variables(in: tape)).value.scalars
        let mean = provider.lastNetForce / 22
        for i in 0..<22 { for a in 0..<3 { XCTAssertEqual(learned[3 * i + a], Double(whole[3 * i + a]) - mean[a], accuracy: 1e-4) } }
    }

    /// A learned MD step's two halves (`prepare`, then `forward`, as md-bench times them apart)
    /// give the training path's prediction for the same atoms: same receptive field, same output.
    func testMDStepHalvesMatchTheTrainingPrediction() throws {
        let prmtop = try Prmtop(contentsOf: Self.fixture("ala2-water.prmtop"))
        let frame = try AmberNetCDFReader(Self.fixture("ala2-water.equilibrated.ncrst")).frame(0)
        let network = TensorFieldNetwork(.small(order: 2, channels: 8, outputScale: 20))
        let model = LearnedModel(network: network, parameters: network.initialParameters(seed: 4, zeroOutput: false))
        let channels = try model.channels(for: prmtop.elements, source: "ala2-water")
        let atoms = Array(0..<22)
        let example = TrainingExample(source: "", system: "", kind: "", positions: frame.positions, box: frame.box, channels: channels,
                                      lossAtoms: atoms, targets: [Double](repeating: 0, count: 66), network: network)
        let graph = network.graphBuilder.build(positions: frame.positions, box: frame.box)
        let workspace = InferenceWorkspace(model: model)
        workspace.prepare(graph: graph, atoms: atoms, channels: channels, threads: 2)
        XCTAssertEqual(workspace.edges.field.rows, example.edges.field.rows)
        XCTAssertLessThan(workspace.fieldAtoms, prmtop.atomCount, "a receptive field, not the whole box")
        XCTAssertEqual(workspace.input.scalars, example.input.scalars)
        let output = workspace.forward(threads: 2).scalars.map(Double.init)
        let reference = model.predictedForces(example)
        XCTAssertGreaterThan(reference.map(abs).max()!, 0.1)
        for k in 0..<66 { XCTAssertEqual(output[k], reference[k], accuracy: 1e-5 * max(1, abs(reference[k])), "component \(k)") }
    }

    /// A model with the AMBER bonded prior drives its atoms with the network's forces plus the
    /// bonded terms among them; the prior survives the model file.
    func testPriorIsAddedToTheLearnedAtoms() throws {
        let prmtop = try Prmtop(contentsOf: Self.fixture("ala2-water.prmtop"))
        let frame = try AmberNetCDFReader(Self.fixture("ala2-water.equilibrated.ncrst")).frame(0)
        let classical = try ClassicalForceField(prmtop: prmtop, options: ClassicalOptions(nonbonded: .pme(cutoff: 9, tolerance: 2e-4)))
        var configuration = smallNetwork().configuration
        configuration.neighbors = 50
        let network = TensorFieldNetwork(configuration)
        let parameters: Parameters<Float> = network.initialParameters(seed: 3, zeroOutput: false)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("prior-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LearnedModel(network: network, parameters: parameters, prior: .amberBonded).write(to: path)
        let withPrior = try LearnedModel.load(path)
        XCTAssertEqual(withPrior.prior, .amberBonded)
        XCTAssertEqual(LearnedModel(network: network, parameters: parameters).prior, .none)

        let bonded = try AmberPrior(prmtop: prmtop, atoms: Array(0..<22))
        func forces(_ model: LearnedModel, prior: ForceProvider?) throws -> [Double] {
            let provider = try LearnedForceField(model: model, topology: prmtop.topology, elements: prmtop.elements, classical: classical,
                                                 prior: prior, source: "ala2-water")
            var f = [Double](repeating: 0, count: 3 * prmtop.atomCount)
            _ = try frame.positions.withUnsafeBufferPointer { x in try f.withUnsafeMutableBufferPointer { try provider.compute(positions: x, box: frame.box, forces: $0) } }
            return f
        }
        let plain = try forces(LearnedModel(network: network, parameters: parameters), prior: nil)
        let total = try forces(withPrior, prior: bonded)
        var prior = [Double](repeating: 0, count: plain.count)
        _ = try frame.positions.withUnsafeBufferPointer { x in try prior.withUnsafeMutableBufferPointer { try bonded.compute(positions: x, box: frame.box, forces: $0) } }
        for k in 0..<plain.count { XCTAssertEqual(total[k], plain[k] + prior[k], accuracy: 1e-9 * max(1, abs(total[k])), "component \(k)") }
        XCTAssertGreaterThan(prior[0..<66].map(abs).max()!, 1)
    }
}
