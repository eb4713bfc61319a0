import TensorCore

// The per-edge work of a TFN convolution, for a range of centre atoms. Features are
// [atom][component][channel]: each kernel walks the channels a SIMD register at a time and, within
// a register's worth, keeps every sum in registers (an output row in the forward pass, an input
// row's gradient in the backward pass), touching memory once per row.
// Specialised for Float and Double so callers from any module land in concrete code.

enum ConvolutionKernels {
    /// Scalars of scratch a worker needs: the coupling values as T and the per-edge coefficients
    /// in both orders, and the scaled harmonics.
    static func scratchCount(_ table: PathTable, harmonicsWidth: Int) -> Int { 4 * table.entryCount + harmonicsWidth }

    /// Per entry q of edge e: value_q · Y_e[harmonic_q] · scale_e.
    @inline(__always)
    static func coefficients<T: TensorScalar>(_ g: PathTable.Grouping, values: UnsafePointer<T>, count: Int,
                                              scaledHarmonics ys: UnsafePointer<T>, into c: UnsafeMutablePointer<T>) {
        for q in 0..<count { c[q] = values[q] * ys[g.harmonic[q]] }
    }

    @inline(__always)
    static func load<V: SIMD>(_ p: UnsafePointer<V.Scalar>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always)
    static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<V.Scalar>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Calls body(V.self-sized chunk start) over the channels: full registers, then halves down to pairs, then singles.
    @inline(__always)
    static func chunks<T: TensorScalar>(_ C: Int, _ scalar: T.Type, _ wide: (Int) -> Void, _ quad: (Int) -> Void, _ single: (Int) -> Void) {
        var c = 0
        let w = T.Vector.scalarCount
        while c + w <= C { wide(c); c += w }
        while c + 4 <= C { quad(c); c += 4 }
        while c < C { single(c); c += 1 }
    }

    /// One path of one edge, channels c0..<c0 + V.scalarCount: out[row] += Σ_q coef_q (R ⊙ x_j[m1_q]).
    @inline(__always)
    static func forwardPath<V: SIMD>(_: V.Type, _ g: PathTable.Grouping, p: Int, coef: UnsafePointer<V.Scalar>, rp: UnsafePointer<V.Scalar>,
                                     xin: UnsafePointer<V.Scalar>, o: UnsafeMutablePointer<V.Scalar>, C: Int) where V.Scalar: TensorScalar {
        let rv: V = load(rp)
        for k in g.groupStart[p]..<g.groupStart[p + 1] {
            let out = o + g.row[k] * C
            var a: V = load(out)
            for q in g.entryStart[k]..<g.entryStart[k + 1] {
                a += (V(repeating: coef[q]) * rv) * (load(xin + g.other[q] * C) as V)
            }
            store(a, out)
        }
    }

    /// Gradients of one path of one edge, channels c0..<c0 + V.scalarCount.
    @inline(__always)
    static func backwardPath<V: SIMD>(_: V.Type, _ g: PathTable.Grouping, p: Int, coef: UnsafePointer<V.Scalar>, rp: UnsafePointer<V.Scalar>,
                                      xin: UnsafePointer<V.Scalar>, go: UnsafePointer<V.Scalar>, grp: UnsafeMutablePointer<V.Scalar>,
                                      gxin: UnsafeMutablePointer<V.Scalar>?, C: Int) where V.Scalar: TensorScalar {
        let rv: V = load(rp)
        var gr = V()
        for k in g.groupStart[p]..<g.groupStart[p + 1] {
            let m1 = g.row[k] * C
            // u = Σ_q coef_q · g_i[m3_q]: the gradient reaching R ⊙ x_j[m1].
            var u = V()
            for q in g.entryStart[k]..<g.entryStart[k + 1] { u += V(repeating: coef[q]) * (load(go + g.other[q] * C) as V) }
            gr += u * (load(xin + m1) as V)
            if let gxin { store((load(gxin + m1) as V) + rv * u, gxin + m1) }
        }
        store(gr, grp)
    }

    /// `forwardPath` for one channel.
    @inline(__always)
    static func forwardScalar<T: TensorScalar>(_ g: PathTable.Grouping, p: Int, coef: UnsafePointer<T>, rp: UnsafePointer<T>,
                                               xin: UnsafePointer<T>, o: UnsafeMutablePointer<T>, C: Int) {
        for k in g.groupStart[p]..<g.groupStart[p + 1] {
            var a = o[g.row[k] * C]
            for q in g.entryStart[k]..<g.entryStart[k + 1] { a += coef[q] * rp[0] * xin[g.other[q] * C] }
            o[g.row[k] * C] = a
        }
    }

    /// `backwardPath` for one channel.
    @inline(__always)
    static func backwardScalar<T: TensorScalar>(_ g: PathTable.Grouping, p: Int, coef: UnsafePointer<T>, rp: UnsafePointer<T>,
                                                xin: UnsafePointer<T>, go: UnsafePointer<T>, grp: UnsafeMutablePointer<T>,
                                                gxin: UnsafeMutablePointer<T>?, C: Int) {
        var gr: T = 0
        for k in g.groupStart[p]..<g.groupStart[p + 1] {
            let m1 = g.row[k] * C
            var u: T = 0
            for q in g.entryStart[k]..<g.entryStart[k + 1] { u += coef[q] * go[g.other[q] * C] }
            gr += u * xin[m1]
            if let gxin { gxin[m1] += rp[0] * u }
        }
        grp[0] = gr
    }

