import Foundation

/// Where a subcommand's text goes: standard output for results, standard error for progress and
/// errors. Tests capture both.
public final class Console {
    private let writeOut: (String) -> Void
    private let writeErrorText: (String) -> Void
    /// Whether standard error is a terminal (progress lines are drawn only then).
    public let errorIsTerminal: Bool

    public init(out: @escaping (String) -> Void, error: @escaping (String) -> Void, errorIsTerminal: Bool = false) {
        writeOut = out
        writeErrorText = error
        self.errorIsTerminal = errorIsTerminal
    }

    public static let standard = Console(
        out: { FileHandle.standardOutput.write(Data($0.utf8)) },
        error: { FileHandle.standardError.write(Data($0.utf8)) },
        errorIsTerminal: isatty(STDERR_FILENO) == 1)

    public func print(_ line: String) { writeOut(line + "\n") }

    public func printError(_ line: String) { writeErrorText(line + "\n") }

    /// Raw text to standard error (progress lines redraw in place).
    public func writeError(_ text: String) { writeErrorText(text) }
}
