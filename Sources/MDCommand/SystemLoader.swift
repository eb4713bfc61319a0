import AmberIO
import Foundation
import MDCore

/// A simulated system as the command line names it: a folder with one .prmtop and one .rst7, or a
/// prmtop path whose coordinates come from `--coordinates` or the .rst7 beside it with the same stem.
/// `--frame FILE:INDEX` takes the coordinates (and box) from a trajectory frame instead.
struct LoadedSystem {
    let prmtop: Prmtop
    let frame: Frame
    let coordinatesPath: String

    static func load(_ argument: String, coordinates: String?, frame frameReference: String?) throws -> LoadedSystem {
        let (prmtopPath, defaultCoordinates) = try locate(argument)
        let prmtop = try Prmtop(contentsOf: prmtopPath)
        let (path, index) = frameReference.map(FrameSource.parseReference) ?? (coordinates ?? defaultCoordinates, nil)
        guard let path else {
            throw FileAccessError(file: prmtopPath, "no coordinates: pass --coordinates FILE or put NAME.rst7 beside NAME.prmtop")
        }
        let source = try FrameSource(path: path)
        guard source.atomCount == prmtop.atomCount else {
            throw FileFormatError(file: path, "has \(source.atomCount) atoms but \(prmtopPath) has \(prmtop.atomCount)")
        }
        var frame = try source.frame(index ?? (frameReference == nil ? 0 : -1))
        // A restart of a periodic system without a box line takes the prmtop's box.
        if frame.box == nil, let box = prmtop.box { frame.box = box }
        return LoadedSystem(prmtop: prmtop, frame: frame, coordinatesPath: path)
    }

    private static func locate(_ argument: String) throws -> (prmtop: String, coordinates: String?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            throw FileAccessError(file: argument, "no such file or folder")
        }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
            let prmtops = names.filter { $0.hasSuffix(".prmtop") || $0.hasSuffix(".parm7") }.sorted()
            let coordinates = names.filter { $0.hasSuffix(".rst7") || $0.hasSuffix(".inpcrd") || $0.hasSuffix(".ncrst") }.sorted()
            guard prmtops.count == 1 else {
                throw FileAccessError(file: argument, prmtops.isEmpty ? "holds no .prmtop" : "holds \(prmtops.count) prmtops (\(prmtops.joined(separator: ", "))); name one")
            }
            guard coordinates.count <= 1 else {
                throw FileAccessError(file: argument, "holds \(coordinates.count) coordinate files (\(coordinates.joined(separator: ", "))); pass --coordinates")
            }
            return (argument + "/" + prmtops[0], coordinates.first.map { argument + "/" + $0 })
        }
        let stem = (argument as NSString).deletingPathExtension
        let beside = [".rst7", ".inpcrd", ".ncrst"].map { stem + $0 }.first { FileManager.default.fileExists(atPath: $0) }
        return (argument, beside)
    }
}
