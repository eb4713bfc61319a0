/// The coupling paths of one convolution flattened for its kernels: per path the input and output
/// row offsets, and its Clebsch–Gordan entries (input row m1, harmonic index, output row m3,
/// value) in two orders. The forward kernel accumulates each output row in registers, so it wants
/// a path's entries grouped by output row; the backward kernel accumulates the gradient of each
/// input row, so it wants them grouped by input row. Built once per network.
final class PathTable: @unchecked Sendable {
    /// Entries grouped by one row index: group g has row `row[g]` and entries
    /// `entryStart[g]..<entryStart[g + 1]`, whose other row is `other[q]`.
    struct Grouping {
        /// Groups of path p: groupStart[p]..<groupStart[p + 1].
        let groupStart: UnsafeMutablePointer<Int>
        let row: UnsafeMutablePointer<Int>
        let entryStart: UnsafeMutablePointer<Int>
        let other: UnsafeMutablePointer<Int>, harmonic: UnsafeMutablePointer<Int>
        let value: UnsafeMutablePointer<Double>

        init(paths: [TensorProductPath], byOutput: Bool) {
            let entries = paths.reduce(0) { $0 + $1.entries.count }
            groupStart = .allocate(capacity: paths.count + 1)
            row = .allocate(capacity: max(entries, 1)); entryStart = .allocate(capacity: entries + 1)
            other = .allocate(capacity: max(entries, 1)); harmonic = .allocate(capacity: max(entries, 1))
            value = .allocate(capacity: max(entries, 1))
            var g = 0, q = 0
            for (p, path) in paths.enumerated() {
                groupStart[p] = g
                let sorted = path.entries.sorted { byOutput ? ($0.m3, $0.m1, $0.m2) < ($1.m3, $1.m1, $1.m2) : ($0.m1, $0.m3, $0.m2) < ($1.m1, $1.m3, $1.m2) }
                var current = -1
                for e in sorted {
                    let key = byOutput ? e.m3 : e.m1
                    if key != current { row[g] = key; entryStart[g] = q; g += 1; current = key }
                    other[q] = byOutput ? e.m1 : e.m3
                    harmonic[q] = path.filter * path.filter + e.m2
                    value[q] = e.value
                    q += 1
                }
            }
            groupStart[paths.count] = g
            entryStart[g] = q
        }

        func deallocate() {
            for p in [groupStart, row, entryStart, other, harmonic] { p.deallocate() }
            value.deallocate()
        }
    }

    let count: Int
    let entryCount: Int
    let inOffset: UnsafeMutablePointer<Int>, outOffset: UnsafeMutablePointer<Int>
    let byOutput: Grouping, byInput: Grouping

    init(paths: [TensorProductPath], input: FeatureLayout, output: FeatureLayout) {
        count = paths.count
        entryCount = paths.reduce(0) { $0 + $1.entries.count }
        inOffset = .allocate(capacity: max(count, 1))
        outOffset = .allocate(capacity: max(count, 1))
        for (p, path) in paths.enumerated() {
            inOffset[p] = input.offset(of: path.input)!
            outOffset[p] = output.offset(of: path.output)!
        }
        byOutput = Grouping(paths: paths, byOutput: true)
        byInput = Grouping(paths: paths, byOutput: false)
    }

    deinit {
        inOffset.deallocate(); outOffset.deallocate()
        byOutput.deallocate(); byInput.deallocate()
    }
}
