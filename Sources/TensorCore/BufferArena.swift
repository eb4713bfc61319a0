/// Buffers handed out in call order and handed out again after `rewind()`, so a forward pass that
/// repeats the same operations on the same shapes allocates nothing after its first run. A buffer
/// still held outside the arena (a result the caller kept) is never reused: the slot gets a fresh
/// one and `allocations` counts it.
public final class BufferArena<T: TensorScalar> {
    private var buffers: [TensorStorage<T>] = []
    private var cursor = 0
    /// Buffers allocated since the arena was made.
    public private(set) var allocations = 0

    public init() {}

    func take(_ count: Int) -> TensorStorage<T> {
        defer { cursor += 1 }
        if cursor < buffers.count {
            if buffers[cursor].capacity >= count && isKnownUniquelyReferenced(&buffers[cursor]) { return buffers[cursor] }
            allocations += 1
            buffers[cursor] = TensorStorage(capacity: count)
            return buffers[cursor]
        }
        allocations += 1
        buffers.append(TensorStorage(capacity: count))
        return buffers[cursor]
    }

    func rewind() { cursor = 0 }

    /// Bytes held by the arena.
    public var bytes: Int { buffers.reduce(0) { $0 + $1.capacity * MemoryLayout<T>.stride } }
}
