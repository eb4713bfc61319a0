import Foundation

/// Whole-file reads and safe writes shared by the text formats.
public enum FileBytes {
    public static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw FileAccessError(file: path, exists ? "cannot be read (permissions?)" : "no such file")
        }
        defer { try? handle.close() }
        do {
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw FileAccessError(file: path, "read failed: \(error.localizedDescription)")
        }
    }

    /// Writes through a temporary file and a rename, so a reader never sees half a file.
    /// Refuses to replace an existing file unless `overwrite` is set.
    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool) throws {
        try replace(path, overwrite: overwrite) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
                throw FileAccessError(file: path, "cannot be written")
            }
        }
    }

    /// Lets `produce` write the whole file beside `path`, then renames it into place; on failure the
    /// partial file is removed and any old file stays as it was.
    static func replace(_ path: String, overwrite: Bool, produce: (_ temporary: String) throws -> Void) throws {
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw FileAccessError(file: path, "exists; pass --overwrite to replace it")
        }
        let temporary = path + ".partial"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try produce(temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            unlink(temporary)
            throw FileAccessError(file: path, "cannot be written: \(String(cString: strerror(errno)))")
        }
    }
}
