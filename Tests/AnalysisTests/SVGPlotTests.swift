import XCTest
@testable import Analysis
#if canImport(FoundationXML)
import FoundationXML
#endif

final class SVGPlotTests: XCTestCase {
    /// Parses `text` as XML and collects element names and the text of <text> elements.
    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var texts: [String] = []
        private var inText = false
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append(name)
            if name == "text" { inText = true; texts.append("") }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { inText = false }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inText { texts[texts.count - 1] += string }
        }
    }

    private func parse(_ svg: String) -> Collector? {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }

    func testLinePlotIsWellFormedWithAxesTicksAndLegend() throws {
        let plot = SVGPlot(title: "RMSD <A & B>", xLabel: "time (ps)", yLabel: "RMSD (Å)",
                           series: [.init(name: "A: run.nc", x: [0, 1, 2, 3], y: [0, 0.4, .nan, 0.9]),
                                    .init(name: "B: ref.nc", x: [0, 1, 2, 3], y: [0, 0.2, 0.3, 0.35])])
        let svg = plot.render()
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        let parsed = try XCTUnwrap(parse(svg), "not well-formed XML:\n\(svg)")
        XCTAssertEqual(parsed.elements.first, "svg")
        XCTAssertTrue(parsed.texts.contains("RMSD <A & B>"))
        XCTAssertTrue(parsed.texts.contains("A: run.nc") && parsed.texts.contains("B: ref.nc"))
        XCTAssertTrue(parsed.texts.contains("time (ps)") && parsed.texts.contains("RMSD (Å)"))
        // x ticks every 0.5 over 0…3, y ticks every 0.2 over 0…0.9 (about six each).
        for tick in ["0.0", "0.5", "1.5", "3.0", "0.2", "0.4", "0.6", "0.8", "1.0"] { XCTAssertTrue(parsed.texts.contains(tick), "tick \(tick)") }
        XCTAssertFalse(parsed.texts.contains("3.5") || parsed.texts.contains("1.2"))
        // The NaN breaks A's line in two: a polyline of two points and a lone point, plus B's polyline.
        XCTAssertEqual(parsed.elements.filter { $0 == "polyline" }.count, 2)
        XCTAssertEqual(parsed.elements.filter { $0 == "circle" }.count, 1)
    }

    func testHistogramOutlineAndEmptyPlot() throws {
        let series = SVGPlot.Series.histogram(name: "h", lower: -1, upper: 1, values: [1, 3])
        XCTAssertEqual(series.x, [-1, -1, 0, 0, 1, 1])
        XCTAssertEqual(series.y, [0, 1, 1, 3, 3, 0])
        let empty = SVGPlot(title: "nothing", xLabel: "x", yLabel: "y", series: [.init(name: "none", x: [], y: [])]).render()
        XCTAssertTrue(try XCTUnwrap(parse(empty)).texts.contains("no data"))
    }

    func testScatterSeriesDrawMarkersAndReferenceLinesAreDashedGrey() throws {
        let plot = SVGPlot(title: "true vs predicted", xLabel: "true", yLabel: "predicted",
                           series: [.init(name: "y = x", x: [0, 4], y: [0, 4], style: .reference),
                                    .init(name: "model", x: [1, 2, .nan, 3], y: [1.1, 1.9, 5, 3.2], style: .points)])
        let svg = plot.render()
        let parsed = try XCTUnwrap(parse(svg), "not well-formed XML:\n\(svg)")
        // Three finite points and one legend marker; the NaN point is left out. One dashed line plus its legend entry.
        XCTAssertEqual(parsed.elements.filter { $0 == "circle" }.count, 4)
        XCTAssertEqual(parsed.elements.filter { $0 == "polyline" }.count, 1)
        XCTAssertEqual(svg.components(separatedBy: "stroke-dasharray").count - 1, 2)
        // The reference takes grey, the scatter the palette's first colour.
        XCTAssertEqual(plot.seriesColors, [SVGPlot.referenceColor, SVGPlot.colors[0]])
        XCTAssertTrue(parsed.texts.contains("y = x") && parsed.texts.contains("model"))
        XCTAssertTrue(parsed.texts.contains("4"), "the y = x line sets the range")
    }

    func testTicksAreRoundNumbers() {
        let (ticks, step) = SVGPlot.ticks(lower: 0.13, upper: 2.71)
        XCTAssertEqual(step, 0.5)
        XCTAssertEqual(ticks, [0, 0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual(SVGPlot.ticks(lower: 5, upper: 5).ticks.count > 1, true)
        XCTAssertEqual(SVGPlot.format(0.25, step: 0.05), "0.25")
        XCTAssertEqual(SVGPlot.format(-0.0, step: 1), "0")
    }
}
