import TensorCore

/// The norm nonlinearity of TFN: scalars go through SiLU; a feature of order l > 0 is scaled by a
/// function of its own norm only, x · σ(‖x‖ + b) with a learned bias per (order, channel), so its
/// direction (and hence equivariance) is untouched. ‖x‖ is √(Σ x² + ε) to keep the gradient finite
/// at zero.
///
/// Inputs: x [rows, width, C], and b [orders above 0, C] when the layout has any.
public struct NormActivation: Sendable {
    public let layout: FeatureLayout
    public static let epsilon = 1e-8

    public init(layout: FeatureLayout) { self.layout = layout }

    /// Orders with a gate (l > 0).
    public var gatedDegrees: [Int] { layout.degrees.filter { $0 > 0 } }
    public var biasShape: Shape { Shape(gatedDegrees.count, layout.channels) }

    public func apply<T>(_ x: Variable<T>, bias: Variable<T>?) -> Variable<T> {
        let rows = x.shape[0]
        precondition(x.shape == Shape(rows, layout.width, layout.channels), "norm activation: input \(x.shape) for \(layout)")
        precondition((bias != nil) == !gatedDegrees.isEmpty && (bias == nil || bias!.shape == biasShape), "norm activation: bias shape")
        let out = x.graph.makeOutput(x.shape)
        NormActivationKernels.forward(x.value.unsafeData, bias: bias?.value.unsafeData, out.unsafeData, rows: rows,
                                      layout: layout, epsilon: T(Self.epsilon))
        return x.graph.record(NormActivationOperation<T>(layout: layout), inputs: [x] + (bias.map { [$0] } ?? []), output: out)
    }
}

final class NormActivationOperation<T: TensorScalar>: TapeOperation {
    typealias Scalar = T
    let layout: FeatureLayout
    init(layout: FeatureLayout) { self.layout = layout }

    func vjp(inputs: [Tensor<T>], output: Tensor<T>, gradient: Tensor<T>, needs: [Bool]) -> [Tensor<T>?] {
        let x = inputs[0]
        let gx = Tensor<T>(zeros: x.shape)
        let gb = inputs.count == 2 ? Tensor<T>(zeros: inputs[1].shape) : nil
        NormActivationKernels.backward(x.unsafeData, bias: inputs.count == 2 ? inputs[1].unsafeData : nil, gradient.unsafeData,
                                       gx: gx.unsafeData, gb: gb?.unsafeData, rows: x.shape[0], layout: layout,
                                       epsilon: T(NormActivation.epsilon))
        return inputs.count == 2 ? [gx, gb] : [gx]
    }
}

enum NormActivationKernels {
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func forward<T: TensorScalar>(_ x: UnsafePointer<T>, bias: UnsafePointer<T>?, _ y: UnsafeMutablePointer<T>, rows: Int,
                                         layout: FeatureLayout, epsilon: T) {
        let (degrees, offsets, width, C) = (layout.degrees, layout.offsets, layout.width, layout.channels)
        for n in 0..<rows {
            var gate = 0
            for (d, l) in degrees.enumerated() {
                let base = (n * width + offsets[d]) * C
                if l == 0 {
                    for c in 0..<C { let v = x[base + c]; y[base + c] = v * T.sigmoid(v) }
                    continue
                }
                let b = bias! + gate * C
                gate += 1
                for c in 0..<C {
                    var s: T = epsilon
                    for m in 0..<(2 * l + 1) { let v = x[base + m * C + c]; s += v * v }
                    let g = T.sigmoid(s.squareRoot() + b[c])
                    for m in 0..<(2 * l + 1) { y[base + m * C + c] = x[base + m * C + c] * g }
                }
            }
        }
    }

    @_specialize(where T == Float) @_specialize(where T == Double)
    static func backward<T: TensorScalar>(_ x: UnsafePointer<T>, bias: UnsafePointer<T>?, _ gy: UnsafePointer<T>,
                                          gx: UnsafeMutablePointer<T>, gb: UnsafeMutablePointer<T>?, rows: Int,
                                          layout: FeatureLayout, epsilon: T) {
        let (degrees, offsets, width, C) = (layout.degrees, layout.offsets, layout.width, layout.channels)
        for n in 0..<rows {
            var gate = 0
            for (d, l) in degrees.enumerated() {
                let base = (n * width + offsets[d]) * C
                if l == 0 {
                    for c in 0..<C {
                        let v = x[base + c], s = T.sigmoid(v)
                        gx[base + c] = gy[base + c] * s * (1 + v * (1 - s))
                    }
                    continue
                }
                let b = bias! + gate * C
                let gbl = gb.map { $0 + gate * C }
                gate += 1
                for c in 0..<C {
                    var s2: T = epsilon, dot: T = 0
                    for m in 0..<(2 * l + 1) {
                        let v = x[base + m * C + c]
                        s2 += v * v; dot += v * gy[base + m * C + c]
                    }
                    let nu = s2.squareRoot(), g = T.sigmoid(nu + b[c]), dg = g * (1 - g)
                    for m in 0..<(2 * l + 1) {
                        gx[base + m * C + c] = gy[base + m * C + c] * g + dot * dg * x[base + m * C + c] / nu
                    }
                    if let gbl { gbl[c] += dot * dg }
                }
            }
        }
    }
}
