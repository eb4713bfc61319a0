/// One `md` subcommand: its grammar and what it does with parsed arguments.
protocol Subcommand {
    static var spec: CommandSpec { get }
    static func run(_ arguments: ParsedArguments, console: Console) throws
}

/// A subcommand whose grammar is designed but whose work lands with a later issue.
struct NotImplementedError: Error, CustomStringConvertible {
    var command: String
    var issue: Int
    var description: String { "md \(command) is not implemented yet (issue \(issue))" }
}
