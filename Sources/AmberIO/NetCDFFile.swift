import CNetCDF
import Foundation

/// A thin throwing layer over the netCDF C library: each call's status becomes a FileFormatError that
/// names the file and what md was doing.
final class NetCDFFile {
    let path: String
    private(set) var id: Int32 = -1
    private var isOpen = false

    private init(path: String) { self.path = path }

    deinit { close() }

    static func open(_ path: String, writable: Bool = false) throws -> NetCDFFile {
        guard FileManager.default.fileExists(atPath: path) else { throw FileAccessError(file: path, "no such file") }
        let file = NetCDFFile(path: path)
        let status = nc_open(path, writable ? NC_WRITE : NC_NOWRITE, &file.id)
        guard status == NC_NOERR else {
            throw FileFormatError(file: path, "is not a readable NetCDF file (\(NetCDFFile.message(status)))")
        }
        file.isOpen = true
        return file
    }

    /// Classic format with 64-bit offsets, as the AMBER convention asks; never replaces a file.
    static func create(_ path: String) throws -> NetCDFFile {
        let file = NetCDFFile(path: path)
        let status = nc_create(path, NC_NOCLOBBER | NC_64BIT_OFFSET, &file.id)
        guard status == NC_NOERR else {
            throw FileAccessError(file: path, "cannot create NetCDF file (\(NetCDFFile.message(status)))")
        }
        file.isOpen = true
        var old: Int32 = 0
        nc_set_fill(file.id, NC_NOFILL, &old)
        return file
    }

    func close() {
        if isOpen { nc_close(id); isOpen = false }
    }

    static func message(_ status: Int32) -> String { String(cString: nc_strerror(status)) }

    func check(_ status: Int32, _ doing: @autoclosure () -> String) throws {
        guard status == NC_NOERR else {
            throw FileFormatError(file: path, "\(doing()): \(NetCDFFile.message(status))")
        }
    }

    // MARK: Definitions

    func defineDimension(_ name: String, length: Int) throws -> Int32 {
        var dim: Int32 = 0
        try check(nc_def_dim(id, name, length, &dim), "defining dimension \(name)")
        return dim
    }

    func defineVariable(_ name: String, type: nc_type, dimensions: [Int32]) throws -> Int32 {
        var v: Int32 = 0
        try check(nc_def_var(id, name, type, Int32(dimensions.count), dimensions, &v), "defining variable \(name)")
        return v
    }

    func putAttribute(_ name: String, _ text: String, variable: Int32 = NC_GLOBAL) throws {
        let bytes = Array(text.utf8)
        try check(nc_put_att_text(id, variable, name, bytes.count, bytes.map { CChar(bitPattern: $0) }), "writing attribute \(name)")
    }

    func putAttribute(_ name: String, _ value: Double, variable: Int32) throws {
        var v = value
        try check(nc_put_att_double(id, variable, name, NC_DOUBLE, 1, &v), "writing attribute \(name)")
    }

    func endDefinitions() throws { try check(nc_enddef(id), "finishing the header") }

    func sync() throws { try check(nc_sync(id), "flushing to disk") }

    // MARK: Inquiry

    func dimensionLength(_ name: String) -> Int? {
        var dim: Int32 = 0
        var length = 0
        guard nc_inq_dimid(id, name, &dim) == NC_NOERR, nc_inq_dimlen(id, dim, &length) == NC_NOERR else { return nil }
        return length
    }

    func variable(_ name: String) -> Int32? {
        var v: Int32 = 0
        return nc_inq_varid(id, name, &v) == NC_NOERR ? v : nil
    }

    /// The names of a variable's dimensions, in order.
    func dimensions(of variable: Int32) -> [String] {
        var count: Int32 = 0
        guard nc_inq_varndims(id, variable, &count) == NC_NOERR else { return [] }
        var dims = [Int32](repeating: 0, count: Int(count))
        guard nc_inq_vardimid(id, variable, &dims) == NC_NOERR else { return [] }
        return dims.map { dim in
            var name = [CChar](repeating: 0, count: Int(NC_MAX_NAME) + 1)
            nc_inq_dimname(id, dim, &name)
            return String(cString: name)
        }
    }

    func textAttribute(_ name: String, variable: Int32 = NC_GLOBAL) -> String? {
        var type: nc_type = 0
        var length = 0
        guard nc_inq_att(id, variable, name, &type, &length) == NC_NOERR, type == NC_CHAR else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard nc_get_att_text(id, variable, name, &buffer) == NC_NOERR else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: CharacterSet(charactersIn: "\0"))
    }

    func doubleAttribute(_ name: String, variable: Int32) -> Double? {
        var type: nc_type = 0
        var length = 0
        guard nc_inq_att(id, variable, name, &type, &length) == NC_NOERR, length == 1, type != NC_CHAR else { return nil }
        var value = 0.0
        return nc_get_att_double(id, variable, name, &value) == NC_NOERR ? value : nil
    }

    // MARK: Data

    func put(_ values: [Float], variable: Int32, start: [Int], count: [Int], name: String) throws {
        try check(nc_put_vara_float(id, variable, start, count, values), "writing \(name)")
    }

    func put(_ values: [Double], variable: Int32, start: [Int], count: [Int], name: String) throws {
        try check(nc_put_vara_double(id, variable, start, count, values), "writing \(name)")
    }

    func put(_ text: String, variable: Int32, start: [Int], count: [Int], name: String) throws {
        let bytes = Array(text.utf8).map { CChar(bitPattern: $0) }
        try check(nc_put_vara_text(id, variable, start, count, bytes), "writing \(name)")
    }

    /// Reads any numeric variable as Double; the library converts from the stored type.
    func getDoubles(variable: Int32, start: [Int], count: [Int], name: String) throws -> [Double] {
        var out = [Double](repeating: 0, count: count.reduce(1, *))
        try check(nc_get_vara_double(id, variable, start, count, &out), "reading \(name)")
        return out
    }
}
