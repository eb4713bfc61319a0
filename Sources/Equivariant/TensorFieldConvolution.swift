import Dispatch
import TensorCore

/// A TFN convolution (Thomas et al. 2018) as one fused tape operation:
///
///     out_i = x_i|residual + Σ_{e=(i,j)} s_e Σ_paths C_p ⋅ (Y^{l_f}(r̂_e) ⊗ (R_{e,p} ⊙ x_j^{l_in}))
///
/// per channel ("depthwise": each channel has its own radial weights R_{e,p,c}; channels are mixed
/// by the self-interactions around it). Paths summing into the same output order are added. The
/// radial weights R = h·W are the last layer of the radial MLP, fused here: they are produced in
/// chunks of a few thousand edges into a worker's scratch and never stored, so memory stays
/// O(edges × hidden) and the backward pass recomputes them. The residual term carries an atom's own
/// features of the orders present in both input and output (an atom is not its own neighbour).
///
/// Inputs: x [input rows, input.width, C], h [edges, H], W [H, paths·C]; output [centres, output.width, C].
public struct ConvolutionPlan: Sendable {
    public let input: FeatureLayout, output: FeatureLayout
    public let paths: [TensorProductPath]
    let table: PathTable
    let residual: [(Int, Int, Int)]

    public init(input: FeatureLayout, output: FeatureLayout, filterMax: Int) {
        precondition(input.channels == output.channels, "ConvolutionPlan: depthwise, channels must agree")
        self.input = input; self.output = output
        paths = TensorProductPath.all(input: input.degrees, filterMax: filterMax, output: output.degrees)
        table = PathTable(paths: paths, input: input, output: output)
        residual = input.degrees.compactMap { l in output.offset(of: l).map { (input.offset(of: l)!, $0, 2 * l + 1) } }
    }

    /// Radial weights per edge: paths × channels.
    public var radialWidth: Int { paths.count * output.channels }

    /// The convolution of layer `layer` of `edges`' receptive field, recorded on x's graph.
    public func apply<T>(_ x: Variable<T>, hidden h: Variable<T>, weights w: Variable<T>, edges: EdgeFeatures<T>, layer: Int,
                         threads: Int = 2) -> Variable<T> {
        let op = TensorFieldConvolution(plan: self, edges: edges, layer: layer, threads: threads, tape: x.graph)
        return op.forward(x, h, w)
    }
}

final class TensorFieldConvolution<T: TensorScalar>: TapeOperation {
    typealias Scalar = T
    let plan: ConvolutionPlan
    let edges: EdgeFeatures<T>
    let centres: Int, inputRows: Int, edgeCount: Int
    let threads: Int
    /// Edges per gemm chunk: enough for BLAS efficiency, small enough to stay in cache.
    static var chunkEdges: Int { 2048 }

    /// The graph the operation is recorded on (which owns it): its arena holds the worker scratch.
    unowned let tape: Graph<T>

    init(plan: ConvolutionPlan, edges: EdgeFeatures<T>, layer: Int, threads: Int, tape: Graph<T>) {
        self.plan = plan; self.edges = edges; self.tape = tape
        let field = edges.field
        centres = field.rows[layer]; inputRows = field.rows[layer - 1]
        edgeCount = field.edgeCount(layer: layer)
        self.threads = max(1, threads)
    }

    var C: Int { plan.output.channels }
    var inStride: Int { plan.input.width * C }
    var outStride: Int { plan.output.width * C }
    var radialWidth: Int { plan.radialWidth }
    var scratchCount: Int { ConvolutionKernels.scratchCount(plan.table, harmonicsWidth: edges.harmonicsWidth) }
    /// Rows of radial weights a chunk can hold: `chunkEdges`, or fewer for a smaller field.
    var chunkRows: Int { max(1, min(Self.chunkEdges, edgeCount)) }

    func forward(_ x: Variable<T>, _ h: Variable<T>, _ w: Variable<T>) -> Variable<T> {
        precondition(x.shape == Shape(inputRows, plan.input.width, C), "convolution: input \(x.shape), expected [\(inputRows), \(plan.input.width), \(C)]")
        let H = w.shape[0]
        precondition(h.shape == Shape(edgeCount, H) && w.shape == Shape(H, radialWidth), "convolution: hidden \(h.shape), weights \(w.shape)")
        let out = tape.makeOutput(Shape(centres, plan.output.width, C))
        let xp = x.value.unsafeData, hp = h.value.unsafeData, wp = w.value.unsafeData, op = out.unsafeData
        let parts = partition(), rows = chunkRows
        withWorkerScratch(parts.count, perWorker: rows * radialWidth + scratchCount) { index, rBuf in
            chunks(of: parts[index]) { block, e0, e1 in
                T.gemm(transposeA: false, transposeB: false, m: e1 - e0, n: radialWidth, k: H, alpha: 1, a: hp + e0 * H, lda: H,
                       b: wp, ldb: radialWidth, beta: 0, c: rBuf, ldc: radialWidth)
                kernelArguments { st, nb, y, hw, s in
                    ConvolutionKernels.forward(centres: block, starts: st, neighbors: nb, harmonics: y, harmonicsWidth: hw, scales: s,
                                               x: xp, inStride: inStride, r: rBuf, firstEdge: e0, out: op, outStride: outStride,
                                               channels: C, table: plan.table, residual: plan.residual,
                                               scratch: rBuf + rows * radialWidth)
                }
            }
        }
        return tape.record(self, inputs: [x, h, w], output: out)
    }

