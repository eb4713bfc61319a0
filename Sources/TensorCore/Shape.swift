/// A tensor shape of rank 0...5 stored inline, so making or passing one never allocates (the
/// inference path builds shapes on every call).
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public static let maxRank = 5
    public private(set) var rank: Int
    private var d: (Int, Int, Int, Int, Int) = (1, 1, 1, 1, 1)

    public init(_ dims: [Int]) {
        precondition(dims.count <= Shape.maxRank, "Shape: rank \(dims.count) exceeds \(Shape.maxRank)")
        rank = dims.count
        for (i, n) in dims.enumerated() { self[i] = n }
    }
    public init(arrayLiteral dims: Int...) { self.init(dims) }
    public init() { rank = 0 }
    public init(_ d0: Int) { rank = 1; d.0 = d0; check() }
    public init(_ d0: Int, _ d1: Int) { rank = 2; d.0 = d0; d.1 = d1; check() }
    public init(_ d0: Int, _ d1: Int, _ d2: Int) { rank = 3; d.0 = d0; d.1 = d1; d.2 = d2; check() }
    public init(_ d0: Int, _ d1: Int, _ d2: Int, _ d3: Int) { rank = 4; d = (d0, d1, d2, d3, 1); check() }

    @inline(__always) private func check() {
        precondition(d.0 >= 0 && d.1 >= 0 && d.2 >= 0 && d.3 >= 0 && d.4 >= 0, "Shape: negative dimension")
    }

    public subscript(axis: Int) -> Int {
        get {
            precondition(axis >= 0 && axis < rank, "Shape: axis \(axis) out of range for rank \(rank)")
            switch axis { case 0: return d.0; case 1: return d.1; case 2: return d.2; case 3: return d.3; default: return d.4 }
        }
        set {
            precondition(axis >= 0 && axis < Shape.maxRank && newValue >= 0, "Shape: bad axis \(axis) or dimension \(newValue)")
            switch axis { case 0: d.0 = newValue; case 1: d.1 = newValue; case 2: d.2 = newValue; case 3: d.3 = newValue; default: d.4 = newValue }
        }
    }

    /// Number of elements (1 for rank 0).
    public var count: Int {
        var n = 1
        for i in 0..<rank { n *= self[i] }
        return n
    }
    public var dims: [Int] { (0..<rank).map { self[$0] } }
    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }

    public static func == (a: Shape, b: Shape) -> Bool {
        guard a.rank == b.rank else { return false }
        for i in 0..<a.rank where a[i] != b[i] { return false }
        return true
    }
    public func hash(into h: inout Hasher) { h.combine(rank); for i in 0..<rank { h.combine(self[i]) } }

    /// Normalises a possibly negative axis (−1 is the last).
    public func axis(_ a: Int) -> Int {
        let r = a < 0 ? a + rank : a
        precondition(r >= 0 && r < rank, "Shape \(self): axis \(a) out of range")
        return r
    }

    /// Elements before, along and after `axis`: the [outer, n, inner] view used by reductions,
    /// concatenation and slicing.
    func split(at axis: Int) -> (outer: Int, n: Int, inner: Int) {
        var outer = 1, inner = 1
        for i in 0..<axis { outer *= self[i] }
        for i in (axis + 1)..<rank { inner *= self[i] }
        return (outer, self[axis], inner)
    }

    /// `self` with dimension `axis` replaced (or removed when `to` is nil).
    func replacing(axis: Int, with n: Int?) -> Shape {
        var s = Shape()
        for i in 0..<rank {
            if i == axis { if let n { s.rank += 1; s[s.rank - 1] = n } } else { s.rank += 1; s[s.rank - 1] = self[i] }
        }
        return s
    }

    /// NumPy broadcasting of two shapes, or nil when they do not broadcast.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        let r = max(a.rank, b.rank)
        var s = Shape()
        s.rank = r
        for i in 0..<r {
            let x = i - (r - a.rank) >= 0 ? a[i - (r - a.rank)] : 1
            let y = i - (r - b.rank) >= 0 ? b[i - (r - b.rank)] : 1
            guard x == y || x == 1 || y == 1 else { return nil }
            s[i] = x == 1 ? y : x
        }
        return s
    }

    /// Five dims and element strides of `self` seen inside `outShape` (broadcast dims get stride 0),
    /// right-aligned and padded in front to rank 5 (both returned as rank-5 shapes: no allocation).
    func broadcastStrides(in outShape: Shape) -> (dims: Shape, strides: Shape) {
        var dims = Shape(), strides = Shape()
        dims.rank = 5; strides.rank = 5
        for i in 0..<5 { strides[i] = 0 }
        var stride = 1
        var i = outShape.rank - 1
        while i >= 0 {
            let j = i - (outShape.rank - rank)
            let slot = 5 - (outShape.rank - i)
            dims[slot] = outShape[i]
            if j >= 0 {
                strides[slot] = self[j] == 1 ? 0 : stride
                stride *= self[j]
            }
            i -= 1
        }
        return (dims, strides)
    }
}
