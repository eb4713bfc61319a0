import Foundation

/// Two trajectories of one system side by side: the summary table in Markdown, and the plots that go
/// with it (RMSD, Rg, bond and angle deviation histograms, O–O g(r), temperature) as SVG documents.
public struct ComparisonReport: Sendable {
    public var system: String
    /// What RMSD is measured against, in words.
    public var reference: String
    public var first: TrajectorySummary
    public var second: TrajectorySummary

    public init(system: String, reference: String, first: TrajectorySummary, second: TrajectorySummary) {
        self.system = system
        self.reference = reference
        self.first = first
        self.second = second
    }

    public var summaries: [TrajectorySummary] { [first, second] }

    /// Column names: "A: run.nc" and "B: ref.nc" (file names without folders).
    public var names: [String] {
        zip(["A", "B"], summaries).map { "\($0): \(URL(fileURLWithPath: $1.file).lastPathComponent)" }
    }

    /// RMS difference between the two O–O g(r) over their common range, when both have one.
    public var rdfRMSDifference: Double? {
        guard let a = first.rdf, let b = second.rdf, a.binWidth == b.binWidth else { return nil }
        return RadialDistribution.rmsDifference(a.g, b.g)
    }

    static func number(_ value: Double, _ decimals: Int) -> String {
        value.isFinite ? String(format: "%.\(decimals)f", value) : "—"
    }

    static func signed(_ value: Double, _ decimals: Int) -> String {
        value.isFinite ? String(format: "%+.\(decimals)f", value) : "—"
    }

    /// "+1.023 Å, C (ACE 1)–O (ACE 1) (atoms 5–6)".
    static func describe(_ term: TrajectorySummary.Term, unit: String, decimals: Int) -> String {
        "\(signed(term.deviation, decimals))\(unit == "°" ? "" : " ")\(unit) at frame \(term.frame) (t = \(number(term.time, 3)) ps), "
            + term.labels.joined(separator: "–") + " (atoms " + term.atoms.map(String.init).joined(separator: "–") + ")"
    }

    /// The collapse verdict: "no" or "yes: frame …, bond …, r = … Å vs r₀ = … Å".
    public static func collapseText(_ s: TrajectorySummary) -> String {
        guard let c = s.bonds.collapse else { return "no (all bonds within \(number(s.bonds.collapseThreshold, 2)) Å of r₀)" }
        return "**yes**: first at frame \(c.frame) (t = \(number(c.time, 3)) ps), bond " + c.labels.joined(separator: "–")
            + " (atoms \(c.atoms[0])–\(c.atoms[1])), r = \(number(c.value, 3)) Å vs r₀ = \(number(c.reference, 3)) Å ("
            + "\(signed(c.deviation, 3)) Å); \(c.termsOverThreshold ?? 1) bond(s) over \(number(s.bonds.collapseThreshold, 2)) Å in that frame, "
            + "\(s.bonds.collapsedFrames) collapsed frame(s) in all"
    }

    /// "yes" with the first clash, or "no" with the closest contact; "—" without solute contacts.
    public static func clashText(_ s: TrajectorySummary) -> String {
        guard let c = s.contacts else { return "—" }
        func pair(_ p: TrajectorySummary.Contact) -> String {
            p.labels.joined(separator: " · ") + " (atoms \(p.atoms[0])–\(p.atoms[1])) at frame \(p.frame) (t = \(number(p.time, 3)) ps)"
        }
        guard let first = c.firstClash else { return "no (closest \(number(c.closest.distance, 3)) Å: " + pair(c.closest) + ")" }
        return "**yes**: first \(number(first.distance, 3)) Å, " + pair(first) + "; \(c.clashFrames) frame(s) with a pair under "
            + "\(number(c.clashDistance, 2)) Å, closest \(number(c.closest.distance, 3)) Å"
    }

