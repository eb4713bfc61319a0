import Foundation
import MDCore

/// Appends frames to an AMBER NetCDF trajectory. The record count is flushed after every frame, so a
/// writer killed at any point leaves a file that every reader opens with all complete frames.
public final class AmberNetCDFTrajectoryWriter {
    public let path: String
    public let atomCount: Int
    public let contents: AmberNetCDF.Contents
    public private(set) var frameCount: Int
    private let file: NetCDFFile
    private let variables: AmberNetCDF.Variables

    /// Starts a new trajectory. An existing file is replaced only with `overwrite`.
    public init(creating path: String, atomCount: Int, contents: AmberNetCDF.Contents, title: String = "md",
                overwrite: Bool = false) throws {
        if FileManager.default.fileExists(atPath: path) {
            guard overwrite else { throw FileAccessError(file: path, "exists; pass --overwrite to replace it") }
            try? FileManager.default.removeItem(atPath: path)
        }
        self.path = path
        self.atomCount = atomCount
        self.contents = contents
        file = try NetCDFFile.create(path)
        variables = try AmberNetCDF.define(file, kind: .trajectory, atomCount: atomCount, contents: contents, title: title)
        frameCount = 0
        try file.sync()
    }

    /// Continues an existing trajectory, which must have the same atoms and variables.
    public init(appendingTo path: String, atomCount: Int, contents: AmberNetCDF.Contents) throws {
        let reader = try AmberNetCDFReader(path)
        guard reader.kind == .trajectory else { throw FileFormatError(file: path, "is a restart, not a trajectory; cannot append") }
        guard reader.atomCount == atomCount else {
            throw FileFormatError(file: path, "has \(reader.atomCount) atoms; cannot append frames of \(atomCount)")
        }
        guard reader.contents == contents else {
            throw FileFormatError(file: path, "holds \(reader.contents); cannot append frames with \(contents)")
        }
        frameCount = reader.frameCount
        reader.close()
        self.path = path
        self.atomCount = atomCount
        self.contents = contents
        file = try NetCDFFile.open(path, writable: true)
        guard let time = file.variable("time"), let coordinates = file.variable("coordinates") else {
            throw FileFormatError(file: path, "lacks time or coordinates")
        }
        variables = AmberNetCDF.Variables(time: time, coordinates: coordinates, velocities: file.variable("velocities"),
                                          forces: file.variable("forces"), cellLengths: file.variable("cell_lengths"),
                                          cellAngles: file.variable("cell_angles"))
    }

    public func append(_ frame: Frame) throws {
        try AmberNetCDF.put(frame, index: frameCount, variables: variables, file: file, contents: contents, atomCount: atomCount)
        try file.sync()
        frameCount += 1
    }

    public func close() { file.close() }
}

/// A single-frame AMBER NetCDF restart (double precision, no frame dimension).
public enum AmberNetCDFRestart {
    /// Written beside the target and renamed into place, so a restart on disk is always whole.
    /// `attributes` become global attributes (numbers md needs to continue exactly, e.g. a barostat's
    /// adapted step); readers that do not know them ignore them.
    public static func write(_ frame: Frame, to path: String, title: String = "md", overwrite: Bool = false,
                             attributes: [String: Double] = [:]) throws {
        try FileBytes.replace(path, overwrite: overwrite) { temporary in
            let file = try NetCDFFile.create(temporary)
            defer { file.close() }
            let contents = AmberNetCDF.Contents(of: frame)
            let variables = try AmberNetCDF.define(file, kind: .restart, atomCount: frame.atomCount, contents: contents, title: title,
                                                   attributes: attributes)
            try AmberNetCDF.put(frame, index: nil, variables: variables, file: file, contents: contents, atomCount: frame.atomCount)
        }
    }
}
