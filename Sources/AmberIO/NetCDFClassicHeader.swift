import Foundation

/// The extent a classic-format (CDF-1/CDF-2) NetCDF header promises: where each variable's data begins
/// and how long records are. The C library reads past the end of a truncated file without complaint,
/// returning zeros, so the reader checks the file is as long as its header says.
struct NetCDFClassicHeader {
    var recordCount: Int
    /// Bytes the data occupy through the end of the last record.
    var requiredLength: Int

    /// Nil when the bytes are not a classic header md can measure (HDF5-based files check themselves).
    init?(bytes: [UInt8]) {
        var p = Parser(bytes: bytes)
        guard bytes.count >= 8, bytes[0] == 0x43, bytes[1] == 0x44, bytes[2] == 0x46, bytes[3] == 1 || bytes[3] == 2 else { return nil }
        let wideOffsets = bytes[3] == 2
        p.offset = 4
        guard let numrecs = p.int32(), numrecs >= 0 else { return nil }
        recordCount = numrecs
        // Dimensions: name and length; length 0 marks the record dimension.
        var dimensionLengths: [Int] = []
        guard let dimCount = p.listHeader(tag: 0x0A) else { return nil }
        for _ in 0..<dimCount {
            guard p.name() != nil, let length = p.int32() else { return nil }
            dimensionLengths.append(length)
        }
        guard let globalAttributes = p.listHeader(tag: 0x0C), p.skipAttributes(globalAttributes) else { return nil }
        guard let varCount = p.listHeader(tag: 0x0B) else { return nil }
        var extents: [(begin: Int, size: Int, isRecord: Bool)] = []
        for _ in 0..<varCount {
            guard p.name() != nil, let rank = p.int32(), rank >= 0, rank < 1024 else { return nil }
            var isRecord = false
            for d in 0..<rank {
                guard let id = p.int32(), id >= 0, id < dimensionLengths.count else { return nil }
                if d == 0 && dimensionLengths[id] == 0 { isRecord = true }
            }
            guard let attributes = p.listHeader(tag: 0x0C), p.skipAttributes(attributes),
                  p.int32() != nil, let vsize = p.int32(), let begin = wideOffsets ? p.int64() : p.int32() else { return nil }
            extents.append((begin, vsize, isRecord))
        }
        let records = extents.filter(\.isRecord)
        // A lone record variable is stored unpadded; vsize already includes padding otherwise.
        let recordSize = records.reduce(0) { $0 + $1.size }
        var required = 0
        for e in extents {
            let end = e.isRecord ? e.begin + max(numrecs - 1, 0) * recordSize + (numrecs > 0 ? e.size : 0) : e.begin + e.size
            required = max(required, end)
        }
        // A single record variable may be shorter than its padded vsize on disk.
        if records.count == 1, numrecs > 0 { required -= (4 - records[0].size % 4) % 4 }
        requiredLength = required
    }

    private struct Parser {
        let bytes: [UInt8]
        var offset = 0

        mutating func int32() -> Int? {
            guard offset + 4 <= bytes.count else { return nil }
            defer { offset += 4 }
            return Int(Int32(bitPattern: bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        }

        mutating func int64() -> Int? {
            guard offset + 8 <= bytes.count else { return nil }
            defer { offset += 8 }
            return Int(Int64(bitPattern: bytes[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        }

        /// `ABSENT` (two zero words) or `tag count`.
        mutating func listHeader(tag: Int) -> Int? {
            guard let t = int32(), let n = int32(), n >= 0 else { return nil }
            return t == 0 && n == 0 ? 0 : (t == tag ? n : nil)
        }

        mutating func name() -> String? {
            guard let n = int32(), n >= 0, offset + n <= bytes.count else { return nil }
            let s = String(decoding: bytes[offset..<offset + n], as: UTF8.self)
            offset += (n + 3) / 4 * 4
            return s
        }

        mutating func skipAttributes(_ count: Int) -> Bool {
            for _ in 0..<count {
                guard name() != nil, let type = int32(), let n = int32(), n >= 0 else { return false }
                let size: Int
                switch type {
                case 1, 2: size = 1     // byte, char
                case 3: size = 2        // short
                case 4, 5: size = 4     // int, float
                case 6: size = 8        // double
                default: return false
                }
                offset += (n * size + 3) / 4 * 4
                guard offset <= bytes.count else { return false }
            }
            return true
        }
    }
}
