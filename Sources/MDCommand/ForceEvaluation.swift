import Analysis
import Equivariant
import Foundation
import LearnedFF
import MDCore

/// The paper's Table 1 and Figure 3 (Townshend et al. 2020, §4.3) for trained force models on
/// reference frames, or its Table 2 and Figure 5 (§4.4) for refinement models on candidate
/// structures: every atom's reference vector and each model's prediction, pooled over frames,
/// summarised per frame kind and per atom set (protein atoms, the paper's metric atoms; all atoms),
/// beside the naive baselines. Forces are kcal/mol/Å inside and shown in meV/Å with kcal/mol/Å
/// beside; refinement vectors are Å throughout.
struct ForceEvaluation {
    struct Model: Encodable {
        var file: String
        /// File name and order, as tables name it.
        var label: String
        var order: Int
        var learnedAtoms: String
        var elements: [String]
        var parameters: Int
        /// False for order 0, which predicts magnitudes only (placed along the reference direction), so
        /// only its magnitude error and Pearson r mean anything.
        var predictsVectors: Bool
        /// Radial functions that also see each edge's separation along the chain (md's refinement option).
        var sequenceSeparation: Bool
        /// "force" or "refinement".
        var target: String
    }

    /// One evaluated frame: all atoms' reference forces and each model's predictions (flat, kcal/mol/Å).
    struct Record {
        var source: String
        var system: String
        var kind: String
        /// The frame's index in its file.
        var index: Int
        var time: Double
        var target: [Double]
        var protein: [Int]
        var predicted: [[Double]]
        /// Uniformly random unit vectors: the random-direction baseline.
        var random: [Double]
    }

    enum AtomSet: String, CaseIterable {
        case protein, all

        var title: String { self == .protein ? "Protein atoms" : "All atoms" }
    }

    /// A vector figure: a force in both units, or a refinement length in Å; `shown` is what tables print.
    struct Value: Encodable, Equatable {
        var kcalPerMolPerAngstrom: Double?
        var meVPerAngstrom: Double?
        var angstrom: Double?

        init(_ native: Double, _ target: PredictionTarget) {
            switch target {
            case .force:
                kcalPerMolPerAngstrom = native
                meVPerAngstrom = native * Units.meVPerKcalPerMol
            case .refinement:
                angstrom = native
            }
        }

        var shown: Double { meVPerAngstrom ?? angstrom! }
    }

    /// One line of Table 1. Metrics that mean nothing for the predictor are absent (a baseline gives
    /// the one it stands for; order 0 gives magnitude and Pearson r).
    struct Row: Encodable {
        var predictor: String
        var baseline: Bool
        var magnitude: Value?
        var angle: Double?
        var tensor: Value?
        var pearson: Double?
        var relativeTensor: Double?
    }

    /// Table 1 for one atom set of some frames.
    struct Table: Encodable {
        /// Atoms counted, summed over frames.
        var atoms: Int
        /// Mean |F| of the reference forces.
        var meanMagnitude: Value
        var rows: [Row]
    }

    /// The frames of one kind ("all" for every frame).
    struct Group: Encodable {
        var kind: String
        var frames: Int
        var systems: [String]
        var protein: Table?
        var all: Table
    }

    /// Table 1 of one frame (forces along a trajectory).
    struct FrameTables: Encodable {
        var frame: Int
        var source: String
        var time: Double
        var protein: Table?
        var all: Table
    }

    static let baselineNames = ["mean magnitude", "random direction", "zero vector"]
    /// The kind of every frame of a single trajectory (not a dataset's thermal or minimized).
    static let trajectoryKind = "trajectory"

    let models: [Model]
    let seed: UInt64
    /// Forces or refinement vectors: the units and words of tables and figures.
    let target: PredictionTarget
    private var random: SplitMix64
    private(set) var records: [Record] = []

    init(models: [Model], seed: UInt64, target: PredictionTarget = .force) {
        self.models = models
        self.seed = seed
        self.target = target
        random = SplitMix64(seed: seed)
    }