    /// out[i] = residual(x[i]) + Σ_e Σ_p CG_p ⋅ (Y_e ⊗ (R_e,p ⊙ x_j)) for centres i in `centres`.
    /// `r` holds R rows for edges from `firstEdge`.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func forward<T: TensorScalar>(centres: Range<Int>, starts: UnsafePointer<Int32>, neighbors: UnsafeBufferPointer<Int32>,
                                         harmonics: UnsafeBufferPointer<T>, harmonicsWidth hw: Int, scales: UnsafeBufferPointer<T>,
                                         x: UnsafePointer<T>, inStride: Int, r: UnsafePointer<T>, firstEdge: Int,
                                         out: UnsafeMutablePointer<T>, outStride: Int, channels C: Int,
                                         table: PathTable, residual: [(Int, Int, Int)], scratch: UnsafeMutablePointer<T>) {
        let g = table.byOutput, P = table.count, n = table.entryCount
        let values = scratch, coef = values + n, ys = coef + n
        for q in 0..<n { values[q] = T(g.value[q]) }
        let inOffset = table.inOffset, outOffset = table.outOffset
        for i in centres {
            let acc = out + i * outStride
            acc.update(repeating: 0, count: outStride)
            let xi = x + i * inStride
            for (inOff, outOff, width) in residual { (acc + outOff * C).update(from: xi + inOff * C, count: width * C) }
            for e in Int(starts[i])..<Int(starts[i + 1]) {
                let xj = x + Int(neighbors[e]) * inStride
                let re = r + (e - firstEdge) * P * C
                let y = harmonics.baseAddress! + e * hw, s = scales[e]
                for k in 0..<hw { ys[k] = y[k] * s }
                coefficients(g, values: values, count: n, scaledHarmonics: ys, into: coef)
                for p in 0..<P {
                    let rp = re + p * C, xin = xj + inOffset[p] * C, o = acc + outOffset[p] * C
                    chunks(C, T.self,
                           { c in forwardPath(T.Vector.self, g, p: p, coef: coef, rp: rp + c, xin: xin + c, o: o + c, C: C) },
                           { c in forwardPath(SIMD4<T>.self, g, p: p, coef: coef, rp: rp + c, xin: xin + c, o: o + c, C: C) },
                           { c in forwardScalar(g, p: p, coef: coef, rp: rp + c, xin: xin + c, o: o + c, C: C) })
                }
            }
        }
    }

    /// Gradients of `forward` for centres in `centres`: gr (rows from `firstEdge`) is written,
    /// gx (a full input-shaped buffer owned by this worker) is accumulated into.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func backward<T: TensorScalar>(centres: Range<Int>, starts: UnsafePointer<Int32>, neighbors: UnsafeBufferPointer<Int32>,
                                          harmonics: UnsafeBufferPointer<T>, harmonicsWidth hw: Int, scales: UnsafeBufferPointer<T>,
                                          x: UnsafePointer<T>, inStride: Int, r: UnsafePointer<T>, firstEdge: Int,
                                          gOut: UnsafePointer<T>, outStride: Int, channels C: Int,
                                          table: PathTable, residual: [(Int, Int, Int)],
                                          gx: UnsafeMutablePointer<T>?, gr: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>) {
        let g = table.byInput, P = table.count, n = table.entryCount
        let values = scratch, coef = values + n, ys = coef + n
        for q in 0..<n { values[q] = T(g.value[q]) }
        let inOffset = table.inOffset, outOffset = table.outOffset
        for i in centres {
            let gi = gOut + i * outStride
            if let gx {
                let gxi = gx + i * inStride
                for (inOff, outOff, width) in residual {
                    for k in 0..<(width * C) { gxi[inOff * C + k] += gi[outOff * C + k] }
                }
            }
            for e in Int(starts[i])..<Int(starts[i + 1]) {
                let j = Int(neighbors[e])
                let xj = x + j * inStride
                let re = r + (e - firstEdge) * P * C, gre = gr + (e - firstEdge) * P * C
                let y = harmonics.baseAddress! + e * hw, s = scales[e]
                for k in 0..<hw { ys[k] = y[k] * s }
                coefficients(g, values: values, count: n, scaledHarmonics: ys, into: coef)
                for p in 0..<P {
                    let rp = re + p * C, grp = gre + p * C, xin = xj + inOffset[p] * C, go = gi + outOffset[p] * C
                    let gxin = gx.map { $0 + j * inStride + inOffset[p] * C }
                    chunks(C, T.self,
                           { c in backwardPath(T.Vector.self, g, p: p, coef: coef, rp: rp + c, xin: xin + c, go: go + c, grp: grp + c,
                                               gxin: gxin.map { $0 + c }, C: C) },
                           { c in backwardPath(SIMD4<T>.self, g, p: p, coef: coef, rp: rp + c, xin: xin + c, go: go + c, grp: grp + c,
                                               gxin: gxin.map { $0 + c }, C: C) },
                           { c in backwardScalar(g, p: p, coef: coef, rp: rp + c, xin: xin + c, go: go + c, grp: grp + c,
                                                 gxin: gxin.map { $0 + c }, C: C) })
                }
            }
        }
    }
}
