import TensorCore

// The per-edge work of a TFN convolution, for a range of centre atoms, written over contiguous
// channel runs (features are [atom][component][channel]) so the inner loops vectorise.
// Specialised for Float and Double so callers from any module land in concrete code.

enum ConvolutionKernels {
    /// Per edge e and entry q: value_q · Y_e[harmonic_q] · scale_e, the coefficient multiplying
    /// R_e,p ⊙ x_j[m1] into out_i[m3].
    @inline(__always)
    static func coefficients<T: TensorScalar>(_ table: PathTable, harmonics y: UnsafePointer<T>, scale: T, into c: UnsafeMutablePointer<T>) {
        for q in 0..<table.entryCount { c[q] = T(table.value[q]) * y[table.harmonic[q]] * scale }
    }

    /// out[i] = residual(x[i]) + Σ_e Σ_p CG_p ⋅ (Y_e ⊗ (R_e,p ⊙ x_j)) for centres i in `centres`.
    /// `r` holds R rows for edges from `firstEdge`. Scratch: entryCount + maxInWidth·C scalars.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func forward<T: TensorScalar>(centres: Range<Int>, starts: UnsafePointer<Int32>, neighbors: UnsafePointer<Int32>,
                                         harmonics: UnsafePointer<T>, harmonicsWidth hw: Int, scales: UnsafePointer<T>,
                                         x: UnsafePointer<T>, inStride: Int, r: UnsafePointer<T>, firstEdge: Int,
                                         out: UnsafeMutablePointer<T>, outStride: Int, channels: Int,
                                         table: PathTable, residual: [(Int, Int, Int)], scratch: UnsafeMutablePointer<T>) {
        let C = channels, P = table.count
        let coef = scratch, tmp = scratch + table.entryCount
        for i in centres {
            let acc = out + i * outStride
            acc.update(repeating: 0, count: outStride)
            let xi = x + i * inStride
            for (inOff, outOff, width) in residual {
                for k in 0..<(width * C) { acc[outOff * C + k] = xi[inOff * C + k] }
            }
            for e in Int(starts[i])..<Int(starts[i + 1]) {
                let xj = x + Int(neighbors[e]) * inStride
                let re = r + (e - firstEdge) * P * C
                coefficients(table, harmonics: harmonics + e * hw, scale: scales[e], into: coef)
                for p in 0..<P {
                    let rp = re + p * C, xin = xj + table.inOffset[p] * C
                    let width = table.inWidth[p]
                    for m in 0..<width { ChannelLoops.multiply(rp, xin + m * C, tmp + m * C, C) }
                    let o = acc + table.outOffset[p] * C
                    for q in table.entryStart[p]..<table.entryStart[p + 1] {
                        ChannelLoops.axpy(coef[q], tmp + table.m1[q] * C, o + table.m3[q] * C, C)
                    }
                }
            }
        }
    }

    /// Gradients of `forward` for centres in `centres`: gr (rows from `firstEdge`) is written,
    /// gx (a full input-shaped buffer owned by this worker) is accumulated into.
    @_specialize(where T == Float) @_specialize(where T == Double)
    static func backward<T: TensorScalar>(centres: Range<Int>, starts: UnsafePointer<Int32>, neighbors: UnsafePointer<Int32>,
                                          harmonics: UnsafePointer<T>, harmonicsWidth hw: Int, scales: UnsafePointer<T>,
                                          x: UnsafePointer<T>, inStride: Int, r: UnsafePointer<T>, firstEdge: Int,
                                          gOut: UnsafePointer<T>, outStride: Int, channels: Int,
                                          table: PathTable, residual: [(Int, Int, Int)],
                                          gx: UnsafeMutablePointer<T>?, gr: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>) {
        let C = channels, P = table.count
        let coef = scratch, u = scratch + table.entryCount
        for i in centres {
            let g = gOut + i * outStride
            if let gx {
                let gxi = gx + i * inStride
                for (inOff, outOff, width) in residual {
                    for k in 0..<(width * C) { gxi[inOff * C + k] += g[outOff * C + k] }
                }
            }
            for e in Int(starts[i])..<Int(starts[i + 1]) {
                let j = Int(neighbors[e])
                let xj = x + j * inStride
                let re = r + (e - firstEdge) * P * C, gre = gr + (e - firstEdge) * P * C
                coefficients(table, harmonics: harmonics + e * hw, scale: scales[e], into: coef)
                for p in 0..<P {
                    let width = table.inWidth[p]
                    // u[m1] = Σ_q coef_q · g_i[m3_q]: the gradient reaching R_e,p ⊙ x_j[m1].
                    u.update(repeating: 0, count: width * C)
                    let go = g + table.outOffset[p] * C
                    for q in table.entryStart[p]..<table.entryStart[p + 1] {
                        ChannelLoops.axpy(coef[q], go + table.m3[q] * C, u + table.m1[q] * C, C)
                    }
                    let rp = re + p * C, grp = gre + p * C, xin = xj + table.inOffset[p] * C
                    ChannelLoops.multiply(u, xin, grp, C)
                    for m in 1..<width { ChannelLoops.multiplyAdd(u + m * C, xin + m * C, grp, C) }
                    if let gx {
                        let gxin = gx + j * inStride + table.inOffset[p] * C
                        for m in 0..<width { ChannelLoops.multiplyAdd(rp, u + m * C, gxin + m * C, C) }
                    }
                }
            }
        }
    }
}
