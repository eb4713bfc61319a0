import AmberIO
import Foundation
import LearnedFF
import MDCore

/// Candidate structures with their experimental solutions, grouped by target and split by target
/// (never by candidate): the paper's refinement data (§4.4). Read from a manifest, format
/// "md-refinement-dataset 1" (`scripts/make_refinement_dataset.py` writes one for RNA-Puzzles):
///
///     {"format": "md-refinement-dataset 1",
///      "targets": [{"id": "rp01", "split": "train", "solution": "rp01/solution.pdb",
///                   "candidates": ["rp01/candidates/1_das_1_rpr.pdb", ...]}, ...]}
///
/// Paths are relative to the manifest's folder unless absolute.
public struct RefinementDataset: Sendable {
    public struct Target: Codable, Sendable {
        public var id: String
        public var split: String
        public var solution: String
        public var candidates: [String]
    }
    private struct Manifest: Codable {
        var targets: [Target]
    }

    public var targets: [Target]
    public var directory: String

    public static let format = "md-refinement-dataset 1"

    public init(targets: [Target], directory: String) { self.targets = targets; self.directory = directory }

    public static func load(manifest path: String) throws -> RefinementDataset {
        let manifest = try DatasetManifest.decode(Manifest.self, from: path, format: format)
        return RefinementDataset(targets: manifest.targets, directory: (path as NSString).deletingLastPathComponent)
    }

    public func resolve(_ relative: String) -> String { DatasetManifest.resolve(relative, directory: directory) }

    /// The targets of one split ("train", "validation", "test"), or all for "all".
    public func split(_ name: String) -> RefinementDataset {
        name == "all" ? self : RefinementDataset(targets: targets.filter { $0.split == name }, directory: directory)
    }

    /// Every candidate matched to its target's solution (each solution read once) with its Algorithm 1
    /// vectors; `limit` caps candidates per target (the first in manifest order).
    public func samples(limit: Int? = nil, neighbors: Int = RefinementVectors.defaultNeighbors, threads: Int = 2,
                        _ body: (RefinementSample) throws -> Void) throws {
        for target in targets {
            let solutionPath = resolve(target.solution)
            let solution = try StructureMatch.readPDB(solutionPath)
            for relative in target.candidates.prefix(limit ?? .max) {
                let path = resolve(relative)
                let match = StructureMatch(candidate: try StructureMatch.readPDB(path), candidatePath: path,
                                           solution: solution, solutionPath: solutionPath)
                try body(try RefinementSample(target: target.id, match: match, neighbors: neighbors, threads: threads))
            }
        }
    }
}
