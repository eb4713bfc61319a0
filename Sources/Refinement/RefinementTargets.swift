import Analysis
import Foundation
import MDCore

/// Refinement targets of one candidate structure against its solution: the matched atoms, their
/// Algorithm 1 vectors, the match bookkeeping and summary figures; written as JSON or CSV.
public struct RefinementTargets: Sendable {
    public var match: StructureMatch
    public var neighbors: Int
    public var result: RefinementVectors.Result
    public var summary: Summary

    public struct Summary: Codable, Equatable, Sendable {
        public var matched: Int
        /// Atoms per neighbourhood, the atom included: min(k, matched).
        public var neighborhoodSize: Int
        /// Mean, root-mean-square and largest |v| over matched atoms, Å.
        public var meanVectorLength: Double
        public var rmsVectorLength: Double
        public var maxVectorLength: Double
        /// The atom with the largest |v| (`AtomKey.description`).
        public var maxVectorAtom: String?
        /// Mean RMSD of the per-atom local superpositions, Å.
        public var meanLocalRMSD: Double
        /// All-atom RMSD over the matched atoms after one global optimal superposition, Å.
        public var globalRMSD: Double
    }

    public init(match: StructureMatch, neighbors: Int = RefinementVectors.defaultNeighbors, threads: Int = 2) {
        self.match = match
        self.neighbors = neighbors
        result = RefinementVectors.compute(candidate: match.candidatePositions, solution: match.solutionPositions,
                                           neighbors: neighbors, threads: threads)
        let lengths = result.vectors.map { ($0 * $0).sum().squareRoot() }
        let n = Double(max(lengths.count, 1))
        let top = lengths.indices.max { lengths[$0] < lengths[$1] }
        summary = Summary(matched: match.atoms.count, neighborhoodSize: result.neighborhoodSize,
                          meanVectorLength: lengths.reduce(0, +) / n,
                          rmsVectorLength: (lengths.reduce(0) { $0 + $1 * $1 } / n).squareRoot(),
                          maxVectorLength: lengths.max() ?? 0, maxVectorAtom: top.map { match.atoms[$0].key.description },
                          meanLocalRMSD: result.localRMSD.reduce(0, +) / n,
                          globalRMSD: Superposition(fitting: match.solutionPositions, onto: match.candidatePositions).rmsd)
    }

    public static let format = "md-refinement-targets 1"

    /// How the vectors are defined, written into every file.
    public var definition: Definition {
        Definition(neighbors: neighbors,
                   neighborhood: "N(a): atom a and its \(neighbors - 1) nearest other matched atoms of the candidate (ties by candidate file order)",
                   alignment: "T_a: optimal rigid superposition (proper rotation + translation, unweighted) of the solution's N(a) atoms onto the candidate's",
                   vector: "v_a = p_candidate(a) - T_a(p_solution(a)) (Townshend et al. 2020, Algorithm 1); the candidate atom moves onto the locally aligned solution by -v_a",
                   units: "angstrom")
    }

    public struct Definition: Codable, Equatable, Sendable {
        public var neighbors: Int
        public var neighborhood: String
        public var alignment: String
        public var vector: String
        public var units: String
    }

    /// The statistics without the atoms (what `md refine --json` prints).
    public struct Report: Codable, Sendable {
        public var format: String
        public var candidate: String
        public var solution: String
        public var definition: Definition
        public var matching: MatchStatistics
        public var summary: Summary
        public var targets: String?
    }

    public func report(targets: String? = nil) -> Report {
        Report(format: RefinementTargets.format, candidate: match.statistics.candidate.file, solution: match.statistics.solution.file,
               definition: definition, matching: match.statistics, summary: summary, targets: targets)
    }

    struct AtomRow: Codable {
        var chain: String
        var residue: String
        var residueName: String
        var name: String
        var element: String
        var candidateSerial: Int
        var solutionSerial: Int
        var position: [Double]
        var vector: [Double]
        var length: Double
        var localRMSD: Double
    }