    func vjp(inputs: [Tensor<T>], output: Tensor<T>, gradient: Tensor<T>, needs: [Bool]) -> [Tensor<T>?] {
        let x = inputs[0], h = inputs[1], w = inputs[2]
        let H = w.shape[0]
        let xp = x.unsafeData, hp = h.unsafeData, wp = w.unsafeData, gp = gradient.unsafeData
        let parts = partition()
        // Per worker: its own input gradient and weight gradient, summed at the end.
        let gxParts = needs[0] ? parts.map { _ in Tensor<T>(zeros: x.shape) } : []
        let gwParts = needs[2] ? parts.map { _ in Tensor<T>(zeros: w.shape) } : []
        let gh = Tensor<T>(zeros: h.shape)
        let ghp = gh.unsafeData
        let rows = chunkRows
        withWorkerScratch(parts.count, perWorker: 2 * rows * radialWidth + scratchCount) { index, buf in
            let part = parts[index]
            let rBuf = buf, grBuf = buf + rows * radialWidth, scratch = grBuf + rows * radialWidth
            let gx = needs[0] ? gxParts[index].unsafeData : nil
            chunks(of: part) { block, e0, e1 in
                let m = e1 - e0
                T.gemm(transposeA: false, transposeB: false, m: m, n: radialWidth, k: H, alpha: 1, a: hp + e0 * H, lda: H,
                       b: wp, ldb: radialWidth, beta: 0, c: rBuf, ldc: radialWidth)
                kernelArguments { st, nb, y, hw, s in
                    ConvolutionKernels.backward(centres: block, starts: st, neighbors: nb, harmonics: y, harmonicsWidth: hw, scales: s,
                                                x: xp, inStride: inStride, r: rBuf, firstEdge: e0, gOut: gp, outStride: outStride,
                                                channels: C, table: plan.table, residual: plan.residual, gx: gx, gr: grBuf, scratch: scratch)
                }
                if needs[2] {
                    T.gemm(transposeA: true, transposeB: false, m: H, n: radialWidth, k: m, alpha: 1, a: hp + e0 * H, lda: H,
                           b: grBuf, ldb: radialWidth, beta: 1, c: gwParts[index].unsafeData, ldc: radialWidth)
                }
                if needs[1] {
                    T.gemm(transposeA: false, transposeB: true, m: m, n: H, k: radialWidth, alpha: 1, a: grBuf, lda: radialWidth,
                           b: wp, ldb: radialWidth, beta: 0, c: ghp + e0 * H, ldc: H)
                }
            }
        }
        return [needs[0] ? sum(gxParts) : nil, needs[1] ? gh : nil, needs[2] ? sum(gwParts) : nil]
    }

    // MARK: work division

    /// Centres split into contiguous parts of about equal edge counts, one per worker.
    private func partition() -> [Range<Int>] {
        let n = min(threads, max(centres, 1))
        let starts = edges.field.starts
        var parts: [Range<Int>] = [], lower = 0
        for t in 1...n {
            let target = edgeCount * t / n
            var upper = lower
            while upper < centres && (t == n || Int(starts[upper + 1]) <= target) { upper += 1 }
            parts.append(lower..<upper); lower = upper
        }
        return parts
    }

    /// Runs body(worker, its scratch) over the workers; the scratch comes from the tape's arena, so
    /// a pass repeated after `reset()` (an MD step) allocates none.
    private func withWorkerScratch(_ workers: Int, perWorker: Int, _ body: (Int, UnsafeMutablePointer<T>) -> Void) {
        let scratch = tape.makeScratch(workers * perWorker)
        withExtendedLifetime(scratch) {
            let base = scratch.unsafeData
            if workers == 1 { body(0, base); return }
            BLASThreads.serial { DispatchQueue.concurrentPerform(iterations: workers) { body($0, base + $0 * perWorker) } }
        }
    }

    /// Consecutive blocks of centres of `part` holding at most `chunkEdges` edges (at least one centre).
    private func chunks(of part: Range<Int>, _ body: (Range<Int>, Int, Int) -> Void) {
        let starts = edges.field.starts
        var lower = part.lowerBound
        while lower < part.upperBound {
            var upper = lower + 1
            while upper < part.upperBound && Int(starts[upper + 1]) - Int(starts[lower]) <= Self.chunkEdges { upper += 1 }
            let e0 = Int(starts[lower]), e1 = Int(starts[upper])
            precondition(e1 - e0 <= Self.chunkEdges, "convolution: a centre has more than \(Self.chunkEdges) edges")
            body(lower..<upper, e0, e1)
            lower = upper
        }
    }

    /// The field's edge arrays as the kernels read them (empty when no centre has an edge).
    private func kernelArguments(_ body: (UnsafePointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<T>, Int,
                                          UnsafeBufferPointer<T>) -> Void) {
        edges.field.starts.withUnsafeBufferPointer { st in
            edges.field.neighbors.withUnsafeBufferPointer { nb in
                edges.harmonics.withUnsafeBufferPointer { y in
                    edges.scales.withUnsafeBufferPointer { s in body(st.baseAddress!, nb, y, edges.harmonicsWidth, s) }
                }
            }
        }
    }

    private func sum(_ parts: [Tensor<T>]) -> Tensor<T> {
        let total = parts[0]
        for p in parts.dropFirst() {
            let a = total.unsafeData, b = p.unsafeData
            for k in 0..<total.count { a[k] += b[k] }
        }
        return total
    }
}
