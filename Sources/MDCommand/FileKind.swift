import AmberIO
import Foundation

/// The kinds of file `md` reads, recognised from content rather than extension.
enum FileKind: String {
    case prmtop, netcdf, rst7, pdb

    static func detect(_ path: String) throws -> FileKind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileAccessError(file: path, "no such file")
        }
        guard !isDirectory.boolValue else { throw FileAccessError(file: path, "is a folder, not a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileAccessError(file: path, "cannot be read") }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        guard !head.isEmpty else { throw FileFormatError(file: path, "is empty") }
        if head.starts(with: Array("CDF".utf8)) || head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .netcdf }
        let text = String(decoding: head, as: UTF8.self)
        if text.hasPrefix("%VERSION") || text.hasPrefix("%FLAG") { return .prmtop }
        let records = ["ATOM  ", "HETATM", "HEADER", "CRYST1", "REMARK", "MODEL ", "TITLE "]
        if text.split(separator: "\n").prefix(20).contains(where: { line in records.contains { line.hasPrefix($0) } }) { return .pdb }
        if head.contains(0) { throw FileFormatError(file: path, "is binary and not NetCDF; md cannot read it") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.count > 1, let count = lines[1].split(separator: " ").first, Int(count) != nil { return .rst7 }
        throw FileFormatError(file: path, "is not a prmtop, AMBER NetCDF, rst7/inpcrd or PDB file")
    }
}
