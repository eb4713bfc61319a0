import AmberIO
import Foundation

/// The `md` command line: dispatches to subcommands and turns their errors into messages and exit codes
/// (0 success, 1 a file or run failed, 2 the command line was wrong).
public enum MDCommand {
    public static let version = "0.1.0"

    static let subcommands: [Subcommand.Type] = [
        SimulateCommand.self, TrainCommand.self, EvaluateCommand.self, CompareCommand.self,
        EnergyCommand.self, InfoCommand.self, ConvertCommand.self, RefineCommand.self,
    ]

    public static var overview: String {
        let rows = subcommands.map { "  " + $0.spec.name.padding(toLength: 10, withPad: " ", startingAt: 0) + $0.spec.summary }
        return (["md \(version): molecular dynamics with learned, rotation-equivariant force fields", "",
                 "Usage: md COMMAND [arguments] [options]", "", "Commands:"] + rows +
                ["", "Run 'md COMMAND --help' for a command's arguments and options."]).joined(separator: "\n")
    }

    public static func run(_ arguments: [String], console: Console) -> Int32 {
        guard let name = arguments.first else {
            console.printError(overview)
            return 2
        }
        if ["--help", "-h", "help"].contains(name) {
            if arguments.count > 1, let command = subcommands.first(where: { $0.spec.name == arguments[1] }) {
                console.print(command.spec.helpText)
            } else {
                console.print(overview)
            }
            return 0
        }
        if name == "--version" {
            console.print("md \(version)")
            return 0
        }
        guard let command = subcommands.first(where: { $0.spec.name == name }) else {
            console.printError("md: unknown command '\(name)'\n\n\(overview)")
            return 2
        }
        do {
            let parsed = try ParsedArguments.parse(Array(arguments.dropFirst()), spec: command.spec)
            if parsed.flag("help") {
                console.print(command.spec.helpText)
                return 0
            }
            try command.run(parsed, console: console)
            return 0
        } catch let error as CommandLineError {
            console.printError(error.description)
            return 2
        } catch {
            console.printError("md \(name): error: \(error)")
            return 1
        }
    }

    public static func main() -> Never {
        exit(run(Array(CommandLine.arguments.dropFirst()), console: .standard))
    }
}
