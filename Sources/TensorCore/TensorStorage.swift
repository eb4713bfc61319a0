import Foundation

/// A contiguous, owned buffer of scalars. Tensors share one by reference and copy it on write;
/// the inference arena hands the same buffers out again once nobody else holds them.
public final class TensorStorage<T: TensorScalar> {
    public let pointer: UnsafeMutablePointer<T>
    public let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        pointer = .allocate(capacity: max(capacity, 1))
    }
    convenience init(zeros capacity: Int) {
        self.init(capacity: capacity)
        // A memset: zero is all-zero bits in Float and Double, and an unspecialised caller would
        // otherwise copy scalars one by one through the type's value witness.
        memset(pointer, 0, max(capacity, 1) * MemoryLayout<T>.stride)
    }
    deinit { pointer.deallocate() }
}