    /// The unit tables and figures show, the vector's symbol and the number format.
    var unit: String { target == .force ? "meV/Å" : "Å" }
    var symbol: String { target == .force ? "F" : "v" }
    var format: String { target == .force ? "%.1f" : "%.3f" }
    func shown(_ native: Double) -> Double { Value(native, self.target).shown }

    /// Adds a frame; `predicted[m]` is model m's forces on every atom.
    mutating func add(source: String, system: String, kind: String, index: Int, time: Double,
                      target: [Double], protein: [Int], predicted: [[Double]]) {
        precondition(predicted.count == models.count && predicted.allSatisfy { $0.count == target.count })
        var directions = [Double](repeating: 0, count: target.count)
        for i in 0..<(target.count / 3) {
            let z = Double.random(in: -1...1, using: &random), phi = Double.random(in: 0..<(2 * Double.pi), using: &random)
            let rho = max(0, 1 - z * z).squareRoot()
            directions[3 * i] = rho * cos(phi)
            directions[3 * i + 1] = rho * sin(phi)
            directions[3 * i + 2] = z
        }
        records.append(Record(source: source, system: system, kind: kind, index: index, time: time, target: target,
                              protein: protein, predicted: predicted, random: directions))
    }

    var kinds: [String] { Array(Set(records.map(\.kind))).sorted() }

    /// Every frame ("all"), then each kind when there is more than one.
    var groups: [Group] {
        let kinds = self.kinds
        let selections: [(String, [Record])] = [("all", records)] + (kinds.count > 1 ? kinds.map { k in (k, records.filter { $0.kind == k }) } : [])
        return selections.compactMap { kind, records in
            guard let all = table(records, .all) else { return nil }
            return Group(kind: kind, frames: records.count, systems: Array(Set(records.map(\.system))).sorted(),
                         protein: table(records, .protein), all: all)
        }
    }

    var perFrame: [FrameTables] {
        records.compactMap { r in
            table([r], .all).map { FrameTables(frame: r.index, source: r.source, time: r.time, protein: table([r], .protein), all: $0) }
        }
    }

    /// Protein atoms when there are any (the paper's), else all atoms: the set figures show.
    var primarySet: AtomSet { records.contains { !$0.protein.isEmpty } ? .protein : .all }

    private func atoms(_ record: Record, _ set: AtomSet) -> [Int] {
        set == .protein ? record.protein : Array(0..<(record.target.count / 3))
    }

    /// The selected atoms' vectors of all records, concatenated: targets, each model's predictions, random directions.
    private func pooled(_ records: [Record], _ set: AtomSet) -> (target: [Double], predicted: [[Double]], random: [Double]) {
        var target: [Double] = [], random: [Double] = []
        var predicted = models.map { _ in [Double]() }
        for r in records {
            for i in atoms(r, set) {
                target += r.target[(3 * i)..<(3 * i + 3)]
                random += r.random[(3 * i)..<(3 * i + 3)]
                for m in models.indices { predicted[m] += r.predicted[m][(3 * i)..<(3 * i + 3)] }
            }
        }
        return (target, predicted, random)
    }