    /// Rows of the summary table: metric, then one cell per trajectory.
    public var rows: [(String, [String])] {
        func cells(_ f: (TrajectorySummary) -> String) -> [String] { summaries.map(f) }
        func series(_ s: TrajectorySummary.Series?, _ decimals: Int, meanMax: Bool) -> String {
            guard let s else { return "—" }
            return meanMax ? "\(Self.number(s.mean, decimals)) / \(Self.number(s.maximum, decimals))"
                           : "\(Self.number(s.mean, decimals)) ± \(Self.number(s.standardDeviation, decimals))"
        }
        return [
            ("frames analysed", cells { "\($0.frames)" }),
            ("time span (ps)", cells { s in
                guard let t0 = s.time.first, let t1 = s.time.last else { return "—" }
                return "\(Self.number(t0, 3)) – \(Self.number(t1, 3))"
            }),
            ("solute RMSD mean / max (Å)", cells { series($0.rmsd, 3, meanMax: true) }),
            ("solute heavy-atom RMSD mean / max (Å)", cells { series($0.rmsdHeavy, 3, meanMax: true) }),
            ("radius of gyration mean ± sd (Å)", cells { series($0.radiusOfGyration, 3, meanMax: false) }),
            ("bond RMS deviation, all / free (Å)", cells {
                "\(Self.number($0.bonds.rmsDeviation, 4)) / \(Self.number($0.bonds.freeRMSDeviation, 4))"
            }),
            ("max bond deviation", cells { s in s.bonds.maximum.map { Self.describe($0, unit: "Å", decimals: 3) } ?? "—" }),
            ("collapse", cells(Self.collapseText)),
            ("angle RMS deviation, all / free (°)", cells {
                "\(Self.number($0.angles.rmsDeviation, 2)) / \(Self.number($0.angles.freeRMSDeviation, 2))"
            }),
            ("max angle deviation", cells { s in s.angles.maximum.map { Self.describe($0, unit: "°", decimals: 1) } ?? "—" }),
            ("closest non-bonded solute pair, mean / min over frames (Å)", cells { s in
                s.contacts.map { "\(Self.number($0.series.mean, 3)) / \(Self.number($0.series.minimum, 3))" } ?? "—"
            }),
            ("clash (non-bonded solute pair closer than the threshold)", cells(Self.clashText)),
            ("O–O g(r) first peak", cells { s in
                guard let rdf = s.rdf else { return "—" }
                guard let p = rdf.firstPeak else { return "none above 1" }
                return "\(Self.number(p.r, 3)) Å, g = \(Self.number(p.g, 3))"
            }),
            ("temperature mean ± sd (K)", cells { s in s.temperature.map(Self.describe) ?? "no velocities" }),
            ("solute temperature mean ± sd (K)", cells { s in s.soluteTemperature.map(Self.describe) ?? "—" }),
        ]
    }

    static func describe(_ t: TrajectorySummary.Temperature) -> String {
        "\(number(t.series.mean, 2)) ± \(number(t.series.standardDeviation, 2)) (\(t.degreesOfFreedom) dof)"
    }

