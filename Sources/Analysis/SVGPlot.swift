import Foundation

/// A small self-contained plot writer: line plots, scatter plots and histograms (as step outlines)
/// with axes, ticks at round numbers, axis labels, a title and a legend, as one standalone SVG
/// document. Non-finite points break a line (or are left out of a scatter) rather than spoil the scale.
public struct SVGPlot {
    public struct Series {
        /// How a series is drawn: a line through its points, a marker at each point (a scatter plot),
        /// or a dashed grey reference line (y = x, a baseline) that takes no colour from the palette.
        public enum Style: Sendable { case line, points, reference }

        public var name: String
        public var x: [Double]
        public var y: [Double]
        public var style: Style

        public init(name: String, x: [Double], y: [Double], style: Style = .line) {
            precondition(x.count == y.count, "SVGPlot: x and y of different lengths")
            self.name = name
            self.x = x
            self.y = y
            self.style = style
        }

        /// A histogram's outline: `values[k]` over the bin [lower + k·w, lower + (k+1)·w), dropping to
        /// zero at both ends.
        public static func histogram(name: String, lower: Double, upper: Double, values: [Double]) -> Series {
            let w = (upper - lower) / Double(max(values.count, 1))
            var x = [lower], y = [0.0]
            for (k, v) in values.enumerated() {
                x += [lower + Double(k) * w, lower + Double(k + 1) * w]
                y += [v, v]
            }
            x.append(upper)
            y.append(0)
            return Series(name: name, x: x, y: y)
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Keep y = 0 on the axis (histograms, g(r)).
    public var yIncludesZero: Bool
    public var width = 720.0
    public var height = 440.0

    public static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    public static let referenceColor = "#777777"

    /// Each series' colour: the palette in order over the non-reference series, grey for references.
    var seriesColors: [String] {
        var next = 0
        return series.map { s in
            guard s.style != .reference else { return Self.referenceColor }
            defer { next += 1 }
            return Self.colors[next % Self.colors.count]
        }
    }

    public init(title: String, xLabel: String, yLabel: String, series: [Series], yIncludesZero: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yIncludesZero = yIncludesZero
    }

    /// Round-number ticks covering [lower, upper]: steps of 1, 2 or 5 × 10ⁿ, about `target` of them.
    public static func ticks(lower: Double, upper: Double, target: Int = 6) -> (ticks: [Double], step: Double) {
        var (lo, hi) = (lower, upper)
        if !(hi > lo) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            (lo, hi) = (lo - pad, hi + pad)
        }
        let raw = (hi - lo) / Double(max(target - 1, 1))
        let magnitude = pow(10, floor(log10(raw)))
        // The candidate step whose tick count comes closest to the target (ties to more ticks).
        func tickCount(_ step: Double) -> Int { Int((hi / step).rounded(.up) - (lo / step).rounded(.down)) + 1 }
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.min { abs(tickCount($0) - target) < abs(tickCount($1) - target) }!
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        let ticks = stride(from: first, through: last + 0.5, by: 1).map { $0 * step }
        return (ticks, step)
    }

