import AmberIO
import Foundation
import MDCore

/// Reference trajectories with forces, grouped by system and split by system (never by frame):
/// read from a manifest (`trajectories/dataset.json`, format "md-dataset 1") or made from
/// prmtop + trajectory pairs.
public struct ForceDataset {
    public struct Trajectory: Codable, Sendable {
        public var path: String
        /// "thermal" or "minimized" (what the frames are), free text otherwise.
        public var kind: String
        public var frames: Int?
    }
    public struct System: Codable, Sendable {
        public var id: String
        public var split: String
        public var prmtop: String
        public var trajectories: [Trajectory]
    }
    private struct Manifest: Codable {
        var proteins: [System]
    }

    public var systems: [System]
    /// Where paths are resolved from.
    public var directory: String

    public init(systems: [System], directory: String) { self.systems = systems; self.directory = directory }

    public static let format = "md-dataset 1"

    public static func load(manifest path: String) throws -> ForceDataset {
        let manifest = try DatasetManifest.decode(Manifest.self, from: path, format: format)
        return ForceDataset(systems: manifest.proteins, directory: (path as NSString).deletingLastPathComponent)
    }

    public func resolve(_ relative: String) -> String { DatasetManifest.resolve(relative, directory: directory) }

    /// The systems of one split ("train", "validation", "test").
    public func split(_ name: String) -> ForceDataset {
        ForceDataset(systems: systems.filter { $0.split == name }, directory: directory)
    }

    /// Only trajectories of the given kinds.
    public func kinds(_ kinds: Set<String>) -> ForceDataset {
        var copy = self
        copy.systems = systems.map { s in var s = s; s.trajectories = s.trajectories.filter { kinds.contains($0.kind) }; return s }
        return copy
    }

    /// Every frame with forces, with its system's prmtop read once; `frameLimit` caps frames per trajectory.
    public func frames(frameLimit: Int? = nil, _ body: (ForceFrame) throws -> Void) throws {
        for system in systems {
            let prmtopPath = resolve(system.prmtop)
            let prmtop = try Prmtop(contentsOf: prmtopPath)
            let topology = prmtop.topology
            for trajectory in system.trajectories {
                let path = resolve(trajectory.path)
                let reader = try AmberNetCDFReader(path)
                defer { reader.close() }
                guard reader.atomCount == prmtop.atomCount else {
                    throw FileFormatError(file: path, "has \(reader.atomCount) atoms, its prmtop \(prmtopPath) has \(prmtop.atomCount)")
                }
                guard reader.contents.forces else { throw FileFormatError(file: path, "has no forces (write them with md simulate --save-forces)") }
                for index in 0..<min(reader.frameCount, frameLimit ?? .max) {
                    let frame = try reader.frame(index)
                    try body(ForceFrame(system: system.id, kind: trajectory.kind, source: "\(path):\(index)", frame: frame,
                                        elements: prmtop.elements, topology: topology, prmtop: prmtop))
                }
            }
        }
    }
}

/// One reference frame: positions, box and forces with the system's elements and topology.
public struct ForceFrame {
    public var system: String
    public var kind: String
    /// "FILE.nc:INDEX", for messages and reports.
    public var source: String
    public var frame: Frame
    public var elements: [Element]
    public var topology: Topology
    /// The system's force field, for a model's prior (nil where the frame was made without one).
    public var prmtop: Prmtop?

    public init(system: String, kind: String, source: String, frame: Frame, elements: [Element], topology: Topology, prmtop: Prmtop? = nil) {
        self.system = system; self.kind = kind; self.source = source
        self.frame = frame; self.elements = elements; self.topology = topology; self.prmtop = prmtop
    }
}
