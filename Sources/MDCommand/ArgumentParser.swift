/// The command-line grammar every subcommand shares: `--name value`, `--name=value`, boolean `--flag`,
/// positional arguments, and `--` to end options. Specs double as the source of `--help` text.
public struct OptionSpec: Sendable {
    public var name: String
    /// Placeholder for the value (`N`, `FILE`); nil for a boolean flag.
    public var value: String?
    public var help: String
    public var repeatable: Bool

    public init(_ name: String, value: String? = nil, help: String, repeatable: Bool = false) {
        self.name = name
        self.value = value
        self.help = help
        self.repeatable = repeatable
    }
}

public struct PositionalSpec: Sendable {
    public var name: String
    public var help: String
    public var optional: Bool
    /// Takes one or more arguments (`MODEL [MODEL ...]`); the positionals after it get one each, from the end.
    public var repeatable: Bool

    public init(_ name: String, help: String, optional: Bool = false, repeatable: Bool = false) {
        self.name = name
        self.help = help
        self.optional = optional
        self.repeatable = repeatable
    }
}

public struct CommandSpec: Sendable {
    public var name: String
    public var summary: String
    public var positionals: [PositionalSpec]
    public var options: [OptionSpec]
    /// Paragraphs printed after the option list.
    public var discussion: String

    public init(name: String, summary: String, positionals: [PositionalSpec] = [], options: [OptionSpec] = [], discussion: String = "") {
        self.name = name
        self.summary = summary
        self.positionals = positionals
        self.options = options + [OptionSpec("help", help: "Show this help.")]
        self.discussion = discussion
    }

    public var usage: String {
        let args = positionals.map { p in
            let text = p.repeatable ? "\(p.name) [\(p.name) ...]" : p.name
            return p.optional ? "[\(text)]" : text
        }
        return (["md", name] + args + (options.count > 1 ? ["[options]"] : [])).joined(separator: " ")
    }

    public var helpText: String {
        var lines = ["\(usage)", "", summary]
        if !positionals.isEmpty {
            lines += ["", "Arguments:"] + positionals.map { row($0.name, $0.help) }
        }
        lines += ["", "Options:"] + options.map { row("--\($0.name)" + ($0.value.map { " \($0)" } ?? ""), $0.help) }
        if !discussion.isEmpty { lines += ["", discussion] }
        return lines.joined(separator: "\n")
    }

    /// Help rows align at column 26; a longer option name puts its help on the next line.
    private func row(_ left: String, _ right: String) -> String {
        let column = 24
        if left.count >= column { return "  " + left + "\n" + String(repeating: " ", count: column + 2) + right }
        return "  " + left + String(repeating: " ", count: column - left.count) + right
    }
}

public struct CommandLineError: Error, Equatable, CustomStringConvertible {
    public var command: String
    public var message: String

    public init(command: String, _ message: String) {
        self.command = command
        self.message = message
    }

    public var description: String { "md \(command): \(message)\nRun 'md \(command) --help' for usage." }
}

/// The parsed command line of one subcommand.
public struct ParsedArguments: Sendable {
    public let command: String
    public var positionals: [String]
    private var values: [String: [String]]
    private var flags: Set<String>

    public func flag(_ name: String) -> Bool { flags.contains(name) }

    public func string(_ name: String) -> String? { values[name]?.last }

    public func strings(_ name: String) -> [String] { values[name] ?? [] }

    /// The option's value converted to `T`, nil when absent; a value that does not convert is an error.
    public func value<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) throws -> T? {
        guard let text = values[name]?.last else { return nil }
        guard let value = T(text) else {
            throw CommandLineError(command: command, "--\(name) expects \(Self.describe(T.self)), got '\(text)'")
        }
        return value
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default: return "a \(type)"
        }
    }

    public static func parse(_ arguments: [String], spec: CommandSpec) throws -> ParsedArguments {
        var parsed = ParsedArguments(command: spec.name, positionals: [], values: [:], flags: [])
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard !optionsEnded, argument.hasPrefix("--") else {
                if argument.hasPrefix("-") && argument.count > 1 && !optionsEnded && Double(argument) == nil {
                    throw CommandLineError(command: spec.name, "unknown option '\(argument)' (options are spelled --name)")
                }
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let inline = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
            guard let option = spec.options.first(where: { $0.name == name }) else {
                let near = spec.options.map(\.name).filter { $0.hasPrefix(String(name.prefix(3))) }
                let hint = near.isEmpty ? "" : " (did you mean \(near.map { "--" + $0 }.joined(separator: ", "))?)"
                throw CommandLineError(command: spec.name, "unknown option '--\(name)'\(hint)")
            }
            if option.value == nil {
                guard inline == nil else { throw CommandLineError(command: spec.name, "--\(name) takes no value") }
                parsed.flags.insert(name)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw CommandLineError(command: spec.name, "--\(name) needs a value (\(option.value!))")
                }
                value = arguments[index]
                index += 1
            }
            if !option.repeatable && parsed.values[name] != nil {
                throw CommandLineError(command: spec.name, "--\(name) given more than once")
            }
            parsed.values[name, default: []].append(value)
        }
        if parsed.flag("help") { return parsed }
        let required = spec.positionals.filter { !$0.optional }.count
        if parsed.positionals.count < required {
            let missing = spec.positionals[parsed.positionals.count]
            throw CommandLineError(command: spec.name, "missing argument \(missing.name)")
        }
        if parsed.positionals.count > spec.positionals.count && !spec.positionals.contains(where: \.repeatable) {
            throw CommandLineError(command: spec.name, "unexpected argument '\(parsed.positionals[spec.positionals.count])'")
        }
        return parsed
    }
}
