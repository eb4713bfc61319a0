import XCTest
import MDCore
import TensorCore
@testable import Equivariant

/// The network against independent facts: central finite differences for every parameter
/// gradient; rotations, reflections, translations and permutations of the input; continuity
/// across the k-th-neighbour boundary; and the receptive field giving the same answer as the
/// whole system.
final class TensorFieldNetworkTests: XCTestCase {
    /// Smaller than `.small`: finite differences in Double cost a forward pass per parameter.
    private func smallConfiguration(order: Int) -> TensorFieldNetworkConfiguration {
        var c = TensorFieldNetworkConfiguration()
        c.maxDegree = order
        c.filters = [3, 2, 1]
        c.convolutionChannels = [3, 3, 2]
        c.neighbors = 6
        c.radialFunctions = 4
        c.radialHidden = 5
        c.radialCutoff = 5
        c.outputScale = 2
        return c
    }

    /// A random cluster of `n` atoms of mixed elements, about 1 atom per 10 Å³.
    private func cluster(_ n: Int, seed: UInt64) -> (positions: [Double], channels: [Int]) {
        var g = SplitMix64(seed: seed)
        let side = Foundation.cbrt(Double(n) * 10)
        var x: [Double] = []
        for _ in 0..<(3 * n) { x.append(Double.random(in: 0..<side, using: &g)) }
        return (x, (0..<n).map { _ in Int.random(in: 0..<5, using: &g) })
    }

    private func predict<T: TensorScalar>(_ network: TensorFieldNetwork, _ parameters: Parameters<T>, positions: [Double], channels: [Int],
                                          sequence: SequencePositions? = nil, box: Box? = nil, targets: [Int]? = nil) -> [Double] {
        let graph = network.graphBuilder.build(positions: positions, box: box)
        let edges: EdgeFeatures<T> = network.edges(graph: graph, targets: targets ?? Array(0..<(positions.count / 3)), channels: channels,
                                                   sequence: sequence)
        let tape = Graph<T>(recording: false)
        let input = tape.constant(network.inputFeatures(channels: channels, field: edges.field))
        let out = network(input, edges: edges, parameters: parameters.variables(in: tape))
        return out.value.scalars.map(Double.init)
    }

    func testEveryParameterGradientMatchesFiniteDifferences() {
        for order in 0...2 {
            let network = TensorFieldNetwork(smallConfiguration(order: order))
            let parameters: Parameters<Double> = network.initialParameters(seed: 7, zeroOutput: false)
            // Non-zero biases so their gradients are tested away from a symmetric point.
            var perturbed = parameters
            var g = SplitMix64(seed: 11)
            for name in parameters.names {
                perturbed[name] = Tensor.randomNormal(parameters[name]!.shape, standardDeviation: 0.5, using: &g)
            }
            let (x, channels) = cluster(14, seed: 3)
            let graph = network.graphBuilder.build(positions: x, box: nil)
            let targets = [0, 3, 5, 9]
            let edges: EdgeFeatures<Double> = network.edges(graph: graph, targets: targets, channels: channels)
            let outCount = targets.count * (order >= 1 ? 3 : 1)
            let cotangent = (0..<outCount).map { _ in Double.random(in: -1...1, using: &g) }

            func loss(_ p: Parameters<Double>) -> Double {
                let tape = Graph<Double>(recording: false)
                let out = network(tape.constant(network.inputFeatures(channels: channels, field: edges.field)), edges: edges,
                                  parameters: p.variables(in: tape))
                return zip(out.value.scalars, cotangent).reduce(0) { $0 + $1.0 * $1.1 }
            }
            let tape = Graph<Double>()
            let variables = perturbed.variables(in: tape)
            let out = network(tape.constant(network.inputFeatures(channels: channels, field: edges.field)), edges: edges, parameters: variables)
            let grads = tape.backward(out, seed: Tensor(shape: out.shape, scalars: cotangent))
            var checked = 0
            for name in perturbed.names {
                let analytic = grads[variables[name]!].scalars
                for i in 0..<analytic.count {
                    let h = 1e-6
                    var plus = perturbed, minus = perturbed
                    plus[name]![flat: i] += h
                    minus[name]![flat: i] -= h
                    let numeric = (loss(plus) - loss(minus)) / (2 * h)
                    XCTAssertEqual(analytic[i], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "order \(order) \(name)[\(i)]")
                    checked += 1
                }
            }
            XCTAssertEqual(checked, perturbed.scalarCount)
        }
    }