    struct File: Codable {
        var report: Report
        var atoms: [AtomRow]
    }

    private func rows() -> [AtomRow] {
        match.atoms.indices.map { i in
            let a = match.atoms[i], p = match.candidatePositions[i], v = result.vectors[i]
            return AtomRow(chain: a.key.chain, residue: a.key.residue, residueName: a.key.residueName, name: a.key.name,
                           element: a.element?.symbol ?? "", candidateSerial: a.candidateSerial, solutionSerial: a.solutionSerial,
                           position: [p.x, p.y, p.z], vector: [v.x, v.y, v.z], length: (v * v).sum().squareRoot(),
                           localRMSD: result.localRMSD[i])
        }
    }

    /// One JSON object: `report` (as `md refine --json` prints it) and `atoms`, one object per matched
    /// atom in candidate file order (sorted keys; numbers as Swift prints them, shortest round-trip).
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(File(report: report(), atoms: rows())))
    }

    /// CSV, one row per matched atom after a header; the report first as '#' comment lines
    /// (pandas: `read_csv(path, comment="#")`). Coordinates and vectors with 6 decimals (Å).
    public func csv() -> [UInt8] {
        var lines: [String] = ["# \(RefinementTargets.format)"]
        let d = definition
        lines += ["# \(d.neighborhood)", "# \(d.alignment)", "# \(d.vector)"]
        lines += RefinementTargets.statisticsLines(match.statistics, summary).map { "# " + $0 }
        lines.append("chain,residue,residue_name,atom_name,element,candidate_serial,solution_serial,x,y,z,vx,vy,vz,length,local_rmsd")
        for r in rows() {
            let numbers = (r.position + r.vector + [r.length, r.localRMSD]).map { String(format: "%.6f", $0) }
            lines.append(([r.chain, r.residue, r.residueName, r.name, r.element].map(RefinementTargets.csvField)
                          + [String(r.candidateSerial), String(r.solutionSerial)] + numbers).joined(separator: ","))
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// Quoted when it holds a comma, quote or blank (atom names like O5' need none).
    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == " " }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// The match and summary in a few human lines (the CSV header and `md refine`'s text output).
    public static func statisticsLines(_ m: MatchStatistics, _ s: Summary) -> [String] {
        matchLines(m) + [
            String(format: "mean |v|: %.4f A (RMS %.4f, max %.4f at ", s.meanVectorLength, s.rmsVectorLength, s.maxVectorLength)
                + (s.maxVectorAtom ?? "-") + String(format: "); mean local RMSD %.4f A", s.meanLocalRMSD),
            String(format: "global RMSD: %.4f A (matched atoms, one optimal superposition)", s.globalRMSD),
        ]
    }

    /// Matched and skipped atoms per file, in three lines.
    public static func matchLines(_ m: MatchStatistics) -> [String] {
        func skipped(_ side: MatchSide) -> String {
            let parts = SkipReason.allCases.compactMap { reason -> String? in
                let n = side.skipped(reason)
                guard n > 0 else { return nil }
                let examples = side.examples[reason.rawValue] ?? []
                return "\(reason.label) \(n)" + (examples.isEmpty ? "" : " (e.g. \(examples.joined(separator: " ")))")
            }
            let alt = side.alternateLocationsDropped > 0 ? "; \(side.alternateLocationsDropped) alternate-location records dropped" : ""
            return (parts.isEmpty ? "none" : parts.joined(separator: ", ")) + alt
        }
        func models(_ side: MatchSide) -> String {
            "\(side.file): \(side.records) atom records" + (side.models > 1 ? " in model 1 of \(side.models)" : "")
        }
        return [
            "matched: \(m.matched) atoms by (chain, residue number + insertion code, residue name, atom name)"
                + (m.hydrogensIncluded ? ", hydrogens included" : ", hydrogens ignored"),
            "candidate: \(models(m.candidate)); skipped: \(skipped(m.candidate))",
            "solution: \(models(m.solution)); skipped: \(skipped(m.solution))",
        ]
    }
}
