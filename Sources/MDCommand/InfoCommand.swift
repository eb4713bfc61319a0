import AmberIO
import Foundation
import MDCore

struct InfoCommand: Subcommand {
    static let spec = CommandSpec(
        name: "info", summary: "Summarise a prmtop, AMBER NetCDF trajectory or restart, rst7/inpcrd or PDB file.",
        positionals: [PositionalSpec("FILE", help: "The file to describe; its kind is recognised from its content.")],
        options: [CommonOptions.json])

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        let path = arguments.positionals[0]
        let summary: FileSummary
        switch try FileKind.detect(path) {
        case .prmtop: summary = .prmtop(try PrmtopSummary(Prmtop(contentsOf: path)))
        case .netcdf: summary = .netcdf(try NetCDFSummary(path: path))
        case .rst7: summary = .rst7(try Rst7Summary(path: path))
        case .pdb: summary = .pdb(try PDBSummary(path: path))
        }
        if arguments.flag("json") {
            console.print(try summary.json())
        } else {
            console.print(summary.text)
        }
    }
}
