import Foundation

/// Updates parameters from their gradients. Deterministic: the same parameters, gradients and
/// step sequence give bit-identical results.
public protocol Optimizer {
    associatedtype Scalar: TensorScalar
    /// The step size used by the next `step`.
    var learningRate: Double { get set }
    mutating func step(_ parameters: inout Parameters<Scalar>, gradients: NamedGradients<Scalar>)
}

/// Stochastic gradient descent with (optionally Nesterov) momentum and L2 weight decay:
/// v ← μ·v + g (+ λ·w);  w ← w − η·v  (or w − η·(g + μ·v) for Nesterov), as PyTorch's SGD.
public struct SGD<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Double
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double
    private var velocity: [String: Tensor<Scalar>] = [:]

    public init(learningRate: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.learningRate = learningRate; self.momentum = momentum; self.nesterov = nesterov; self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: inout Parameters<Scalar>, gradients: NamedGradients<Scalar>) {
        let lr = Scalar(learningRate), mu = Scalar(momentum), wd = Scalar(weightDecay)
        parameters.update { name, w in
            guard let g = gradients[name] else { return }
            precondition(g.count == w.count, "SGD: gradient \(g.shape) for parameter '\(name)' \(w.shape)")
            var v = velocity.removeValue(forKey: name) ?? Tensor(zeros: w.shape)
            w.withUnsafeMutableBufferPointer { wp in
                v.withUnsafeMutableBufferPointer { vp in
                    g.withUnsafeBufferPointer { gp in
                        for i in 0..<wp.count {
                            let d = gp[i] + wd * wp[i]
                            vp[i] = mu * vp[i] + d
                            wp[i] -= lr * (nesterov ? d + mu * vp[i] : vp[i])
                        }
                    }
                }
            }
            velocity[name] = v
        }
    }
}

/// Adam (Kingma & Ba) with bias correction; `decoupledWeightDecay` > 0 gives AdamW.
public struct Adam<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var decoupledWeightDecay: Double
    public private(set) var stepCount = 0
    private var m: [String: Tensor<Scalar>] = [:]
    private var v: [String: Tensor<Scalar>] = [:]

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                decoupledWeightDecay: Double = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// The moment estimates, named "m.<parameter>" and "v.<parameter>", for checkpoints that resume exactly.
    public var stateTensors: [(String, Tensor<Scalar>)] {
        m.keys.sorted().flatMap { name in [("m." + name, m[name]!), ("v." + name, v[name]!)] }
    }

    /// Restores `stateTensors` and the step count of a checkpoint.
    public mutating func restore(stepCount: Int, stateTensors: [String: Tensor<Scalar>]) {
        self.stepCount = stepCount
        m = [:]; v = [:]
        for (key, t) in stateTensors {
            if key.hasPrefix("m.") { m[String(key.dropFirst(2))] = t } else if key.hasPrefix("v.") { v[String(key.dropFirst(2))] = t }
        }
    }

    public mutating func step(_ parameters: inout Parameters<Scalar>, gradients: NamedGradients<Scalar>) {
        stepCount += 1
        let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon)
        let c1 = Scalar(1 - Foundation.pow(beta1, Double(stepCount))), c2 = Scalar(1 - Foundation.pow(beta2, Double(stepCount)))
        let lr = Scalar(learningRate), decay = Scalar(learningRate * decoupledWeightDecay)
        parameters.update { name, w in
            guard let g = gradients[name] else { return }
            precondition(g.count == w.count, "Adam: gradient \(g.shape) for parameter '\(name)' \(w.shape)")
            var mt = m.removeValue(forKey: name) ?? Tensor(zeros: w.shape)
            var vt = v.removeValue(forKey: name) ?? Tensor(zeros: w.shape)
            w.withUnsafeMutableBufferPointer { wp in
                mt.withUnsafeMutableBufferPointer { mp in
                    vt.withUnsafeMutableBufferPointer { vp in
                        g.withUnsafeBufferPointer { gp in
                            for i in 0..<wp.count {
                                mp[i] = b1 * mp[i] + (1 - b1) * gp[i]
                                vp[i] = b2 * vp[i] + (1 - b2) * gp[i] * gp[i]
                                let mhat = mp[i] / c1, vhat = vp[i] / c2
                                wp[i] -= lr * mhat / (vhat.squareRoot() + eps) + decay * wp[i]
                            }
                        }
                    }
                }
            }
            m[name] = mt; v[name] = vt
        }
    }
}

