import Foundation

/// A text file as byte lines, with 1-based line numbers for error messages. Fields are parsed straight
/// from the bytes: a 30k-atom prmtop has ~10⁶ fields and String per field would dominate the read.
struct TextLines {
    let bytes: [UInt8]
    /// Half-open byte ranges of each line, without the line terminator.
    let ranges: [Range<Int>]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(bytes.count / 60 + 1)
        var start = 0
        bytes.withUnsafeBufferPointer { b in
            for i in 0..<b.count where b[i] == UInt8(ascii: "\n") {
                var end = i
                if end > start && b[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                ranges.append(start..<end)
                start = i + 1
            }
        }
        if start < bytes.count { ranges.append(start..<bytes.count) }
        self.ranges = ranges
    }

    var count: Int { ranges.count }

    func string(_ line: Int) -> String {
        String(decoding: bytes[ranges[line]], as: UTF8.self)
    }

    func starts(_ line: Int, with prefix: String) -> Bool {
        let r = ranges[line]
        let p = Array(prefix.utf8)
        return r.count >= p.count && bytes[r.lowerBound..<r.lowerBound + p.count].elementsEqual(p)
    }

    func isBlank(_ line: Int) -> Bool {
        bytes[ranges[line]].allSatisfy { $0 == 32 || $0 == 9 }
    }
}

/// Numbers from fixed-width byte fields. Both return nil for anything but one well-formed number
/// surrounded by blanks; the caller turns that into a located error.
enum FieldParser {
    static func integer(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end && b[i] == 32 { i += 1 }
        var negative = false
        if i < end && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        var value = 0
        var digits = 0
        while i < end, b[i] >= 48, b[i] <= 57 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b[i] - 48))
            if o1 || o2 { return nil }
            value = s
            digits += 1
            i += 1
        }
        while i < end && b[i] == 32 { i += 1 }
        guard digits > 0, i == end else { return nil }
        return negative ? -value : value
    }

    /// Accepts Fortran `D` exponents; rejects NaN and infinities, which no AMBER file means.
    static func real(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end && b[start] == 32 { start += 1 }
        while end > start && b[end - 1] == 32 { end -= 1 }
        let n = end - start
        guard n > 0, n < 63 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> Double? in
            for k in 0..<n {
                let c = b[start + k]
                // Only characters a decimal number may hold: rules out strtod's hex, "nan" and "inf".
                switch c {
                case 48...57, UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
                     UInt8(ascii: "e"), UInt8(ascii: "E"): buffer[k] = CChar(c)
                case UInt8(ascii: "d"), UInt8(ascii: "D"): buffer[k] = CChar(UInt8(ascii: "E"))
                default: return nil
                }
            }
            buffer[n] = 0
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &endPointer)
            guard endPointer == buffer.baseAddress! + n, value.isFinite else { return nil }
            return value
        }
    }
}
