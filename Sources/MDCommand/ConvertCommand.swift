import AmberIO
import Foundation
import MDCore

struct ConvertCommand: Subcommand {
    static let spec = CommandSpec(
        name: "convert", summary: "Write frames of a coordinate file as AMBER NetCDF, NetCDF restart, rst7 or PDB.",
        positionals: [PositionalSpec("INPUT", help: "rst7/inpcrd or AMBER NetCDF; FILE:INDEX picks one frame (0-based, negative from the end).")],
        options: [
            OptionSpec("out", value: "FILE", help: "Output; its extension picks the format: .nc (trajectory), .ncrst, .rst7/.inpcrd, .pdb."),
            OptionSpec("prmtop", value: "FILE", help: "Topology: needed for PDB output, and checks the atom count otherwise."),
            CommonOptions.overwrite,
        ],
        discussion: "Restart formats take one frame (the last unless INPUT names one); .nc and .pdb take all frames\nunless INPUT names one (PDB writes several as MODEL records).")

    static func run(_ arguments: ParsedArguments, console: Console) throws {
        guard let out = arguments.string("out") else { throw CommandLineError(command: spec.name, "missing --out FILE") }
        let (inputPath, index) = FrameSource.parseReference(arguments.positionals[0])
        let source = try FrameSource(path: inputPath)
        let prmtop = try arguments.string("prmtop").map { try Prmtop(contentsOf: $0) }
        if let prmtop, prmtop.atomCount != source.atomCount {
            throw FileFormatError(file: inputPath, "has \(source.atomCount) atoms but \(prmtop.path) has \(prmtop.atomCount)")
        }
        let overwrite = arguments.flag("overwrite")
        let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
        let all = index.map { [$0] } ?? Array(0..<source.frameCount)
        let last = index ?? -1
        switch ext {
        case "nc":
            let first = try source.frame(all[0])
            let writer = try AmberNetCDFTrajectoryWriter(creating: out, atomCount: source.atomCount,
                                                         contents: AmberNetCDF.Contents(of: first), title: source.title, overwrite: overwrite)
            defer { writer.close() }
            try writer.append(first)
            for i in all.dropFirst() { try writer.append(try source.frame(i)) }
        case "ncrst":
            try AmberNetCDFRestart.write(try source.frame(last), to: out, title: source.title, overwrite: overwrite)
        case "rst7", "inpcrd", "restrt", "crd":
            try Rst7.write(try source.frame(last), to: out, title: source.title, overwrite: overwrite)
        case "pdb":
            guard let prmtop else { throw CommandLineError(command: spec.name, "PDB output needs --prmtop for atom and residue names") }
            let topology = prmtop.topology
            var bytes: [UInt8] = []
            for (n, i) in all.enumerated() {
                bytes += PDB.encode(try source.frame(i), topology: topology, model: all.count > 1 ? n + 1 : nil)
            }
            if all.count > 1 { bytes += Array("END\n".utf8) }
            try FileBytes.write(bytes, to: out, overwrite: overwrite)
        default:
            throw CommandLineError(command: spec.name, "cannot tell the format of '\(out)' from its extension (use .nc, .ncrst, .rst7 or .pdb)")
        }
        console.print("wrote \(out) (\(ext == "nc" || ext == "pdb" ? all.count : 1) frame\(all.count == 1 || !(ext == "nc" || ext == "pdb") ? "" : "s"), \(source.atomCount) atoms)")
    }
}