    /// Tick text with as many decimals as the step needs.
    static func format(_ value: Double, step: Double) -> String {
        var decimals = 0
        while decimals < 6 {
            let scaled = step * pow(10, Double(decimals))
            if abs(scaled - scaled.rounded()) < 1e-6 * max(1, abs(scaled)) { break }
            decimals += 1
        }
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    public func render() -> String {
        let (left, right, bottom) = (78.0, 24.0, 58.0)
        // The legend flows in rows between the title and the plot, so it never hides data.
        var legend: [(x: Double, row: Int)] = []
        var cursor = left, row = 0
        for s in series {
            let entryWidth = 34 + 7 * Double(s.name.count)
            if cursor > left && cursor + entryWidth > width - right { cursor = left; row += 1 }
            legend.append((cursor, row))
            cursor += entryWidth + 14
        }
        let legendRows = series.isEmpty ? 0 : row + 1
        let top = 44 + 18 * Double(legendRows)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func n(_ v: Double) -> String { String(format: "%.2f", v) }
        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect x="0" y="0" width="\(n(width))" height="\(n(height))" fill="white"/>
        <text x="\(n(width / 2))" y="24" text-anchor="middle" font-size="15">\(Self.escape(title))</text>

        """
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for (x, y) in zip(s.x, s.y) where x.isFinite && y.isFinite {
                xs.append(x)
                ys.append(y)
            }
        }
        let frame = "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotWidth))\" height=\"\(n(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        guard let xMin = xs.min(), let xMax = xs.max(), var yMin = ys.min(), var yMax = ys.max() else {
            svg += frame
            svg += "<text x=\"\(n(left + plotWidth / 2))\" y=\"\(n(top + plotHeight / 2))\" text-anchor=\"middle\" fill=\"#666\">no data</text>\n"
            return svg + "</svg>\n"
        }
        if yIncludesZero { yMin = min(yMin, 0); yMax = max(yMax, 0) }
        let (xTicks, xStep) = Self.ticks(lower: xMin, upper: xMax)
        let (yTicks, yStep) = Self.ticks(lower: yMin, upper: yMax)
        let (x0, x1) = (xTicks.first!, xTicks.last!), (y0, y1) = (yTicks.first!, yTicks.last!)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - (y - y0) / (y1 - y0) * plotHeight }
        // Grid, ticks and tick labels.
        for t in xTicks {
            let x = px(t)
            svg += "<line x1=\"\(n(x))\" y1=\"\(n(top))\" x2=\"\(n(x))\" y2=\"\(n(top + plotHeight))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<line x1=\"\(n(x))\" y1=\"\(n(top + plotHeight))\" x2=\"\(n(x))\" y2=\"\(n(top + plotHeight + 5))\" stroke=\"#333\"/>\n"
            svg += "<text x=\"\(n(x))\" y=\"\(n(top + plotHeight + 19))\" text-anchor=\"middle\">\(Self.format(t, step: xStep))</text>\n"
        }
        for t in yTicks {
            let y = py(t)
            svg += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(left + plotWidth))\" y2=\"\(n(y))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<line x1=\"\(n(left - 5))\" y1=\"\(n(y))\" x2=\"\(n(left))\" y2=\"\(n(y))\" stroke=\"#333\"/>\n"
            svg += "<text x=\"\(n(left - 8))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(Self.format(t, step: yStep))</text>\n"
        }
        svg += frame
        svg += "<text x=\"\(n(left + plotWidth / 2))\" y=\"\(n(height - 14))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        svg += "<text x=\"18\" y=\"\(n(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(n(top + plotHeight / 2)))\">\(Self.escape(yLabel))</text>\n"
        // Data: markers for scatter series, else one polyline per run of finite points.
        let colors = seriesColors
        for (k, s) in series.enumerated() {
            let color = colors[k]
            if s.style == .points {
                for (x, y) in zip(s.x, s.y) where x.isFinite && y.isFinite {
                    svg += "<circle cx=\"\(n(px(x)))\" cy=\"\(n(py(y)))\" r=\"1.8\" fill=\"\(color)\" fill-opacity=\"0.45\"/>\n"
                }
                continue
            }
            let stroke = s.style == .reference ? "stroke=\"\(color)\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\""
                                                : "stroke=\"\(color)\" stroke-width=\"1.6\""
            var run: [String] = []
            func flush() {
                if run.count == 1 {
                    let p = run[0].split(separator: ",")
                    svg += "<circle cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"2.5\" fill=\"\(color)\"/>\n"
                } else if run.count > 1 {
                    svg += "<polyline fill=\"none\" \(stroke) stroke-linejoin=\"round\" points=\"\(run.joined(separator: " "))\"/>\n"
                }
                run.removeAll()
            }
            for (x, y) in zip(s.x, s.y) {
                if x.isFinite && y.isFinite { run.append("\(n(px(x))),\(n(py(y)))") } else { flush() }
            }
            flush()
        }
        // Legend rows under the title.
        for (k, s) in series.enumerated() {
            let (x, row) = legend[k]
            let y = 44 + 18 * Double(row)
            switch s.style {
            case .points:
                svg += "<circle cx=\"\(n(x + 11))\" cy=\"\(n(y - 4))\" r=\"3.5\" fill=\"\(colors[k])\"/>\n"
            case .line, .reference:
                let dash = s.style == .reference ? " stroke-dasharray=\"6 4\"" : ""
                svg += "<line x1=\"\(n(x))\" y1=\"\(n(y - 4))\" x2=\"\(n(x + 22))\" y2=\"\(n(y - 4))\" stroke=\"\(colors[k])\" stroke-width=\"2.5\"\(dash)/>\n"
            }
            svg += "<text x=\"\(n(x + 28))\" y=\"\(n(y))\">\(Self.escape(s.name))</text>\n"
        }
        return svg + "</svg>\n"
    }
}
