import TensorCore

/// Normalisation of equivariant features, per atom and order: x^l / √(mean_c ‖x^l_c‖² + ε).
/// Dividing every channel of an order by the same invariant keeps equivariance; doing it per atom
/// (no batch statistics) keeps inference identical to training and independent of other atoms.
/// ε = 1 makes it a soft squash rather than a unit-norm projection: features of order one pass
/// nearly unchanged and large ones are compressed, while the size of a feature (a force-like
/// sum of pair terms, say) still reaches the next layer. With a small ε every atom's features
/// would have the same norm and magnitudes would be lost.
///
/// Input and output: [rows, width, C]; no parameters.
public struct EquivariantNormalization: Sendable {
    public let layout: FeatureLayout
    public static let epsilon = 1.0

    public init(layout: FeatureLayout) { self.layout = layout }

    public func apply<T>(_ x: Variable<T>) -> Variable<T> {
        let rows = x.shape[0]
        precondition(x.shape == Shape(rows, layout.width, layout.channels), "normalization: input \(x.shape) for \(layout)")
        let out = x.graph.makeOutput(x.shape)
        NormalizationKernels.forward(x.value.unsafeData, out.unsafeData, rows: rows, layout: layout, epsilon: T(Self.epsilon))
        return x.graph.record(NormalizationOperation<T>(layout: layout), inputs: [x], output: out)
    }
}

final class NormalizationOperation<T: TensorScalar>: TapeOperation {
    typealias Scalar = T
    let layout: FeatureLayout
    init(layout: FeatureLayout) { self.layout = layout }

    func vjp(inputs: [Tensor<T>], output: Tensor<T>, gradient: Tensor<T>, needs: [Bool]) -> [Tensor<T>?] {
        let x = inputs[0]
        let gx = Tensor<T>(zeros: x.shape)
        NormalizationKernels.backward(x.unsafeData, gradient.unsafeData, gx.unsafeData, rows: x.shape[0], layout: layout,
                                      epsilon: T(EquivariantNormalization.epsilon))
        return [gx]
    }
}

enum NormalizationKernels {
    /// 1/√(mean_c Σ_m x² + ε) of one (atom, order) block of `count` = (2l+1)·C scalars.
    @inline(__always)
    static func inverseScale<T: TensorScalar>(_ x: UnsafePointer<T>, count: Int, channels: Int, epsilon: T) -> T {
        var s: T = 0
        for k in 0..<count { s += x[k] * x[k] }
        return 1 / (s / T(channels) + epsilon).squareRoot()
    }

    @_specialize(where T == Float) @_specialize(where T == Double)
    static func forward<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, rows: Int, layout: FeatureLayout, epsilon: T) {
        let (degrees, offsets, width, C) = (layout.degrees, layout.offsets, layout.width, layout.channels)
        for n in 0..<rows {
            for (d, l) in degrees.enumerated() {
                let base = (n * width + offsets[d]) * C, count = (2 * l + 1) * C
                let s = inverseScale(x + base, count: count, channels: C, epsilon: epsilon)
                for k in 0..<count { y[base + k] = x[base + k] * s }
            }
        }
    }

    @_specialize(where T == Float) @_specialize(where T == Double)
    static func backward<T: TensorScalar>(_ x: UnsafePointer<T>, _ gy: UnsafePointer<T>, _ gx: UnsafeMutablePointer<T>, rows: Int,
                                          layout: FeatureLayout, epsilon: T) {
        let (degrees, offsets, width, C) = (layout.degrees, layout.offsets, layout.width, layout.channels)
        for n in 0..<rows {
            for (d, l) in degrees.enumerated() {
                let base = (n * width + offsets[d]) * C, count = (2 * l + 1) * C
                let s = inverseScale(x + base, count: count, channels: C, epsilon: epsilon)
                var dot: T = 0
                for k in 0..<count { dot += gy[base + k] * x[base + k] }
                // y = s·x with s = (q + ε)^(−1/2), q = Σx²/C: ∂s/∂x = −s³·x/C.
                let f = s * s * s * dot / T(C)
                for k in 0..<count { gx[base + k] = s * gy[base + k] - f * x[base + k] }
            }
        }
    }
}
