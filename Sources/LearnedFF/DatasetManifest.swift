import AmberIO
import Foundation

/// Dataset manifests: JSON objects whose "format" names what they hold ("md-dataset 1" for force
/// trajectories, "md-refinement-dataset 1" for refinement candidates). Errors name the file and field.
public enum DatasetManifest {
    private struct Format: Decodable { var format: String }

    /// The manifest's "format", nil when the file is not a JSON object with one.
    public static func format(of path: String) throws -> String? {
        try? JSONDecoder().decode(Format.self, from: Data(try FileBytes.read(path))).format
    }

    /// Decodes a manifest of `format`; another format is named as such (not as a missing field).
    public static func decode<M: Decodable>(_ type: M.Type, from path: String, format: String) throws -> M {
        let data = Data(try FileBytes.read(path))
        if let other = try? JSONDecoder().decode(Format.self, from: data), other.format != format {
            throw FileFormatError(file: path, location: "format", "is \"\(other.format)\", md reads \"\(format)\" here")
        }
        do {
            return try JSONDecoder().decode(M.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw FileFormatError(file: path, location: context.codingPath.map(\.stringValue).joined(separator: "."), "missing \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw FileFormatError(file: path, location: context.codingPath.map(\.stringValue).joined(separator: "."), "wrong type")
        } catch {
            throw FileFormatError(file: path, "not a dataset manifest (JSON with \"format\": \"\(format)\"): \(error)")
        }
    }

    /// A path of a manifest's entries: relative paths are relative to the manifest's folder.
    public static func resolve(_ relative: String, directory: String) -> String {
        relative.hasPrefix("/") || directory.isEmpty ? relative : (directory as NSString).appendingPathComponent(relative)
    }
}
