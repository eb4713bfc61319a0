import CNetCDF
import Foundation
import MDCore

/// The AMBER NetCDF convention (trajectory "AMBER" and restart "AMBERRESTART", version 1.0): shared
/// names, units and header layout for the reader and the writers.
public enum AmberNetCDF {
    public enum Kind: String, Sendable {
        case trajectory = "AMBER"
        case restart = "AMBERRESTART"
    }

    /// Which optional variables a file carries.
    public struct Contents: Equatable, Sendable {
        public var velocities: Bool
        public var forces: Bool
        public var box: Bool

        public init(velocities: Bool = false, forces: Bool = false, box: Bool = false) {
            self.velocities = velocities
            self.forces = forces
            self.box = box
        }

        public init(of frame: Frame) {
            self.init(velocities: frame.velocities != nil, forces: frame.forces != nil, box: frame.box != nil)
        }
    }

    static let programVersion = "0.1"

    struct Variables {
        var time: Int32
        var coordinates: Int32
        var velocities: Int32?
        var forces: Int32?
        var cellLengths: Int32?
        var cellAngles: Int32?
    }

    /// Writes the header of a new file: dimensions, label variables, data variables with units.
    static func define(_ file: NetCDFFile, kind: Kind, atomCount: Int, contents: Contents, title: String,
                       attributes: [String: Double] = [:]) throws -> Variables {
        try file.putAttribute("title", title)
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) { try file.putAttribute(name, value, variable: NC_GLOBAL) }
        try file.putAttribute("application", "AMBER")
        try file.putAttribute("program", "md")
        try file.putAttribute("programVersion", programVersion)
        try file.putAttribute("Conventions", kind.rawValue)
        try file.putAttribute("ConventionVersion", "1.0")

        let trajectory = kind == .trajectory
        let frame = trajectory ? try file.defineDimension("frame", length: Int(NC_UNLIMITED)) : nil
        let spatial = try file.defineDimension("spatial", length: 3)
        let atom = try file.defineDimension("atom", length: atomCount)
        let perFrame: ([Int32]) -> [Int32] = { dims in frame.map { [$0] + dims } ?? dims }
        let real: nc_type = trajectory ? NC_FLOAT : NC_DOUBLE

        let spatialLabel = try file.defineVariable("spatial", type: NC_CHAR, dimensions: [spatial])
        let time = try file.defineVariable("time", type: trajectory ? NC_FLOAT : NC_DOUBLE, dimensions: perFrame([]))
        try file.putAttribute("units", "picosecond", variable: time)
        let coordinates = try file.defineVariable("coordinates", type: real, dimensions: perFrame([atom, spatial]))
        try file.putAttribute("units", "angstrom", variable: coordinates)
        var variables = Variables(time: time, coordinates: coordinates)
        if contents.velocities {
            let v = try file.defineVariable("velocities", type: real, dimensions: perFrame([atom, spatial]))
            try file.putAttribute("units", "angstrom/picosecond", variable: v)
            try file.putAttribute("scale_factor", Units.amberVelocityScale, variable: v)
            variables.velocities = v
        }
        if contents.forces {
            let f = try file.defineVariable("forces", type: real, dimensions: perFrame([atom, spatial]))
            try file.putAttribute("units", "kilocalorie/mole/angstrom", variable: f)
            variables.forces = f
        }
        var cellLabels: (Int32, Int32)?
        if contents.box {
            let cellSpatial = try file.defineDimension("cell_spatial", length: 3)
            let cellAngular = try file.defineDimension("cell_angular", length: 3)
            let label = try file.defineDimension("label", length: 5)
            cellLabels = (try file.defineVariable("cell_spatial", type: NC_CHAR, dimensions: [cellSpatial]),
                          try file.defineVariable("cell_angular", type: NC_CHAR, dimensions: [cellAngular, label]))
            let lengths = try file.defineVariable("cell_lengths", type: NC_DOUBLE, dimensions: perFrame([cellSpatial]))
            try file.putAttribute("units", "angstrom", variable: lengths)
            let angles = try file.defineVariable("cell_angles", type: NC_DOUBLE, dimensions: perFrame([cellAngular]))
            try file.putAttribute("units", "degree", variable: angles)
            (variables.cellLengths, variables.cellAngles) = (lengths, angles)
        }
        try file.endDefinitions()
        try file.put("xyz", variable: spatialLabel, start: [0], count: [3], name: "spatial")
        if let (cellSpatial, cellAngular) = cellLabels {
            try file.put("abc", variable: cellSpatial, start: [0], count: [3], name: "cell_spatial")
            try file.put("alphabeta gamma", variable: cellAngular, start: [0, 0], count: [3, 5], name: "cell_angular")
        }
        return variables
    }

    /// Writes one frame at `index` (nil for a restart's single, frameless record).
    static func put(_ frame: Frame, index: Int?, variables: Variables, file: NetCDFFile, contents: Contents, atomCount: Int) throws {
        guard frame.atomCount == atomCount else {
            throw FileFormatError(file: file.path, "frame has \(frame.atomCount) atoms, the file \(atomCount)")
        }
        guard contents == Contents(of: frame) else {
            throw FileFormatError(file: file.path, "frame carries \(Contents(of: frame)) but the file was laid out for \(contents)")
        }
        let lead = index.map { [$0] } ?? []
        let one = index == nil ? [] : [1]
        let vectorStart = lead + [0, 0], vectorCount = one + [atomCount, 3]
        func putVector(_ values: [Double], _ variable: Int32, _ name: String) throws {
            if index == nil {
                try file.put(values, variable: variable, start: vectorStart, count: vectorCount, name: name)
            } else {
                try file.put(values.map { Float($0) }, variable: variable, start: vectorStart, count: vectorCount, name: name)
            }
        }
        try file.put([frame.time], variable: variables.time, start: lead, count: one, name: "time")
        try putVector(frame.positions, variables.coordinates, "coordinates")
        if let v = frame.velocities, let id = variables.velocities {
            try putVector(v.map { $0 / Units.amberVelocityScale }, id, "velocities")
        }
        if let f = frame.forces, let id = variables.forces { try putVector(f, id, "forces") }
        if let box = frame.box, let lengths = variables.cellLengths, let angles = variables.cellAngles {
            try file.put([box.lengths.x, box.lengths.y, box.lengths.z], variable: lengths, start: lead + [0], count: one + [3], name: "cell_lengths")
            try file.put([box.angles.x, box.angles.y, box.angles.z], variable: angles, start: lead + [0], count: one + [3], name: "cell_angles")
        }
    }
}

extension AmberNetCDF.Contents: CustomStringConvertible {
    public var description: String {
        let parts = ["coordinates"] + (velocities ? ["velocities"] : []) + (forces ? ["forces"] : []) + (box ? ["box"] : [])
        return parts.joined(separator: ", ")
    }
}