    private func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        let num = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let den = b.reduce(0) { $0 + $1 * $1 }
        return (num / den).squareRoot()
    }

    private func transform(_ x: [Double], _ m: Matrix3, shift: SIMD3<Double> = .zero) -> [Double] {
        var y = x
        for i in 0..<(x.count / 3) {
            let v = m * SIMD3(x[3 * i], x[3 * i + 1], x[3 * i + 2]) + shift
            y[3 * i] = v.x; y[3 * i + 1] = v.y; y[3 * i + 2] = v.z
        }
        return y
    }

    /// The paper's network in Float on 120 atoms (50 neighbours each).
    func testRotationsReflectionsTranslationsAndPermutationsInFloat() {
        for order in 1...2 {
            var c = TensorFieldNetworkConfiguration()
            c.maxDegree = order
            let network = TensorFieldNetwork(c)
            let parameters: Parameters<Float> = network.initialParameters(seed: 5, zeroOutput: false)
            let (x, channels) = cluster(120, seed: 9)
            let reference = predict(network, parameters, positions: x, channels: channels)
            XCTAssertGreaterThan(reference.map(abs).max()!, 1e-3, "output should not vanish")
            var g = SplitMix64(seed: 21)
            for trial in 0..<3 {
                var m = Matrix3.randomRotation(using: &g)
                if trial == 2 {  // an improper rotation: a mirror composed with a rotation
                    m = m * Matrix3(rows: SIMD3(-1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1))
                }
                let moved = predict(network, parameters, positions: transform(x, m, shift: SIMD3(3, -7, 11)), channels: channels)
                let expected = transform(reference, m)  // forces are polar vectors: F → M F, also for mirrors
                XCTAssertLessThan(relativeDifference(moved, expected), 1e-5, "order \(order) trial \(trial)")
            }
            // Permutation: reversed atom order gives the reversed outputs.
            let n = channels.count
            var px = x, pc = channels
            for i in 0..<n { for a in 0..<3 { px[3 * i + a] = x[3 * (n - 1 - i) + a] }; pc[i] = channels[n - 1 - i] }
            let permuted = predict(network, parameters, positions: px, channels: pc)
            var unpermuted = permuted
            for i in 0..<n { for a in 0..<3 { unpermuted[3 * i + a] = permuted[3 * (n - 1 - i) + a] } }
            XCTAssertLessThan(relativeDifference(unpermuted, reference), 1e-6)
        }
    }

    /// Two chains of 20 three-atom residues each, for the sequence-separation checks.
    private let twoChains = SequencePositions(chainLabels: (0..<120).map { $0 < 60 ? "A" : "B" }, residueNumbers: (0..<120).map { ($0 % 60) / 3 + 1 })

    /// With sequence separation, every edge's radial input ends in the one-hot of its bin (same
    /// residue, adjacent, 2–4 apart, farther or another chain, worked out here from the atom numbers),
    /// the network stays equivariant, and it does see the chains.
    func testSequenceSeparationBinsEveryEdgeAndKeepsEquivariance() {
        var c = TensorFieldNetworkConfiguration()
        c.sequenceSeparation = true
        let network = TensorFieldNetwork(c)
        let (x, channels) = cluster(120, seed: 9)
        let graph = network.graphBuilder.build(positions: x, box: nil)
        let edges: EdgeFeatures<Float> = network.edges(graph: graph, targets: Array(0..<120), channels: channels, sequence: twoChains)
        let width = c.radialInputs, bins = edges.basis.scalars
        XCTAssertEqual(edges.basis.shape, Shape(edges.edgeCount, c.radialFunctions + 2 * c.elements.count + 4))
        var seen = Set<Int>()
        for e in 0..<edges.edgeCount {
            let source = Int(edges.field.sourceEdges[e])
            let i = Int(graph.centers[source]), j = Int(graph.neighbors[source])
            let apart = abs(i % 60 / 3 - j % 60 / 3)
            let expected = (i < 60) != (j < 60) ? 3 : apart == 0 ? 0 : apart == 1 ? 1 : apart <= 4 ? 2 : 3
            XCTAssertEqual(Array(bins[(e * width + width - 4)..<(e * width + width)]), (0..<4).map { $0 == expected ? 1 : 0 }, "edge \(i)–\(j)")
            seen.insert(expected)
        }
        XCTAssertEqual(seen, [0, 1, 2, 3])

        let parameters: Parameters<Float> = network.initialParameters(seed: 5, zeroOutput: false)
        let reference = predict(network, parameters, positions: x, channels: channels, sequence: twoChains)
        var g = SplitMix64(seed: 22)
        let m = Matrix3.randomRotation(using: &g)
        let moved = predict(network, parameters, positions: transform(x, m, shift: SIMD3(-4, 2, 9)), channels: channels, sequence: twoChains)
        XCTAssertLessThan(relativeDifference(moved, transform(reference, m)), 1e-5)
        let oneChain = SequencePositions(chainLabels: Array(repeating: "A", count: 120), residueNumbers: (0..<120).map { $0 / 3 + 1 })
        XCTAssertGreaterThan(relativeDifference(predict(network, parameters, positions: x, channels: channels, sequence: oneChain), reference), 1e-3)
    }

    /// A network without sequence separation, given zero weights on the new inputs, computes what it
    /// did before: `md train --init` then starts exactly from the given model. The hyper-parameter is
    /// written, read back, and absent (false) in files written before it existed.
    func testAddingSequenceInputsKeepsTheOutput() throws {
        let plain = TensorFieldNetwork(smallConfiguration(order: 2))
        var c = smallConfiguration(order: 2)
        c.sequenceSeparation = true
        let widened = TensorFieldNetwork(c)
        let parameters: Parameters<Double> = plain.initialParameters(seed: 3, zeroOutput: false)
        let (x, channels) = cluster(120, seed: 4)
        let before = predict(plain, parameters, positions: x, channels: channels)
        let after = predict(widened, widened.addingSequenceInputs(to: parameters), positions: x, channels: channels, sequence: twoChains)
        XCTAssertGreaterThan(before.map(abs).max()!, 1e-3)
        XCTAssertLessThan(relativeDifference(after, before), 1e-12)

        let h = c.hyperParameters
        XCTAssertEqual(h["sequence_separation"], "true")
        XCTAssertEqual(try TensorFieldNetworkConfiguration(hyperParameters: h, elements: c.elements.map(\.symbol)), c)
        var old = plain.configuration.hyperParameters
        old["sequence_separation"] = nil
        XCTAssertEqual(try TensorFieldNetworkConfiguration(hyperParameters: old, elements: c.elements.map(\.symbol)), plain.configuration)
    }

    /// Targets and their three-hop field give exactly what the whole system gives on those atoms.
    /// An MD step repeats the forward pass on the same tape after `reset()`: the second pass takes
    /// every buffer, the convolutions' worker scratch included, from the arena (no new allocation)
    /// and gives bit for bit what a fresh tape gives, so reused scratch carries nothing over.
    func testRepeatedPassAllocatesNothingAndMatchesFreshTape() {
        let network = TensorFieldNetwork(smallConfiguration(order: 2))
        let parameters: Parameters<Float> = network.initialParameters(seed: 5, zeroOutput: false)
        let (x, channels) = cluster(300, seed: 12)
        let targets = Array(0..<300)
        func pass(_ positions: [Double], on tape: Graph<Float>) -> [Float] {
            let edges: EdgeFeatures<Float> = network.edges(graph: network.graphBuilder.build(positions: positions, box: nil),
                                                           targets: targets, channels: channels)
            let input = tape.constant(network.inputFeatures(channels: channels, field: edges.field))
            return network(input, edges: edges, parameters: parameters.variables(in: tape)).value.scalars
        }
        let tape = Graph<Float>(recording: false)
        _ = pass(x, on: tape)
        let allocations = tape.arena.allocations
        var g = SplitMix64(seed: 13)
        let moved = x.map { $0 + Double.random(in: -0.05...0.05, using: &g) }
        tape.reset()
        let again = pass(moved, on: tape)
        XCTAssertEqual(tape.arena.allocations, allocations, "a repeated pass should allocate nothing")
        XCTAssertEqual(again, pass(moved, on: Graph<Float>(recording: false)))
    }

    /// Edge features filled by several workers are the serial ones, bit for bit (with pair channels,
    /// whose one-hot columns each worker writes in full).
    func testEdgeFeaturesDoNotDependOnThreads() {
        var c = smallConfiguration(order: 2)
        c.neighbors = 50
        c.radialFunctions = 16
        c.pairRadial = true
        let network = TensorFieldNetwork(c)
        let (x, channels) = cluster(400, seed: 5)
        let graph = network.graphBuilder.build(positions: x, box: nil)
        let serial: EdgeFeatures<Float> = network.edges(graph: graph, targets: Array(0..<400), channels: channels)
        XCTAssertGreaterThan(serial.edgeCount, 3 * 4096, "too few edges for three workers")
        for threads in [2, 3] {
            let parallel: EdgeFeatures<Float> = network.edges(graph: graph, targets: Array(0..<400), channels: channels, threads: threads)
            XCTAssertEqual(parallel.harmonics, serial.harmonics)
            XCTAssertEqual(parallel.basis.scalars, serial.basis.scalars)
            XCTAssertEqual(parallel.scales, serial.scales)
        }
    }

    func testReceptiveFieldMatchesWholeSystem() {
        let network = TensorFieldNetwork(smallConfiguration(order: 2))
        let parameters: Parameters<Double> = network.initialParameters(seed: 1, zeroOutput: false)
        let (x, channels) = cluster(80, seed: 4)
        let whole = predict(network, parameters, positions: x, channels: channels)
        let targets = [5, 17, 42]
        let part = predict(network, parameters, positions: x, channels: channels, targets: targets)
        for (r, t) in targets.enumerated() {
            for a in 0..<3 { XCTAssertEqual(part[3 * r + a], whole[3 * t + a], accuracy: 1e-12) }
        }
        let field = ReceptiveField(graph: network.graphBuilder.build(positions: x, box: nil), targets: targets, depth: 3)
        XCTAssertLessThan(field.rows[0], 80, "the field should not need every atom here")
    }

    /// Moving an atom outward across a centre's k-th-neighbour distance changes the output
    /// continuously: the largest jump between small steps shrinks with the step.
    func testContinuousAcrossTheNeighbourBoundary() {
        let network = TensorFieldNetwork(smallConfiguration(order: 1))
        let parameters: Parameters<Double> = network.initialParameters(seed: 2, zeroOutput: false)
        var (x, channels) = cluster(40, seed: 8)
        let k = network.configuration.neighbors
        // Centre 0's k-th and (k+1)-th neighbours: slide the k-th outward past the (k+1)-th.
        let graph = network.graphBuilder.build(positions: x, box: nil)
        let moving = Int(graph.neighbors[k - 1])
        let exclusion = graph.exclusionDistances[0]
        let centre = SIMD3(x[0], x[1], x[2])
        var d = SIMD3(x[3 * moving], x[3 * moving + 1], x[3 * moving + 2]) - centre
        let r0 = (d * d).sum().squareRoot()
        d /= r0
        func output(at r: Double) -> [Double] {
            let p = centre + d * r
            x[3 * moving] = p.x; x[3 * moving + 1] = p.y; x[3 * moving + 2] = p.z
            return predict(network, parameters, positions: x, channels: channels, targets: [0])
        }
        func largestJump(step: Double) -> Double {
            var previous = output(at: r0)
            var r = r0, worst = 0.0
            while r < exclusion + 0.5 {
                r += step
                let next = output(at: r)
                worst = max(worst, zip(next, previous).map { abs($0 - $1) }.max()!)
                previous = next
            }
            return worst
        }
        // (A jump would stay the same size at any step; a continuous output's steps shrink ~10×.)
        let coarse = largestJump(step: 0.002), fine = largestJump(step: 0.0002)
        XCTAssertGreaterThan(coarse, 0, "the output should depend on the moving atom")
        XCTAssertLessThan(fine, coarse / 4, "jumps must shrink with the step (continuity): \(coarse) → \(fine)")
    }
}
