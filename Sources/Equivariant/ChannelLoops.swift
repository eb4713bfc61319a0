import TensorCore

/// The inner loops of the network's kernels: elementwise work over a contiguous run of channels,
/// a SIMD register at a time (T.Vector) with a scalar tail. Written out because the compiler does
/// not vectorise these loops reliably in generic code, even specialised.
enum ChannelLoops {
    @inline(__always)
    static func load<T: TensorScalar>(_ p: UnsafePointer<T>) -> T.Vector { UnsafeRawPointer(p).loadUnaligned(as: T.Vector.self) }
    @inline(__always)
    static func store<T: TensorScalar>(_ v: T.Vector, _ p: UnsafeMutablePointer<T>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: T.Vector.self) }

    /// y += a·x
    @inline(__always)
    static func axpy<T: TensorScalar>(_ a: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
        let w = T.Vector.scalarCount
        var c = 0
        let av = T.Vector(repeating: a)
        while c + w <= n {
            store(load(y + c) + av * load(x + c), y + c)
            c += w
        }
        while c < n { y[c] += a * x[c]; c += 1 }
    }

    /// out = x ⊙ y
    @inline(__always)
    static func multiply<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ n: Int) {
        let w = T.Vector.scalarCount
        var c = 0
        while c + w <= n {
            store(load(x + c) * load(y + c), out + c)
            c += w
        }
        while c < n { out[c] = x[c] * y[c]; c += 1 }
    }

    /// out += x ⊙ y
    @inline(__always)
    static func multiplyAdd<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ n: Int) {
        let w = T.Vector.scalarCount
        var c = 0
        while c + w <= n {
            store(load(out + c) + load(x + c) * load(y + c), out + c)
            c += w
        }
        while c < n { out[c] += x[c] * y[c]; c += 1 }
    }
}
