/// The coupling paths of one convolution flattened for its kernels: per path the input and output
/// row offsets and widths, and its Clebsch–Gordan entries as (input row, harmonic index, output row,
/// value) in contiguous buffers. Built once per network.
final class PathTable: @unchecked Sendable {
    let count: Int
    let entryCount: Int
    let inOffset: UnsafeMutablePointer<Int>, inWidth: UnsafeMutablePointer<Int>, outOffset: UnsafeMutablePointer<Int>
    /// Entries of path p are entryStart[p]..<entryStart[p + 1].
    let entryStart: UnsafeMutablePointer<Int>
    let m1: UnsafeMutablePointer<Int>, harmonic: UnsafeMutablePointer<Int>, m3: UnsafeMutablePointer<Int>
    let value: UnsafeMutablePointer<Double>
    /// Largest input width (rows of the per-path scratch).
    let maxInWidth: Int

    init(paths: [TensorProductPath], input: FeatureLayout, output: FeatureLayout) {
        count = paths.count
        entryCount = paths.reduce(0) { $0 + $1.entries.count }
        inOffset = .allocate(capacity: max(count, 1)); inWidth = .allocate(capacity: max(count, 1))
        outOffset = .allocate(capacity: max(count, 1)); entryStart = .allocate(capacity: count + 1)
        m1 = .allocate(capacity: max(entryCount, 1)); harmonic = .allocate(capacity: max(entryCount, 1))
        m3 = .allocate(capacity: max(entryCount, 1)); value = .allocate(capacity: max(entryCount, 1))
        var q = 0, widest = 1
        for (p, path) in paths.enumerated() {
            inOffset[p] = input.offset(of: path.input)!
            inWidth[p] = 2 * path.input + 1
            outOffset[p] = output.offset(of: path.output)!
            widest = max(widest, inWidth[p])
            entryStart[p] = q
            for e in path.entries {
                m1[q] = e.m1; harmonic[q] = path.filter * path.filter + e.m2; m3[q] = e.m3; value[q] = e.value
                q += 1
            }
        }
        entryStart[count] = q
        maxInWidth = widest
    }

    deinit {
        for p in [inOffset, inWidth, outOffset, entryStart, m1, harmonic, m3] { p.deallocate() }
        value.deallocate()
    }
}
