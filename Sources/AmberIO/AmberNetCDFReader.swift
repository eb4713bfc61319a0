import CNetCDF
import Foundation
import MDCore

/// Reads AMBER NetCDF trajectories and restarts, written by md, AMBER, cpptraj, OpenMM/ParmEd or MDTraj.
public final class AmberNetCDFReader {
    public let path: String
    public let kind: AmberNetCDF.Kind
    public let atomCount: Int
    public let frameCount: Int
    public let contents: AmberNetCDF.Contents
    public let title: String
    /// The program that wrote the file, as its `program`/`programVersion` attributes say.
    public let program: String
    private let file: NetCDFFile
    private let velocityScale: Double

    public init(_ path: String) throws {
        self.path = path
        // Headers are small; 64 kB covers any AMBER file's. The C library trusts a classic header's
        // counts (a corrupt one can make it allocate for minutes), so md measures the header first.
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 65536)).flatMap { $0 }.map { [UInt8]($0) } ?? []
        let header = NetCDFClassicHeader(bytes: head)
        if header == nil && head.count >= 4 && head.starts(with: Array("CDF".utf8)) && (head[3] == 1 || head[3] == 2) {
            throw FileFormatError(file: path, "has a corrupt or truncated NetCDF header")
        }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if let header, header.requiredLength > fileSize {
            throw FileFormatError(file: path, "is truncated: its header promises \(header.recordCount) frames in \(header.requiredLength) bytes, the file has \(fileSize)")
        }
        file = try NetCDFFile.open(path)
        let conventions = file.textAttribute("Conventions") ?? ""
        let names = conventions.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        if names.contains("AMBERRESTART") {
            kind = .restart
        } else if names.contains("AMBER") {
            kind = .trajectory
        } else {
            throw FileFormatError(file: path, location: "global attribute Conventions",
                                  conventions.isEmpty ? "missing; not an AMBER NetCDF file" : "is '\(conventions)', not AMBER or AMBERRESTART")
        }
        guard let atoms = file.dimensionLength("atom"), atoms > 0 else {
            throw FileFormatError(file: path, location: "dimension atom", "missing or zero")
        }
        atomCount = atoms
        if kind == .trajectory {
            guard let frames = file.dimensionLength("frame") else {
                throw FileFormatError(file: path, location: "dimension frame", "missing in a trajectory")
            }
            frameCount = frames
        } else {
            frameCount = 1
        }
        guard let coordinates = file.variable("coordinates") else {
            throw FileFormatError(file: path, location: "variable coordinates", "missing")
        }
        let expected = (kind == .trajectory ? ["frame"] : []) + ["atom", "spatial"]
        for (name, id) in [("coordinates", coordinates), ("velocities", file.variable("velocities")), ("forces", file.variable("forces"))] {
            if let id, file.dimensions(of: id) != expected {
                throw FileFormatError(file: path, location: "variable \(name)", "has dimensions \(file.dimensions(of: id)), expected \(expected)")
            }
        }
        if file.dimensionLength("spatial") != 3 {
            throw FileFormatError(file: path, location: "dimension spatial", "must be 3")
        }
        contents = AmberNetCDF.Contents(velocities: file.variable("velocities") != nil, forces: file.variable("forces") != nil,
                                        box: file.variable("cell_lengths") != nil && file.variable("cell_angles") != nil)
        let file = self.file
        velocityScale = file.variable("velocities").flatMap { file.doubleAttribute("scale_factor", variable: $0) } ?? 1
        title = file.textAttribute("title") ?? ""
        program = [file.textAttribute("program"), file.textAttribute("programVersion")].compactMap { $0 }.joined(separator: " ")
    }

    public func close() { file.close() }

    /// A numeric global attribute (md's restarts carry the state of adaptive algorithms this way).
    public func numericAttribute(_ name: String) -> Double? { file.doubleAttribute(name, variable: NC_GLOBAL) }

    /// Frame `index`, 0-based; negative counts from the end (−1 is the last frame).
    public func frame(_ index: Int) throws -> Frame {
        let i = index < 0 ? frameCount + index : index
        guard i >= 0 && i < frameCount else {
            throw FileFormatError(file: path, "has \(frameCount) frame\(frameCount == 1 ? "" : "s"); frame \(index) does not exist")
        }
        let lead = kind == .trajectory ? [i] : []
        let one = kind == .trajectory ? [1] : []
        func read(_ name: String, _ count: [Int]) throws -> [Double]? {
            guard let id = file.variable(name) else { return nil }
            return try file.getDoubles(variable: id, start: lead + count.map { _ in 0 }, count: one + count, name: name)
        }
        let positions = try read("coordinates", [atomCount, 3])!
        if let bad = positions.firstIndex(where: { !$0.isFinite }) {
            throw FileFormatError(file: path, location: "frame \(i), atom \(bad / 3 + 1)", "coordinate is not a finite number")
        }
        var frame = Frame(positions: positions)
        frame.velocities = try read("velocities", [atomCount, 3])?.map { $0 * velocityScale }
        frame.forces = try read("forces", [atomCount, 3])
        frame.time = try read("time", [])?.first ?? 0
        if contents.box, let lengths = try read("cell_lengths", [3]), let angles = try read("cell_angles", [3]) {
            let box = Box(lengths: SIMD3(lengths[0], lengths[1], lengths[2]), angles: SIMD3(angles[0], angles[1], angles[2]))
            // Trajectories of non-periodic systems may carry an all-zero cell.
            if box.lengths != .zero {
                guard box.isValid else { throw FileFormatError(file: path, location: "frame \(i)", "cell \(lengths) \(angles) is not a valid box") }
                frame.box = box
            }
        }
        return frame
    }
}
