import AmberIO
import Foundation
import MDCore

/// Frames from any coordinate file md reads: rst7/inpcrd, AMBER NetCDF trajectory or restart.
/// A frame reference is `FILE` or `FILE:INDEX` (0-based; negative counts from the end).
struct FrameSource {
    let path: String
    let frameCount: Int
    let atomCount: Int
    let title: String
    private let read: (Int) throws -> Frame

    init(path: String) throws {
        self.path = path
        switch try FileKind.detect(path) {
        case .netcdf:
            let reader = try AmberNetCDFReader(path)
            frameCount = reader.frameCount
            atomCount = reader.atomCount
            title = reader.title
            read = { try reader.frame($0) }
        case .rst7:
            let (frame, title) = try Rst7.read(path)
            frameCount = 1
            atomCount = frame.atomCount
            self.title = title
            read = { index in
                guard index == 0 || index == -1 else { throw FileFormatError(file: path, "holds one frame; frame \(index) does not exist") }
                return frame
            }
        case .prmtop, .pdb:
            throw FileFormatError(file: path, "holds no AMBER coordinates (expected rst7/inpcrd or AMBER NetCDF)")
        }
    }

    func frame(_ index: Int) throws -> Frame { try read(index) }

    /// Splits `FILE:INDEX`; a suffix that is not an integer belongs to the file name.
    static func parseReference(_ text: String) -> (path: String, index: Int?) {
        if let colon = text.lastIndex(of: ":"), let index = Int(text[text.index(after: colon)...]) {
            return (String(text[..<colon]), index)
        }
        return (text, nil)
    }

}

/// The frames --first, --last and --stride select (`CommonOptions.frameRange`).
struct FrameRange {
    let first: Int, last: Int, stride: Int

    init(_ arguments: ParsedArguments) throws {
        stride = try arguments.value("stride", as: Int.self) ?? 1
        guard stride >= 1 else { throw CommandLineError(command: arguments.command, "--stride must be at least 1") }
        first = try arguments.value("first", as: Int.self) ?? 0
        last = try arguments.value("last", as: Int.self) ?? -1
    }

    /// Whether any of the three was given.
    static func given(_ arguments: ParsedArguments) -> String? {
        ["first", "last", "stride"].first { arguments.string($0) != nil }
    }

    /// Frame indices first…last (inclusive; negative from the end) every `stride` within the file;
    /// an empty selection is an error naming the file.
    func indices(of source: FrameSource) throws -> [Int] {
        let count = source.frameCount
        let from = first < 0 ? count + first : first
        let to = min(last < 0 ? count + last : last, count - 1)
        guard from >= 0, from <= to else {
            throw FileFormatError(file: source.path, "has \(count) frame\(count == 1 ? "" : "s"); --first \(first) --last \(last) selects none")
        }
        return Array(Swift.stride(from: from, through: to, by: stride))
    }
}
