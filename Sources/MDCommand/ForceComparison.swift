import Equivariant
import Foundation
import MDCore

/// The paper's force metrics (Equivariant.ForceMetrics) of trajectory A's forces against B's, frame
/// pair by frame pair, for frames that are the same structure: both files must store forces and the
/// coordinates must agree within `tolerance` (a learned model's forces evaluated on the reference
/// trajectory's frames, e.g. with `md energy --write-forces`). Metrics are averaged over frames.
struct ForceComparison {
    /// Å; float coordinates written by two programs agree to ~1e-5.
    static let tolerance = 1e-3

    struct FrameMetrics: Encodable {
        var frame: Int
        var time: Double
        /// kcal/mol/Å.
        var protein: ForceMetrics?
        var all: ForceMetrics
    }

    struct Mismatch: Encodable {
        var frameA: Int
        var frameB: Int
        /// Largest coordinate difference, Å.
        var maxCoordinateDifference: Double
    }

    struct Averages: Encodable {
        var kcalPerMolPerAngstrom: ForceMetrics
        var meVPerAngstrom: ForceMetrics
    }

    struct Result: Encodable {
        var status: String
        var framePairs: Int
        var framesCompared: Int
        var framesWithDifferentCoordinates: Int
        var firstMismatch: Mismatch?
        var protein: Averages?
        var all: Averages?
        var perFrame: [FrameMetrics]
        var markdown: String

        enum CodingKeys: String, CodingKey {
            case status, framePairs, framesCompared, framesWithDifferentCoordinates, firstMismatch, protein, all, perFrame
        }
    }

    let protein: [Int]
    private var pairs = 0
    private var missing = [0, 0]
    private var mismatched = 0
    private var firstMismatch: Mismatch?
    private var perFrame: [FrameMetrics] = []

    init(protein: [Int]) { self.protein = protein }

    mutating func add(_ a: Frame, _ b: Frame, frameA: Int, frameB: Int) {
        pairs += 1
        if a.forces == nil { missing[0] += 1 }
        if b.forces == nil { missing[1] += 1 }
        guard let fa = a.forces, let fb = b.forces else { return }
        var difference = 0.0
        for k in 0..<a.positions.count { difference = max(difference, abs(a.positions[k] - b.positions[k])) }
        guard difference <= Self.tolerance else {
            mismatched += 1
            if firstMismatch == nil { firstMismatch = Mismatch(frameA: frameA, frameB: frameB, maxCoordinateDifference: difference) }
            return
        }
        perFrame.append(FrameMetrics(frame: frameA, time: a.time,
                                     protein: protein.isEmpty ? nil : ForceMetrics(predicted: fa, target: fb, atoms: protein),
                                     all: ForceMetrics(predicted: fa, target: fb)))
    }

    /// Field-by-field mean over frames (NaN Pearson values, from frames with constant magnitudes, left out).
    static func mean(_ metrics: [ForceMetrics]) -> ForceMetrics? {
        guard var m = metrics.first else { return nil }
        let n = Double(metrics.count)
        m.tensor = metrics.map(\.tensor).reduce(0, +) / n
        m.magnitude = metrics.map(\.magnitude).reduce(0, +) / n
        m.angle = metrics.map(\.angle).reduce(0, +) / n
        m.relativeTensor = metrics.map(\.relativeTensor).reduce(0, +) / n
        let pearson = metrics.map(\.pearson).filter { $0.isFinite }
        m.pearson = pearson.isEmpty ? .nan : pearson.reduce(0, +) / Double(pearson.count)
        return m
    }

    func result(sources: [FrameSource]) -> Result {
        let names = sources.map { URL(fileURLWithPath: $0.path).lastPathComponent }
        let status: String
        if pairs == 0 {
            status = "no frame pairs to compare"
        } else if missing[0] == pairs || missing[1] == pairs {
            let without = zip(["A (\(names[0]))", "B (\(names[1]))"], missing).filter { $0.1 == pairs }.map(\.0)
            status = "no force comparison: " + without.joined(separator: " and ") + (without.count == 1 ? " stores" : " store")
                + " no forces (both files need them, e.g. md simulate --save-forces or md energy --write-forces)"
        } else if perFrame.isEmpty, let m = firstMismatch {
            status = "no force comparison: it needs matching frames, and frame \(m.frameA) of A and frame \(m.frameB) of B differ by up to "
                + String(format: "%.3g", m.maxCoordinateDifference) + " Å (tolerance \(Self.tolerance) Å); evaluate both force fields on the same frames"
        } else {
            var text = "A's forces against B's as the target, averaged over \(perFrame.count) frame pair\(perFrame.count == 1 ? "" : "s") with matching coordinates"
            if mismatched > 0 { text += "; \(mismatched) pair(s) with different coordinates left out" }
            let unpaired = missing[0] + missing[1]
            if unpaired > 0 { text += "; \(pairs - perFrame.count - mismatched) pair(s) without forces in one file left out" }
            if sources[0].frameCount != sources[1].frameCount {
                text += "; A has \(sources[0].frameCount) frames and B \(sources[1].frameCount): frames are paired by index"
            }
            status = text
        }
        func averages(_ metrics: [ForceMetrics]) -> Averages? {
            Self.mean(metrics).map { Averages(kcalPerMolPerAngstrom: $0, meVPerAngstrom: $0.inMeVPerAngstrom) }
        }
        let proteinAverages = averages(perFrame.compactMap(\.protein)), allAverages = averages(perFrame.map(\.all))
        var markdown = "## Forces\n\n" + status.prefix(1).uppercased() + status.dropFirst() + "."
        let columns = [("protein atoms", proteinAverages), ("all atoms", allAverages)].compactMap { name, a in a.map { (name, $0) } }
        if !columns.isEmpty {
            func cell(_ f: (ForceMetrics) -> Double, _ unit: Bool) -> [String] {
                columns.map { _, a in
                    unit ? String(format: "%.2f meV/Å (%.4f kcal/mol/Å)", f(a.meVPerAngstrom), f(a.kcalPerMolPerAngstrom))
                         : String(format: "%.3f", f(a.kcalPerMolPerAngstrom))
                }
            }
            let header = ["metric"] + columns.map { "\($0.0) (\($0.1.kcalPerMolPerAngstrom.count))" }
            let rows: [(String, [String])] = [
                ("tensor error", cell(\.tensor, true)),
                ("magnitude error", cell(\.magnitude, true)),
                ("angle (°)", columns.map { String(format: "%.2f", $0.1.kcalPerMolPerAngstrom.angle) }),
                ("Pearson r of magnitudes", cell(\.pearson, false)),
                ("relative tensor error", cell(\.relativeTensor, false)),
            ]
            func line(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }
            markdown += "\n\n" + ([line(header), line(header.map { _ in "---" })] + rows.map { line([$0.0] + $0.1) }).joined(separator: "\n")
        }
        return Result(status: status, framePairs: pairs, framesCompared: perFrame.count, framesWithDifferentCoordinates: mismatched,
                      firstMismatch: firstMismatch, protein: proteinAverages, all: allAverages, perFrame: perFrame, markdown: markdown)
    }
}
