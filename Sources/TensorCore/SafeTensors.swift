import Foundation

/// Element types named in safetensors headers. md writes F32 and F64 and reads those into tensors;
/// the others are recognised (so sizes validate) but not converted.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2
    public var byteSize: Int {
        switch self {
        case .F64, .I64, .U64: return 8
        case .F32, .I32, .U32: return 4
        case .F16, .BF16, .I16, .U16: return 2
        case .I8, .U8, .BOOL, .F8_E4M3, .F8_E5M2: return 1
        }
    }
}

/// A tensor of either element type md stores.
public enum AnyTensor {
    case float(Tensor<Float>)
    case double(Tensor<Double>)

    public var shape: Shape { switch self { case let .float(t): return t.shape; case let .double(t): return t.shape } }
    public var dtype: SafeTensorsDType { switch self { case .float: return .F32; case .double: return .F64 } }
}

/// What is wrong with a safetensors file, naming the file and, where there is one, the tensor.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let tensor: String?
    public let reason: String
    public init(path: String, tensor: String?, reason: String) { self.path = path; self.tensor = tensor; self.reason = reason }
    public var description: String { "\(path): " + (tensor.map { "tensor '\($0)': " } ?? "") + reason }
}

/// One tensor's header entry.
public struct SafeTensorsEntry: Equatable, Sendable {
    public let name: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// Byte range within the data section (after the header).
    public let offsets: Range<Int>
}

/// A safetensors file read and validated in full: an 8-byte little-endian header length, a JSON
/// header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the raw
/// little-endian data, every byte of which belongs to exactly one tensor.
public struct SafeTensorsFile {
    public let path: String
    public let metadata: [String: String]
    /// Entries in header order.
    public let entries: [SafeTensorsEntry]
    private let data: [UInt8]
    private let dataStart: Int

    public var names: [String] { entries.map(\.name) }

    public init(contentsOf path: String) throws {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError(path: path, tensor: nil, reason: "cannot read the file")
        }
        try self.init(bytes: [UInt8](d), path: path)
    }

    public init(bytes: [UInt8], path: String) throws {
        func fail(_ reason: String, _ tensor: String? = nil) -> SafeTensorsError { SafeTensorsError(path: path, tensor: tensor, reason: reason) }
        self.path = path
        guard bytes.count >= 8 else { throw fail("truncated: \(bytes.count) bytes, shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard n <= 100_000_000 else { throw fail("header length \(n) bytes is implausible (limit 100 MB); not a safetensors file?") }
        guard n >= 2, Int(n) <= bytes.count - 8 else {
            throw fail("truncated: header length \(n) bytes but only \(bytes.count - 8) bytes follow the length")
        }
        let headerBytes = Array(bytes[8..<(8 + Int(n))])
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("header does not start with '{'; not a safetensors file?") }
        let header: JSON
        do { header = try JSON.parse(headerBytes) } catch let e as JSON.ParseError {
            throw fail("header JSON: \(e.message) at header byte \(e.offset)")
        }
        guard case let .object(members) = header else { throw fail("header is not a JSON object") }
        dataStart = 8 + Int(n)
        let dataSize = bytes.count - dataStart

        var metadata: [String: String] = [:]
        var entries: [SafeTensorsEntry] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard case let .object(items) = value else { throw fail("__metadata__ is not an object") }
                for (k, v) in items {
                    guard case let .string(s) = v else { throw fail("__metadata__ value for \"\(k)\" is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard case let .object(fields) = value else { throw fail("header entry is not an object", name) }
            var dtype: SafeTensorsDType?, shape: [Int]?, offsets: [Int]?
            for (key, field) in fields {
                switch (key, field) {
                case let ("dtype", .string(s)):
                    guard let t = SafeTensorsDType(rawValue: s) else { throw fail("unknown dtype \"\(s)\"", name) }
                    dtype = t
                case let ("shape", .array(a)):
                    shape = try a.map { v -> Int in
                        guard case let .integer(d) = v, d >= 0 else { throw fail("shape \(JSON.array(a).text) has a non-integer or negative dimension", name) }
                        return d
                    }
                case let ("data_offsets", .array(a)):
                    offsets = try a.map { v -> Int in
                        guard case let .integer(d) = v, d >= 0 else { throw fail("data_offsets \(JSON.array(a).text) are not non-negative integers", name) }
                        return d
                    }
                default: throw fail("unexpected or mistyped header field \"\(key)\": \(field.text)", name)
                }
            }
            guard let dtype else { throw fail("no dtype", name) }
            guard let shape else { throw fail("no shape", name) }
            guard let offsets, offsets.count == 2 else { throw fail("data_offsets must be [begin, end]", name) }
            guard offsets[0] <= offsets[1] else { throw fail("data_offsets [\(offsets[0]), \(offsets[1])] end before they begin", name) }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
            }
            let needed = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, !needed.overflow, offsets[1] - offsets[0] == needed.partialValue else {
                throw fail("data_offsets [\(offsets[0]), \(offsets[1])] hold \(offsets[1] - offsets[0]) bytes but \(dtype.rawValue) \(shape) needs \(needed.partialValue)", name)
            }
            entries.append(SafeTensorsEntry(name: name, dtype: dtype, shape: shape, offsets: offsets[0]..<offsets[1]))
        }
        // Every data byte belongs to exactly one tensor, in order of offset.
        var end = 0
        for e in entries.sorted(by: { ($0.offsets.lowerBound, $0.offsets.upperBound) < ($1.offsets.lowerBound, $1.offsets.upperBound) }) {
            guard e.offsets.lowerBound == end else {
                throw fail(e.offsets.lowerBound < end ? "data overlaps the previous tensor (starts at byte \(e.offsets.lowerBound), previous ends at \(end))"
                                                      : "gap in the data before byte \(e.offsets.lowerBound) (previous tensor ends at \(end))", e.name)
            }
            guard e.offsets.upperBound <= dataSize else {
                throw fail("truncated: data ends at byte \(e.offsets.upperBound) of the data section but the file holds only \(dataSize)", e.name)
            }
            end = e.offsets.upperBound
        }
        guard end == dataSize else { throw fail("\(dataSize - end) bytes after the last tensor's data (header covers \(end) of \(dataSize))") }
        self.metadata = metadata
        self.entries = entries
        self.data = bytes
    }

    public func entry(_ name: String) -> SafeTensorsEntry? { entries.first { $0.name == name } }

    /// The tensor `name` as T, whose dtype it must have.
    public func tensor<T: TensorScalar>(_ name: String, as type: T.Type = T.self) throws -> Tensor<T> {
        guard let e = entry(name) else { throw SafeTensorsError(path: path, tensor: name, reason: "no such tensor (file has \(names.joined(separator: ", ")))") }
        guard e.dtype.rawValue == T.dtypeName else {
            throw SafeTensorsError(path: path, tensor: name, reason: "dtype is \(e.dtype.rawValue), expected \(T.dtypeName)")
        }
        guard e.shape.count <= Shape.maxRank else { throw SafeTensorsError(path: path, tensor: name, reason: "rank \(e.shape.count) exceeds \(Shape.maxRank)") }
        var t = Tensor<T>(zeros: Shape(e.shape))
        t.withUnsafeMutableBufferPointer { dst in
            data.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(dst).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(dataStart + e.offsets.lowerBound)..<(dataStart + e.offsets.upperBound)]))
            }
        }
        return t
    }

    /// The tensor `name` as F32 or F64, whichever it holds.
    public func anyTensor(_ name: String) throws -> AnyTensor {
        switch entry(name)?.dtype {
        case .F64?: return .double(try tensor(name, as: Double.self))
        default: return .float(try tensor(name, as: Float.self))
        }
    }
}

