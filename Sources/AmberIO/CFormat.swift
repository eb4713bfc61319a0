import Foundation

/// printf-style formatting into a byte buffer, for the fixed-width numeric fields of AMBER text files
/// (Foundation's String(format:) allocates per call and is far slower for 10⁵ fields).
enum CFormat {
    static func append(_ format: String, _ args: CVarArg..., to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buffer in
            let n = withVaList(args) { vsnprintf(buffer.baseAddress!, 128, format, $0) }
            let written = Int(min(max(n, 0), 127))
            buffer.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: written) {
                out.append(contentsOf: UnsafeBufferPointer(start: $0, count: written))
            }
        }
    }
}
