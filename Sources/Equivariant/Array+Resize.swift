extension Array {
    /// Makes the count `count` by dropping trailing elements or appending `value`s, keeping the
    /// storage and its capacity: how buffers refilled every MD step are sized.
    mutating func resize(to count: Int, filling value: Element) {
        if count < self.count {
            removeLast(self.count - count)
        } else if count > self.count {
            append(contentsOf: repeatElement(value, count: count - self.count))
        }
    }
}