public enum SafeTensors {
    /// The bytes of a safetensors file holding `tensors` (names unique) and `metadata`. F64 tensors
    /// come first in the data so every tensor starts aligned to its element size.
    public static func encode(_ tensors: [(String, AnyTensor)], metadata: [String: String] = [:]) throws -> [UInt8] {
        var seen = Set<String>()
        for (name, _) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else {
                throw SafeTensorsError(path: "(encoding)", tensor: name, reason: "duplicate or reserved tensor name")
            }
        }
        let ordered = tensors.filter { $0.1.dtype == .F64 } + tensors.filter { $0.1.dtype != .F64 }
        var members: [(String, JSON)] = []
        if !metadata.isEmpty { members.append(("__metadata__", JSON.stringObject(metadata))) }
        var offset = 0
        for (name, t) in ordered {
            let size = t.shape.count * t.dtype.byteSize
            members.append((name, .object([("dtype", .string(t.dtype.rawValue)), ("shape", .array(t.shape.dims.map { .integer($0) })),
                                           ("data_offsets", .array([.integer(offset), .integer(offset + size)]))])))
            offset += size
        }
        var header = Array(JSON.object(members).text.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (_, t) in ordered {
            switch t {
            case let .float(x): x.withUnsafeBufferPointer { out.append(contentsOf: UnsafeRawBufferPointer($0)) }
            case let .double(x): x.withUnsafeBufferPointer { out.append(contentsOf: UnsafeRawBufferPointer($0)) }
            }
        }
        return out
    }

    /// Writes a safetensors file (atomically: a reader never sees half a file).
    public static func write(_ tensors: [(String, AnyTensor)], metadata: [String: String] = [:], to path: String) throws {
        let bytes: [UInt8]
        do { bytes = try encode(tensors, metadata: metadata) } catch let e as SafeTensorsError {
            throw SafeTensorsError(path: path, tensor: e.tensor, reason: e.reason)
        }
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw SafeTensorsError(path: path, tensor: nil, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