    static func table(header: [String], rows: [(String, [String])]) -> String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
        }
        return ([line(header), line(header.map { _ in "---" })] + rows.map { line([$0.0] + $0.1) }).joined(separator: "\n")
    }

    /// The whole report. `extraSections` are Markdown blocks placed after the summary (the force
    /// comparison); `plots` maps plot names (see `plotDocuments`) to the files they were written to.
    public func markdown(extraSections: [String] = [], plots: [(name: String, file: String)] = []) -> String {
        var out = "# md compare\n\n"
        out += "System: `\(system)`  \n"
        for (name, s) in zip(names, summaries) { out += "\(name.prefix(1)): `\(s.file)`  \n" }
        out += "RMSD reference: \(reference)\n\n"
        out += "## Summary\n\n" + Self.table(header: ["metric"] + names, rows: rows) + "\n\n"
        if let d = rdfRMSDifference {
            out += "RMS difference between the two O–O g(r): \(Self.number(d, 4)) (over \(min(first.rdf!.g.count, second.rdf!.g.count)) bins of \(Self.number(first.rdf!.binWidth, 3)) Å).\n\n"
        }
        let temperatureRules = Set(summaries.compactMap { $0.temperature?.rule })
        for rule in temperatureRules.sorted() { out += "Temperature degrees of freedom: \(rule).\n\n" }
        out += "RMSD is unweighted, over solute atoms (outside water and ion residues) after optimal superposition; Rg is mass-weighted over the same atoms; "
            + "molecules are made whole across periodic boundaries first. Bond and angle deviations are from the prmtop's equilibrium values; "
            + "\"free\" terms (\(first.bonds.freeCount) of \(first.bonds.count) bonds, \(first.angles.freeCount) of \(first.angles.count) angles) are those the stated constraints leave flexible, "
            + "and the histograms are over them. A collapse is any bond, constrained or not, further than \(Self.number(first.bonds.collapseThreshold, 2)) Å from r₀.\n\n"
        for section in extraSections { out += section + "\n\n" }
        let notes = zip(["A", "B"], summaries).flatMap { name, s in s.notes.map { "- \(name): \($0)" } }
        if !notes.isEmpty { out += "## Notes\n\n" + notes.joined(separator: "\n") + "\n\n" }
        if !plots.isEmpty {
            out += "## Plots\n\n" + plots.map { "![\($0.name)](\($0.file))" }.joined(separator: "\n\n") + "\n"
        }
        return out
    }

    /// The report's plots as (name, SVG) pairs: rmsd, rg, bonds, angles, rdf, temperature.
    public func plotDocuments() -> [(name: String, svg: String)] {
        let labels = names
        func timeSeries(_ pick: (TrajectorySummary) -> [Double]?) -> [SVGPlot.Series] {
            zip(labels, summaries).compactMap { name, s in pick(s).map { SVGPlot.Series(name: name, x: s.time, y: $0) } }
        }
        var rmsdSeries = timeSeries { $0.rmsd?.values }
        rmsdSeries += zip(labels, summaries).compactMap { name, s in
            s.rmsdHeavy.map { SVGPlot.Series(name: name + " (heavy atoms)", x: s.time, y: $0.values) }
        }
        let bondSeries = zip(labels, summaries).map { name, s in
            SVGPlot.Series.histogram(name: name, lower: s.bonds.histogram.lower, upper: s.bonds.histogram.upper, values: s.bonds.histogram.density)
        }
        let angleSeries = zip(labels, summaries).map { name, s in
            SVGPlot.Series.histogram(name: name, lower: s.angles.histogram.lower, upper: s.angles.histogram.upper, values: s.angles.histogram.density)
        }
        let rdfSeries = zip(labels, summaries).compactMap { name, s in s.rdf.map { SVGPlot.Series(name: name, x: $0.r, y: $0.g) } }
        let plots: [(String, SVGPlot)] = [
            ("rmsd", SVGPlot(title: "Solute RMSD after superposition", xLabel: "time (ps)", yLabel: "RMSD (Å)", series: rmsdSeries, yIncludesZero: true)),
            ("rg", SVGPlot(title: "Radius of gyration (solute, mass-weighted)", xLabel: "time (ps)", yLabel: "Rg (Å)",
                           series: timeSeries { $0.radiusOfGyration?.values })),
            ("bonds", SVGPlot(title: "Bond length deviation r − r₀ (free bonds, all frames)", xLabel: "r − r₀ (Å)",
                              yLabel: "probability density (1/Å)", series: bondSeries, yIncludesZero: true)),
            ("angles", SVGPlot(title: "Angle deviation θ − θ₀ (free angles, all frames)", xLabel: "θ − θ₀ (°)",
                               yLabel: "probability density (1/°)", series: angleSeries, yIncludesZero: true)),
            ("rdf", SVGPlot(title: "Water O–O radial distribution function", xLabel: "r (Å)", yLabel: "g(r)", series: rdfSeries, yIncludesZero: true)),
            ("temperature", SVGPlot(title: "Temperature", xLabel: "time (ps)", yLabel: "T (K)", series: timeSeries { $0.temperature?.series.values })),
        ]
        return plots.map { ($0.0, $0.1.render()) }
    }
}
