import TensorCore

/// Self-interaction: a linear map of channels, one weight matrix per order, applied to every
/// component m alike (so it commutes with rotations), plus a bias on scalars only (a bias on l > 0
/// would pick a direction). Each (l, m) row of all atoms is a strided matrix, so the layer is one
/// BLAS gemm per component.
///
/// Inputs: x [rows, width, Cin], W [degrees, Cin, Cout], and b [Cout] when the layout has l = 0.
public struct SelfInteraction: Sendable {
    public let input: FeatureLayout, output: FeatureLayout

    public init(input: FeatureLayout, outputChannels: Int) {
        self.input = input
        output = input.with(channels: outputChannels)
    }

    public var hasBias: Bool { input.degrees.first == 0 }
    public var weightShape: Shape { Shape(input.degrees.count, input.channels, output.channels) }

    public func apply<T>(_ x: Variable<T>, weights: Variable<T>, bias: Variable<T>?) -> Variable<T> {
        let rows = x.shape[0]
        precondition(x.shape == Shape(rows, input.width, input.channels) && weights.shape == weightShape,
                     "self-interaction: input \(x.shape), weights \(weights.shape) for \(input)")
        precondition((bias != nil) == hasBias, "self-interaction: a bias exactly when l = 0 is present")
        let out = x.graph.makeOutput(Shape(rows, output.width, output.channels))
        let op = SelfInteractionOperation<T>(layer: self)
        op.forward(x: x.value.unsafeData, w: weights.value.unsafeData, b: bias?.value.unsafeData, rows: rows, out: out.unsafeData)
        return x.graph.record(op, inputs: [x, weights] + (bias.map { [$0] } ?? []), output: out)
    }
}

final class SelfInteractionOperation<T: TensorScalar>: TapeOperation {
    typealias Scalar = T
    let layer: SelfInteraction
    init(layer: SelfInteraction) { self.layer = layer }

    private var cin: Int { layer.input.channels }
    private var cout: Int { layer.output.channels }
    private var width: Int { layer.input.width }

    /// Calls body(degree index, component row) for every (l, m) row.
    private func forEachRow(_ body: (Int, Int) -> Void) {
        for (d, l) in layer.input.degrees.enumerated() {
            for m in 0..<(2 * l + 1) { body(d, layer.input.offsets[d] + m) }
        }
    }

    func forward(x: UnsafePointer<T>, w: UnsafePointer<T>, b: UnsafePointer<T>?, rows: Int, out: UnsafeMutablePointer<T>) {
        forEachRow { d, row in
            T.gemm(transposeA: false, transposeB: false, m: rows, n: cout, k: cin, alpha: 1, a: x + row * cin, lda: width * cin,
                   b: w + d * cin * cout, ldb: cout, beta: 0, c: out + row * cout, ldc: width * cout)
        }
        if let b {  // scalars are row 0
            for n in 0..<rows {
                let o = out + n * width * cout
                for c in 0..<cout { o[c] += b[c] }
            }
        }
    }

    func vjp(inputs: [Tensor<T>], output: Tensor<T>, gradient: Tensor<T>, needs: [Bool]) -> [Tensor<T>?] {
        let x = inputs[0], w = inputs[1]
        let rows = x.shape[0]
        let g = gradient.unsafeData, xp = x.unsafeData, wp = w.unsafeData
        var gx: Tensor<T>?, gw: Tensor<T>?, gb: Tensor<T>?
        if needs[0] {
            let t = Tensor<T>(zeros: x.shape)
            forEachRow { d, row in
                T.gemm(transposeA: false, transposeB: true, m: rows, n: cin, k: cout, alpha: 1, a: g + row * cout, lda: width * cout,
                       b: wp + d * cin * cout, ldb: cout, beta: 0, c: t.unsafeData + row * cin, ldc: width * cin)
            }
            gx = t
        }
        if needs[1] {
            let t = Tensor<T>(zeros: w.shape)
            forEachRow { d, row in
                T.gemm(transposeA: true, transposeB: false, m: cin, n: cout, k: rows, alpha: 1, a: xp + row * cin, lda: width * cin,
                       b: g + row * cout, ldb: width * cout, beta: 1, c: t.unsafeData + d * cin * cout, ldc: cout)
            }
            gw = t
        }
        if inputs.count == 3 && needs[2] {
            let t = Tensor<T>(zeros: Shape(cout))
            for n in 0..<rows {
                let gn = g + n * width * cout
                for c in 0..<cout { t.unsafeData[c] += gn[c] }
            }
            gb = t
        }
        return inputs.count == 3 ? [gx, gw, gb] : [gx, gw]
    }
}