    static func norm(_ v: [Double], _ i: Int) -> Double {
        (v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2]).squareRoot()
    }

    /// The angle between atom i's vectors in degrees, 90 when either is zero (as `ForceMetrics` counts it).
    static func angle(_ p: [Double], _ t: [Double], _ i: Int) -> Double {
        let (np, nt) = (norm(p, i), norm(t, i))
        guard np > 0 && nt > 0 else { return 90 }
        let dot = p[3 * i] * t[3 * i] + p[3 * i + 1] * t[3 * i + 1] + p[3 * i + 2] * t[3 * i + 2]
        return acos(max(-1, min(1, dot / (np * nt)))) * 180 / .pi
    }

    func table(_ records: [Record], _ set: AtomSet) -> Table? {
        let (target, predicted, random) = pooled(records, set)
        let n = target.count / 3
        guard n > 0 else { return nil }
        let magnitudes = (0..<n).map { Self.norm(target, $0) }
        let mean = magnitudes.reduce(0, +) / Double(n)
        func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
        var rows: [Row] = zip(models, predicted).map { model, p in
            let m = ForceMetrics(predicted: p, target: target)
            guard model.predictsVectors else {
                return Row(predictor: model.label, baseline: false, magnitude: Value(m.magnitude, self.target), pearson: finite(m.pearson))
            }
            return Row(predictor: model.label, baseline: false, magnitude: Value(m.magnitude, self.target), angle: m.angle, tensor: Value(m.tensor, self.target),
                       pearson: finite(m.pearson), relativeTensor: finite(m.relativeTensor))
        }
        // Mean magnitude: the mean |F| along each reference direction, so only the magnitude counts.
        var meanVectors = [Double](repeating: 0, count: target.count)
        for i in 0..<n where magnitudes[i] > 0 {
            for a in 0..<3 { meanVectors[3 * i + a] = mean * target[3 * i + a] / magnitudes[i] }
        }
        let meanMetrics = ForceMetrics(predicted: meanVectors, target: target)
        let randomMetrics = ForceMetrics(predicted: random, target: target)
        let zeroMetrics = ForceMetrics(predicted: [Double](repeating: 0, count: target.count), target: target)
        rows += [
            Row(predictor: Self.baselineNames[0], baseline: true, magnitude: Value(meanMetrics.magnitude, self.target)),
            Row(predictor: Self.baselineNames[1], baseline: true, angle: randomMetrics.angle),
            Row(predictor: Self.baselineNames[2], baseline: true, tensor: Value(zeroMetrics.tensor, self.target), relativeTensor: finite(zeroMetrics.relativeTensor)),
        ]
        return Table(atoms: n, meanMagnitude: Value(mean, self.target), rows: rows)
    }

    // MARK: Markdown

    static func line(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }

    func markdown(_ table: Table) -> String {
        let header = ["predictor", "magnitude (\(unit))", "angle (°)", "tensor (\(unit))", "Pearson r", "relative tensor error"]
        func f(_ x: Double?, _ format: String) -> String { x.map { String(format: format, $0) } ?? "—" }
        let rows = table.rows.map { r in
            Self.line([r.baseline ? "*\(r.predictor)*" : "`\(r.predictor)`", f(r.magnitude?.shown, format), f(r.angle, "%.1f"),
                       f(r.tensor?.shown, format), f(r.pearson, "%.3f"), f(r.relativeTensor, "%.3f")])
        }
        return ([Self.line(header), Self.line(header.map { _ in "---" })] + rows).joined(separator: "\n")
    }

    /// The Table 1 sections: every frame, then each kind; protein atoms and all atoms in each.
    func tablesMarkdown(_ groups: [Group]) -> String {
        var sections: [String] = []
        for group in groups {
            let kinds = Dictionary(grouping: records.filter { group.kind == "all" || $0.kind == group.kind }, by: \.kind)
                .map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
            // Refinement candidates are one kind of structure: no breakdown by kind.
            let noun = target == .force ? "frame" : "candidate"
            let frames = "\(group.frames) \(noun)\(group.frames == 1 ? "" : "s")"
            let breakdown = self.kinds == [Self.trajectoryKind] || target == .refinement ? "" : ": \(kinds)"
            sections.append(group.kind == "all" ? "## All \(noun)s (\(frames)\(breakdown))" : "## \(group.kind) \(noun)s (\(frames))")
            for (set, table) in [(AtomSet.protein, group.protein), (.all, group.all)] {
                guard let table else { continue }
                let mean = target == .force
                    ? String(format: "%.1f meV/Å = %.3f kcal/mol/Å", table.meanMagnitude.shown, table.meanMagnitude.kcalPerMolPerAngstrom!)
                    : String(format: "%.3f Å", table.meanMagnitude.shown)
                sections.append("### \(set.title) (\(table.atoms) atoms summed over \(noun)s; mean |\(symbol)| \(mean))\n\n" + markdown(table))
            }
        }
        return sections.joined(separator: "\n\n")
    }

    /// Forces along a trajectory: one table per model, one row per frame, on the primary atom set.
    func perFrameMarkdown(_ frames: [FrameTables]) -> String {
        let set = primarySet
        var sections = ["## Per frame (\(set.title.lowercased()))"]
        for (m, model) in models.enumerated() {
            let header = ["frame", "time (ps)", "mean \(target.noun) (\(unit))", "magnitude (\(unit))", "angle (°)", "tensor (\(unit))", "Pearson r", "relative tensor error"]
            func f(_ x: Double?, _ format: String) -> String { x.map { String(format: format, $0) } ?? "—" }
            let rows = frames.compactMap { frame -> String? in
                guard let table = set == .protein ? frame.protein : frame.all else { return nil }
                let r = table.rows[m]
                return Self.line(["\(frame.frame)", String(format: "%.3f", frame.time), f(table.meanMagnitude.shown, format),
                                  f(r.magnitude?.shown, format), f(r.angle, "%.1f"), f(r.tensor?.shown, format),
                                  f(r.pearson, "%.3f"), f(r.relativeTensor, "%.3f")])
            }
            sections.append("### `\(model.label)`\n\n" + ([Self.line(header), Self.line(header.map { _ in "---" })] + rows).joined(separator: "\n"))
        }
        return sections.joined(separator: "\n\n")
    }

    // MARK: Figures

    /// Figure 3's panels on the primary atom set over every frame: true against predicted magnitude
    /// (a subsampled scatter with y = x), the histogram of angle errors, and the mean angle error
    /// against the true magnitude (in bins of equal atom counts). Order-0 models appear only in the first.
    func figures(maxPoints: Int = 3000, bins: Int = 20) -> [(name: String, plot: SVGPlot)] {
        let set = primarySet
        let (target, predicted, _) = pooled(records, set)
        let n = target.count / 3
        let trueMagnitude = (0..<n).map { shown(Self.norm(target, $0)) }
        let where_ = "\(set.title.lowercased()), \(records.count) \(self.target == .force ? "frame" : "candidate")\(records.count == 1 ? "" : "s")"
        let step = max(1, (n + maxPoints - 1) / maxPoints)
        let sample = Array(stride(from: 0, to: n, by: step))
        var top = trueMagnitude.max() ?? 0
        var scatter: [SVGPlot.Series] = []
        for (model, p) in zip(models, predicted) {
            let y = sample.map { shown(Self.norm(p, $0)) }
            top = max(top, y.filter(\.isFinite).max() ?? 0)
            scatter.append(.init(name: model.label, x: sample.map { trueMagnitude[$0] }, y: y, style: .points))
        }
        scatter.insert(.init(name: "y = x", x: [0, top], y: [0, top], style: .reference), at: 0)
        let (noun, v) = (self.target.noun, "|\(symbol)| (\(unit))")
        let magnitude = SVGPlot(title: "True against predicted \(noun) magnitude (\(where_))",
                                xLabel: "true \(v)" + (step > 1 ? ", 1 atom in \(step) shown" : ""), yLabel: "predicted \(v)",
                                series: scatter)

        let vectorModels = zip(models, predicted).filter { $0.0.predictsVectors }
        let angles = vectorModels.map { _, p in (0..<n).map { Self.angle(p, target, $0) } }
        let width = 5.0, count = Int(180 / width)
        var histogram: [SVGPlot.Series] = [
            .histogram(name: "random direction", lower: 0, upper: 180,
                       values: (0..<count).map { k in (cos(Double(k) * width * .pi / 180) - cos(Double(k + 1) * width * .pi / 180)) / 2 })
        ]
        histogram[0].style = .reference
        for ((model, _), a) in zip(vectorModels, angles) {
            var values = [Double](repeating: 0, count: count)
            for x in a { values[min(count - 1, Int(x / width))] += 1 / Double(max(a.count, 1)) }
            histogram.append(.histogram(name: model.label, lower: 0, upper: 180, values: values))
        }
        let angle = SVGPlot(title: "Angle between predicted and true \(noun) (\(where_))", xLabel: "angle (°)",
                            yLabel: "fraction of atoms per 5°", series: histogram, yIncludesZero: true)

        // Bins of equal atom counts over the sorted true magnitudes: x is the bin's mean |F|.
        let order = (0..<n).sorted { trueMagnitude[$0] < trueMagnitude[$1] }
        let binCount = max(1, min(bins, n))
        let edges = (0...binCount).map { $0 * n / binCount }
        let binned = (0..<binCount).filter { edges[$0 + 1] > edges[$0] }.map { Array(order[edges[$0]..<edges[$0 + 1]]) }
        let centres = binned.map { b in b.map { trueMagnitude[$0] }.reduce(0, +) / Double(b.count) }
        var curves: [SVGPlot.Series] = centres.isEmpty ? [] : [.init(name: "random direction (90°)", x: [0, centres.last!], y: [90, 90], style: .reference)]
        for ((model, _), a) in zip(vectorModels, angles) {
            curves.append(.init(name: model.label, x: centres, y: binned.map { b in b.map { a[$0] }.reduce(0, +) / Double(b.count) }))
        }
        let angleVsMagnitude = SVGPlot(title: "Mean angle error against true \(noun) magnitude (\(where_))",
                                       xLabel: "true \(v): mean of each of \(binned.count) bins of equal atom counts", yLabel: "mean angle (°)",
                                       series: curves, yIncludesZero: true)
        return [("magnitude", magnitude), ("angle", angle), ("angle-vs-magnitude", angleVsMagnitude)]
    }

    /// Tensor error, angle and Pearson r of each model frame by frame (the primary atom set), with the
    /// zero-vector baseline (the mean |F|) beside the tensor error. Times when they increase, else frame indices.
    func timeFigures(_ perFrame: [FrameTables]) -> [(name: String, plot: SVGPlot)] {
        let set = primarySet
        let frames = perFrame.compactMap { f in (set == .protein ? f.protein : f.all).map { (f, $0) } }
        let times = frames.map(\.0.time)
        let increasing = zip(times, times.dropFirst()).allSatisfy { $0 < $1 }
        let x = increasing ? times : frames.map { Double($0.0.frame) }
        let xLabel = increasing ? "time (ps)" : "frame"
        let scope = set.title.lowercased()
        /// One line per model; order-0 models only where magnitudes suffice (Pearson r).
        func series(vectorsOnly: Bool = true, _ value: (Row) -> Double?) -> [SVGPlot.Series] {
            models.indices.filter { !vectorsOnly || models[$0].predictsVectors }.map { m in
                .init(name: models[m].label, x: x, y: frames.map { value($0.1.rows[m]) ?? .nan })
            }
        }
        var tensor = series { $0.tensor?.shown }
        tensor.append(.init(name: "zero vector (mean |\(symbol)|)", x: x, y: frames.map(\.1.meanMagnitude.shown), style: .reference))
        return [
            ("time-tensor", SVGPlot(title: "Tensor error along the trajectory (\(scope))", xLabel: xLabel, yLabel: "tensor error (\(unit))",
                                    series: tensor, yIncludesZero: true)),
            ("time-angle", SVGPlot(title: "Angle error along the trajectory (\(scope))", xLabel: xLabel, yLabel: "angle (°)",
                                   series: series(\.angle), yIncludesZero: true)),
            ("time-pearson", SVGPlot(title: "Pearson r of \(target.noun) magnitudes along the trajectory (\(scope))", xLabel: xLabel, yLabel: "Pearson r",
                                     series: series(vectorsOnly: false, \.pearson))),
        ]
    }
}
