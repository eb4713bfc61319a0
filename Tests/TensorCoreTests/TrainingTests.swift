import XCTest
import MDCore
@testable import TensorCore

final class TrainingTests: XCTestCase {
    /// y = sin(x) + 0.5·x² /4 on [−π, π] with a 1-32-32-1 SiLU MLP.
    private func fit<O: Optimizer>(seed: UInt64, steps: Int, optimizer: inout O, schedule: LearningRateSchedule? = nil,
                                   clip: Double? = nil) -> (loss: Double, parameters: Parameters<Float>) where O.Scalar == Float {
        var rng = SplitMix64(seed: seed)
        var p = Parameters<Float>([
            ("w1", .glorotNormal(fanIn: 1, fanOut: 32, using: &rng)), ("b1", Tensor(zeros: Shape(32))),
            ("w2", .glorotNormal(fanIn: 32, fanOut: 32, using: &rng)), ("b2", Tensor(zeros: Shape(32))),
            ("w3", .glorotNormal(fanIn: 32, fanOut: 1, using: &rng)), ("b3", Tensor(zeros: Shape(1))),
        ])
        let xs = (0..<64).map { Float(-Double.pi + 2 * Double.pi * Double($0) / 63) }
        let x = Tensor(shape: Shape(64, 1), scalars: xs)
        let y = Tensor(shape: Shape(64, 1), scalars: xs.map { sin($0) + 0.125 * $0 * $0 })
        let g = Graph<Float>()
        var loss = 0.0
        for step in 0..<steps {
            g.reset()
            let v = p.variables(in: g)
            let h1 = (g.constant(x).matmul(v["w1"]!) + v["b1"]!).silu()
            let h2 = (h1.matmul(v["w2"]!) + v["b2"]!).silu()
            let out = h2.matmul(v["w3"]!) + v["b3"]!
            let l = (out - g.constant(y)).squared().mean()
            loss = Double(l.value.scalar)
            var grads = g.backward(l).named(v)
            if let clip { clipGlobalNorm(&grads, maxNorm: clip) }
            if let schedule { optimizer.learningRate = schedule.rate(atStep: step) }
            optimizer.step(&p, gradients: grads)
        }
        return (loss, p)
    }

    func testMLPFitsAKnownFunctionWithAdam() {
        var adam = Adam<Float>(learningRate: 1e-2)
        let schedule = LearningRateSchedule(baseRate: 1e-2, warmupSteps: 50)
        let (loss, p) = fit(seed: 3, steps: 800, optimizer: &adam, schedule: schedule, clip: 10)
        XCTAssertLessThan(loss, 2e-3, "MSE after 800 Adam steps (target variance ≈ 0.7)")
        XCTAssertEqual(p.scalarCount, 32 + 32 + 32 * 32 + 32 + 32 + 1)
    }

    func testMLPFitsWithSGDMomentum() {
        var sgd = SGD<Float>(learningRate: 0.05, momentum: 0.9)
        XCTAssertLessThan(fit(seed: 3, steps: 800, optimizer: &sgd, clip: 1).loss, 2e-2)
    }

    func testTrainingIsDeterministicGivenASeed() {
        var a1 = Adam<Float>(learningRate: 1e-2), a2 = Adam<Float>(learningRate: 1e-2)
        let r1 = fit(seed: 11, steps: 30, optimizer: &a1), r2 = fit(seed: 11, steps: 30, optimizer: &a2)
        XCTAssertEqual(r1.loss, r2.loss)
        for n in r1.parameters.names { XCTAssertEqual(r1.parameters[n]!, r2.parameters[n]!, n) }
        var a3 = Adam<Float>(learningRate: 1e-2)
        XCTAssertNotEqual(fit(seed: 12, steps: 30, optimizer: &a3).loss, r1.loss)
    }

    func testOptimiserStepsMatchHandComputedValues() {
        // One parameter w = 1 with gradient 0.5 each step.
        var p = Parameters<Double>([("w", Tensor(shape: Shape(1), scalars: [1]))])
        let grads: NamedGradients<Double> = ["w": Tensor(shape: Shape(1), scalars: [0.5])]
        var sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9)
        sgd.step(&p, gradients: grads)   // v = 0.5, w = 0.95
        sgd.step(&p, gradients: grads)   // v = 0.95, w = 0.855
        XCTAssertEqual(p["w"]!.scalar, 0.855, accuracy: 1e-15)

        var q = Parameters<Double>([("w", Tensor(shape: Shape(1), scalars: [1]))])
        var adam = Adam<Double>(learningRate: 0.1)
        adam.step(&q, gradients: grads)  // bias-corrected m̂/√v̂ = 1: w = 0.9
        XCTAssertEqual(q["w"]!.scalar, 0.9, accuracy: 1e-7)
    }

    func testGradientClippingAndSchedule() {
        var grads: NamedGradients<Float> = ["a": Tensor(shape: Shape(2), scalars: [3, 0]), "b": Tensor(shape: Shape(1), scalars: [4])]
        XCTAssertEqual(clipGlobalNorm(&grads, maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(globalNorm(grads), 1, accuracy: 1e-6)
        XCTAssertEqual(grads["b"]!.scalar, 0.8, accuracy: 1e-6)

        var s = LearningRateSchedule(baseRate: 1, warmupSteps: 10, warmupStart: 0, plateauPatience: 2, plateauFactor: 0.1, minimumRate: 0.005)
        XCTAssertEqual(s.rate(atStep: 0), 0)
        XCTAssertEqual(s.rate(atStep: 5), 0.5)
        XCTAssertEqual(s.rate(atStep: 10), 1)
        XCTAssertFalse(s.observe(loss: 1))
        XCTAssertFalse(s.observe(loss: 1))   // 1 bad
        XCTAssertFalse(s.observe(loss: 1))   // 2 bad
        XCTAssertTrue(s.observe(loss: 1))    // 3 bad > patience: ×0.1
        XCTAssertEqual(s.rate(atStep: 100), 0.1, accuracy: 1e-15)
        XCTAssertFalse(s.observe(loss: 0.5)) // improvement resets
        for _ in 0..<3 { s.observe(loss: 0.5) }
        XCTAssertEqual(s.rate(atStep: 100), 0.01, accuracy: 1e-15)
        for _ in 0..<3 { s.observe(loss: 0.5) }
        XCTAssertEqual(s.rate(atStep: 100), 0.005, accuracy: 1e-15, "floored at the minimum")
    }
}
