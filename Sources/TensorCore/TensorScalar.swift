import COpenBLAS
import Foundation

/// The element types a tensor can hold: Float for the network and training, Double where a caller
/// needs it (finite-difference checks). Each supplies its math functions and its BLAS entry point so
/// that generic kernels specialised for Float or Double call the right routine without dispatch.
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Sendable {
    /// A SIMD register's worth of scalars (256 bits), for kernels' contiguous inner loops.
    associatedtype Vector: SIMD where Vector.Scalar == Self
    /// The safetensors dtype name ("F32", "F64").
    static var dtypeName: String { get }
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    /// Row-major general matrix product C = alpha·op(A)·op(B) + beta·C (cblas_?gemm).
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension TensorScalar {
    /// The logistic function 1/(1 + e^−x), the one every kernel uses (TensorCore's elementwise ops,
    /// the equivariant gates): e^x/(1 + e^x) for negative x, so neither branch overflows.
    @inline(__always)
    public static func sigmoid(_ x: Self) -> Self {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }
}

@inline(__always) private func blasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: TensorScalar {
    public typealias Vector = SIMD8<Float>
    public static var dtypeName: String { "F32" }
    @inline(__always) public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) public static func log1p(_ x: Float) -> Float { Foundation.log1p(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Double: TensorScalar {
    public typealias Vector = SIMD4<Double>
    public static var dtypeName: String { "F64" }
    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// OpenBLAS's own thread pool, for kernels that call BLAS from their worker threads.
public enum BLASThreads {
    /// Runs `body` with OpenBLAS single-threaded (each caller's gemm runs on the caller's thread,
    /// so two workers each doing their own products do not oversubscribe the cores).
    public static func serial<R>(_ body: () throws -> R) rethrows -> R {
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(previous) }
        return try body()
    }

    /// md parallelises its own loops (the convolution, the classical kernels) over its workers.
    /// Between calls OpenBLAS's pool spins on the cores those workers need: on 2 cores a learned
    /// ala2-water run spent 8.7 s of system time in 11.1 s and an order-1 training step took 266
    /// instead of 219 ms (BENCHMARKS.md). So BLAS runs on the calling thread, unless the user set
    /// OPENBLAS_NUM_THREADS.
    public static func useCallingThreadUnlessConfigured() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil else { return }
        openblas_set_num_threads(1)
    }
}
