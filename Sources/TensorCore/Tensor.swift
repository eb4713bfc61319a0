/// An n-dimensional array of Float (default) or Double in contiguous row-major storage.
/// A plain value: copies share storage until one of them is written.
public struct Tensor<T: TensorScalar>: CustomStringConvertible {
    public private(set) var shape: Shape
    var storage: TensorStorage<T>

    public var count: Int { shape.count }
    public var rank: Int { shape.rank }

    init(shape: Shape, storage: TensorStorage<T>) {
        precondition(storage.capacity >= shape.count, "Tensor: storage of \(storage.capacity) too small for \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// Zeros of the given shape.
    public init(zeros shape: Shape) { self.init(shape: shape, storage: TensorStorage(zeros: shape.count)) }

    /// A tensor whose every scalar `initialize` writes (no zero-fill first).
    public init(shape: Shape, initializingWith initialize: (UnsafeMutableBufferPointer<T>) throws -> Void) rethrows {
        self.init(shape: shape, storage: TensorStorage(capacity: shape.count))
        try initialize(UnsafeMutableBufferPointer(start: storage.pointer, count: shape.count))
    }

    public init(repeating value: T, shape: Shape) {
        self.init(shape: shape, storage: TensorStorage(capacity: shape.count))
        storage.pointer.initialize(repeating: value, count: shape.count)
    }

    public init(shape: Shape, scalars: [T]) {
        precondition(scalars.count == shape.count, "Tensor: \(scalars.count) scalars for shape \(shape)")
        self.init(shape: shape, storage: TensorStorage(capacity: shape.count))
        scalars.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: scalars.count) }
    }

    /// A rank-0 tensor.
    public init(scalar: T) { self.init(shape: Shape(), scalars: [scalar]) }

    /// The scalars in row-major order.
    public var scalars: [T] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a one-element tensor.
    public var scalar: T {
        precondition(count == 1, "Tensor.scalar: shape \(shape) has \(count) elements")
        return storage.pointer[0]
    }

    public subscript(flat i: Int) -> T {
        get { precondition(i >= 0 && i < count); return storage.pointer[i] }
        set { precondition(i >= 0 && i < count); makeUnique(); storage.pointer[i] = newValue }
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<T>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage<T>(capacity: count)
            copy.pointer.initialize(from: storage.pointer, count: count)
            storage = copy
        }
    }

    /// Gives the tensor `newShape`, keeping its storage when that is unshared and large enough
    /// (the scalars are then whatever was there), else taking new storage of exactly that size: a
    /// buffer refilled every MD step grows to the largest size seen, then allocates no more.
    public mutating func resize(to newShape: Shape) {
        if newShape.count > storage.capacity || !isKnownUniquelyReferenced(&storage) { storage = TensorStorage(capacity: newShape.count) }
        shape = newShape
    }

    /// The same scalars under another shape with the same element count (shares storage).
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(newShape.count == count, "Tensor.reshaped: \(shape) to \(newShape) changes the element count")
        return Tensor(shape: newShape, storage: storage)
    }

    /// A converted copy in another element type.
    public func converted<U: TensorScalar>(to: U.Type = U.self) -> Tensor<U> {
        var out = Tensor<U>(zeros: shape)
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<count { o[i] = U(storage.pointer[i]) }
        }
        return out
    }

    public var description: String { "Tensor<\(T.self)>\(shape)\(count <= 16 ? " \(scalars)" : "")" }
}

extension Tensor: Equatable {
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        for i in 0..<a.count where a.storage.pointer[i] != b.storage.pointer[i] { return false }
        return true
    }
}

extension Tensor {
    /// The storage pointer, without copy-on-write. For kernels writing a tensor that was just made
    /// (arena outputs, gradient buffers) and reading values the graph keeps alive.
    @inline(__always) var ptr: UnsafeMutablePointer<T> { storage.pointer }
}
