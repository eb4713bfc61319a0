import Foundation

/// The progress line of long commands: done/total, rate and ETA on standard error, redrawn in place,
/// at most a few times a second; silent when standard error is not a terminal or with --quiet.
final class Progress {
    private let console: Console
    private let total: Int
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    /// Turns items per second into the rate users think in (ns/day for MD steps).
    private let rate: (Double) -> String

    init(console: Console, total: Int, label: String, quiet: Bool, rate: @escaping (Double) -> String) {
        self.console = console
        self.total = total
        self.label = label
        self.rate = rate
        enabled = !quiet && console.errorIsTerminal
    }

    func update(_ done: Int, detail: String = "") {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.25 || done == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let perSecond = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = perSecond > 0 ? Double(total - done) / perSecond : 0
        let percent = total > 0 ? 100 * Double(done) / Double(total) : 100
        console.writeError("\r\u{1B}[K\(label) \(done)/\(total) (" + String(format: "%.1f%%", percent)
                           + ")  \(rate(perSecond))  ETA \(Progress.duration(eta))  \(detail)")
    }

    func finish() {
        guard enabled else { return }
        console.writeError("\r\u{1B}[K")
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}

/// Ctrl-C and kill (SIGINT, SIGTERM) ask a running command to stop at the next safe point.
enum StopRequest {
    private static var flag: sig_atomic_t = 0

    static func install() {
        flag = 0
        signal(SIGINT) { _ in StopRequest.flag = 1 }
        signal(SIGTERM) { _ in StopRequest.flag = 1 }
    }

    static var isRequested: Bool { flag != 0 }

    static func reset() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
