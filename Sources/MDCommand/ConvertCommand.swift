import AmberIO
import Foundation
import MDCore

struct ConvertCommand: Subcommand {
    static let spec = CommandSpec(
        name: "convert", summary: "Write frames of a coordinate file as AMBER NetCDF, NetCDF restart, rst7 or PDB.",
        positionals: [PositionalSpec("INPUT", help: "rst7/inpcrd or AMBER NetCDF; FILE:INDEX picks one frame (0-based, negative from the end).")],
        options: [
            OptionSpec("out", value: "FILE", help: "Output; its extension picks the format: .nc (trajectory), .ncrst, .rst7/.inpcrd, .pdb."),
        ] + CommonOptions.frameRange("written") + [
            OptionSpec("prmtop", value: "FILE", help: "Topology: needed for PDB output and --forces, and checks the atom count otherwise."),
            OptionSpec("forces", value: "classical",
                       help: "Store with every frame of a .nc output the classical force field's forces on it (needs --prmtop): training labels for configurations classical MD did not make, e.g. a learned run's."),
        ] + ClassicalOptionsParser.options + [
            OptionSpec("threads", value: "N", help: "Worker threads of the classical force field (default 2)."),
            CommonOptions.overwrite, CommonOptions.quiet,
        ],
        discussion: "Restart formats take one frame (the last selected unless INPUT names one); .nc and .pdb take all\nselected frames unless INPUT names one (PDB writes several as MODEL records). Without --forces, forces and\nvelocities a trajectory stores are copied as they are.")

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
        if index != nil, let name = FrameRange.given(arguments) {
            throw CommandLineError(command: spec.name, "--\(name) selects frames; \(arguments.positionals[0]) already names one")
        }
        let all = try index.map { [$0] } ?? FrameRange(arguments).indices(of: source)
        let last = index ?? all.last!
        let reference = try classicalReference(arguments, prmtop: prmtop, source: source, format: ext)
        switch ext {
        case "nc":
            let progress = Progress(console: console, total: all.count, label: "convert", quiet: reference == nil || arguments.flag("quiet")) {
                String(format: "%.2f frames/s", $0)
            }
            var writer: AmberNetCDFTrajectoryWriter?
            defer { writer?.close() }
            for (done, i) in all.enumerated() {
                var frame = try source.frame(i)
                if let reference, let prmtop {
                    if frame.box == nil { frame.box = prmtop.box }
                    frame.forces = try reference.forces(frame)
                }
                if writer == nil {
                    writer = try AmberNetCDFTrajectoryWriter(creating: out, atomCount: source.atomCount, contents: AmberNetCDF.Contents(of: frame),
                                                             title: source.title, overwrite: overwrite)
                }
                try writer!.append(frame)
                progress.update(done + 1)
            }
            progress.finish()
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
        console.print((reference.map { "forces: the classical force field's (\($0.description))\n" } ?? "") + "wrote \(out) (\(ext == "nc" || ext == "pdb" ? all.count : 1) frame\(all.count == 1 || !(ext == "nc" || ext == "pdb") ? "" : "s"), \(source.atomCount) atoms)")
    }

    /// The classical force field that labels frames for --forces classical, or nil without it;
    /// classical options without --forces, or --forces without a .nc output or a prmtop, are errors.
    private static func classicalReference(_ arguments: ParsedArguments, prmtop: Prmtop?, source: FrameSource,
                                           format: String) throws -> ClassicalReference? {
        let command = spec.name
        guard let forces = arguments.string("forces") else {
            if let name = (ClassicalOptionsParser.options.map(\.name) + ["threads"]).first(where: { arguments.string($0) != nil }) {
                throw CommandLineError(command: command, "--\(name) applies to --forces classical")
            }
            return nil
        }
        guard forces == "classical" else { throw CommandLineError(command: command, "--forces expects classical, got '\(forces)'") }
        guard format == "nc" else { throw CommandLineError(command: command, "--forces classical stores forces in a .nc trajectory; \(format.isEmpty ? "this output" : "." + format) holds none") }
        guard let prmtop else { throw CommandLineError(command: command, "--forces classical needs --prmtop for the force field") }
        let threads = try arguments.value("threads", as: Int.self) ?? 2
        guard threads >= 1 else { throw CommandLineError(command: command, "--threads must be at least 1") }
        let periodic = try (source.frame(0).box ?? prmtop.box) != nil
        return try ClassicalReference(prmtop: prmtop, arguments: arguments, periodic: periodic, threads: threads)
    }
}
