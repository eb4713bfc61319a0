import Foundation

/// A model's predicted refinement vectors for one structure as given (what `md refine --model
/// --vectors` writes): per matched heavy atom its position and predicted v, and, when a solution is
/// known, Algorithm 1's v beside it, so the field can be drawn over the structure (the paper's
/// Figure 4) or scored atom by atom.
public struct RefinementPredictions: Sendable {
    public var match: StructureMatch
    /// The model's file name and order, as reports name it.
    public var model: String
    public var order: Int
    /// Flat predicted vectors (Å), three per matched atom; an order-0 model's lengths, one per atom.
    public var predicted: [Double]
    /// Algorithm 1's vectors against the solution; nil without one.
    public var targets: [SIMD3<Double>]?

    public init(match: StructureMatch, model: String, order: Int, predicted: [Double], targets: [SIMD3<Double>]?) {
        precondition(predicted.count == (order == 0 ? 1 : 3) * match.atoms.count && (targets?.count ?? match.atoms.count) == match.atoms.count,
                     "RefinementPredictions: one vector per matched atom")
        self.match = match; self.model = model; self.order = order; self.predicted = predicted; self.targets = targets
    }

    public static let format = "md-refinement-predictions 1"

    public struct Report: Codable, Sendable {
        public var format: String
        public var candidate: String
        public var solution: String?
        public var model: String
        public var order: Int
        public var atoms: Int
        public var vector: String
        public var units: String
    }

    public var report: Report {
        Report(format: Self.format, candidate: match.statistics.candidate.file, solution: targets == nil ? nil : match.statistics.solution.file,
               model: model, order: order, atoms: match.atoms.count,
               vector: (order == 0 ? "predicted |v_a| (an order-0 model: lengths only)" : "predicted v_a")
                   + " for the structure as given: Algorithm 1's v_a points from the locally aligned solution to the atom, which refining moves by -step * v_a",
               units: "angstrom")
    }

    struct AtomRow: Codable {
        var chain: String
        var residue: String
        var residueName: String
        var name: String
        var element: String
        var serial: Int
        var position: [Double]
        var predicted: [Double]?
        var predictedLength: Double
        var target: [Double]?
        var targetLength: Double?
    }

    struct File: Codable {
        var report: Report
        var atoms: [AtomRow]
    }

    private func rows() -> [AtomRow] {
        match.atoms.indices.map { i in
            let a = match.atoms[i], p = match.candidatePositions[i], t = targets?[i]
            let v = order == 0 ? nil : SIMD3(predicted[3 * i], predicted[3 * i + 1], predicted[3 * i + 2])
            return AtomRow(chain: a.key.chain, residue: a.key.residue, residueName: a.key.residueName, name: a.key.name,
                           element: a.element?.symbol ?? "", serial: a.candidateSerial, position: [p.x, p.y, p.z],
                           predicted: v.map { [$0.x, $0.y, $0.z] }, predictedLength: v.map { ($0 * $0).sum().squareRoot() } ?? predicted[i],
                           target: t.map { [$0.x, $0.y, $0.z] }, targetLength: t.map { ($0 * $0).sum().squareRoot() })
        }
    }

    /// One JSON object: `report` and `atoms` in candidate file order (sorted keys).
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(File(report: report, atoms: rows())))
    }

    /// CSV after '#' lines that say what it holds; the target columns only with a solution.
    public func csv() -> [UInt8] {
        let r = report
        var lines = ["# \(r.format)", "# candidate: \(r.candidate)", "# model: \(r.model) (order \(r.order))", "# \(r.vector); \(r.units)"]
        if let solution = r.solution { lines.append("# target: Algorithm 1 against \(solution) (50-atom neighbourhoods)") }
        lines.append("chain,residue,residue_name,atom_name,element,serial,x,y,z," + (order == 0 ? "" : "px,py,pz,") + "predicted_length"
                     + (targets == nil ? "" : ",vx,vy,vz,target_length"))
        for row in rows() {
            let numbers = (row.position + (row.predicted ?? []) + [row.predictedLength] + (row.target ?? []) + (row.targetLength.map { [$0] } ?? []))
                .map { String(format: "%.6f", $0) }
            lines.append(([row.chain, row.residue, row.residueName, row.name, row.element].map(RefinementTargets.csvField)
                          + [String(row.serial)] + numbers).joined(separator: ","))
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }
}
