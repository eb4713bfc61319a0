import XCTest
import AmberIO
import Equivariant
import MDCore
import TensorCore
@testable import LearnedFF

/// A learned MD step keeps its buffers (`InferenceWorkspace`, the k-nearest graph) from step to step:
/// the forces are those of a fresh provider, bit for bit, and the storage stays put unless the
/// receptive field outgrows it. On alanine dipeptide in water, the network driving the protein.
final class InferenceWorkspaceTests: XCTestCase {
    /// Classical forces of zero, so that the forces compared are the network's alone.
    private final class NoForces: ForceProvider {
        let atomCount: Int
        init(atomCount: Int) { self.atomCount = atomCount }
        func compute(positions: UnsafeBufferPointer<Double>, box: Box?, forces: UnsafeMutableBufferPointer<Double>) -> Double? {
            forces.update(repeating: 0)
            return 0
        }
    }

    private var prmtop: Prmtop!
    private var frame: Frame!
    private var model: LearnedModel!

    override func setUpWithError() throws {
        prmtop = try Prmtop(contentsOf: LearnedFFTests.fixture("ala2-water.prmtop"))
        frame = try AmberNetCDFReader(LearnedFFTests.fixture("ala2-water.equilibrated.ncrst")).frame(0)
        let network = TensorFieldNetwork(.small(order: 2, channels: 8, outputScale: 20))
        model = LearnedModel(network: network, parameters: network.initialParameters(seed: 6, zeroOutput: false), learnedAtoms: .protein)
    }

    private func provider() throws -> LearnedForceField {
        try LearnedForceField(model: model, topology: prmtop.topology, elements: prmtop.elements,
                              classical: NoForces(atomCount: prmtop.atomCount), source: "ala2-water")
    }

    /// The equilibrated positions jittered by up to 0.02 Å (an MD step's motion), with the protein
    /// (atoms 0..<22) scaled by `spread` about its centroid: spread out, its atoms share fewer
    /// neighbours and their receptive field grows; drawn in, it shrinks.
    private func positions(spread: Double, seed: UInt64) -> [Double] {
        var g = SplitMix64(seed: seed)
        var x = frame.positions.map { $0 + Double.random(in: -0.02...0.02, using: &g) }
        var centre = SIMD3<Double>.zero
        for i in 0..<22 { centre += SIMD3(x[3 * i], x[3 * i + 1], x[3 * i + 2]) }
        centre /= 22
        for i in 0..<22 {
            for a in 0..<3 { x[3 * i + a] = centre[a] + spread * (x[3 * i + a] - centre[a]) }
        }
        return x
    }

    private func step(_ provider: LearnedForceField, _ x: [Double]) throws -> [Double] {
        var forces = [Double](repeating: 0, count: x.count)
        _ = try x.withUnsafeBufferPointer { p in
            try forces.withUnsafeMutableBufferPointer { try provider.compute(positions: p, box: frame.box, forces: $0) }
        }
        return forces
    }

    /// Steps in one provider give exactly the forces a fresh provider (fresh workspace, fresh
    /// candidate list) gives on each step's positions, while the field grows and shrinks.
    func testReusedBuffersGiveTheFreshForcesBitForBit() throws {
        let reused = try provider()
        var fields: [Int] = []
        for (k, spread) in [1, 1, 1.5, 1, 0.8, 1.5].enumerated() {
            let x = positions(spread: spread, seed: UInt64(k))
            let fresh = try provider()
            let forces = try step(reused, x), reference = try step(fresh, x)
            XCTAssertEqual(reused.lastFieldAtoms, fresh.lastFieldAtoms, "step \(k)")
            XCTAssertTrue(forces == reference, "step \(k): \(zip(forces, reference).filter { $0 != $1 }.count) components differ")
            XCTAssertGreaterThan(forces.prefix(66).map(abs).max()!, 0.1, "step \(k): forces too small to tell anything")
            fields.append(reused.lastFieldAtoms)
        }
        XCTAssertLessThan(fields[0], prmtop.atomCount, "a receptive field, not the whole box")
        XCTAssertGreaterThan(fields[2], fields[1], "the field should grow at step 2: \(fields)")
        XCTAssertLessThan(fields[3], fields[2], "and shrink at step 3: \(fields)")
        XCTAssertLessThan(fields[4], fields[3], "and again at step 4: \(fields)")
    }

    /// Where every buffer a step fills lives: the workspace's field, edge features and input, the
    /// tape's arena (by its allocation count) and the k-nearest graph.
    private struct Storage: Equatable {
        var buffers: [UnsafeRawPointer?]
        var arenaAllocations: Int
    }

    private func storage(_ provider: LearnedForceField, at x: [Double]) -> Storage {
        let w = provider.workspace, field = w.edges.field
        func base<E>(_ a: [E]) -> UnsafeRawPointer? { a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        // The same graph again, in place; its copy here is dropped before the next step.
        let graph = x.withUnsafeBufferPointer { provider.neighbours.graph(positions: $0, box: frame.box) }
        return Storage(buffers: [base(field.atoms), base(field.starts), base(field.neighbors), base(field.sourceEdges),
                                 UnsafeRawPointer(w.edges.harmonics.unsafeData), UnsafeRawPointer(w.edges.basis.unsafeData),
                                 UnsafeRawPointer(w.edges.scales.unsafeData),
                                 UnsafeRawPointer(w.input.unsafeData), base(graph.centers), base(graph.displacements), base(graph.weights)],
                       arenaAllocations: w.tape.arena.allocations)
    }

    /// After a step on the largest field, steps on fields no larger (one of them a rebuild of the
    /// candidate list) reuse every buffer; a larger field then takes new storage, which the probe sees.
    func testStepsReuseTheirStorageUnlessTheFieldGrows() throws {
        let provider = try provider()
        let widest = positions(spread: 1.5, seed: 1)
        _ = try step(provider, widest)
        let fieldAtoms = provider.lastFieldAtoms, edges = provider.workspace.edges.edgeCount
        let warm = storage(provider, at: widest)
        for (k, x) in [positions(spread: 1, seed: 2), positions(spread: 1, seed: 3), positions(spread: 0.8, seed: 4), widest].enumerated() {
            _ = try step(provider, x)
            XCTAssertLessThanOrEqual(provider.lastFieldAtoms, fieldAtoms, "step \(k): the field should be no larger than the first")
            XCTAssertLessThanOrEqual(provider.workspace.edges.edgeCount, edges, "step \(k)")
            XCTAssertEqual(storage(provider, at: x), warm, "step \(k) took new storage")
        }
        XCTAssertGreaterThan(provider.neighbours.buildCount, 1, "no step rebuilt the candidates")

        let wider = positions(spread: 2.2, seed: 5)
        _ = try step(provider, wider)
        XCTAssertGreaterThan(provider.workspace.edges.edgeCount, edges, "the field should outgrow the first")
        let grown = storage(provider, at: wider)
        for k in 4...6 { XCTAssertNotEqual(grown.buffers[k], warm.buffers[k], "larger edge features need new storage") }
        XCTAssertGreaterThan(grown.arenaAllocations, warm.arenaAllocations, "larger activations need new arena buffers")
    }
}
