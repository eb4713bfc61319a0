import Foundation
import MDCore

/// Protein Data Bank files: writing frames for viewers, and reading the ATOM/HETATM records of
/// experimental and predicted structures (multi-model, alternate locations, chains).
public enum PDB {
    /// One atom record as read.
    public struct AtomRecord: Equatable, Sendable {
        public var serial: Int
        public var name: String
        public var alternateLocation: Character?
        public var residueName: String
        public var chain: String
        public var residueNumber: Int
        public var insertionCode: Character?
        public var position: SIMD3<Double>
        public var occupancy: Double
        public var element: Element?
        public var isHetero: Bool
    }

    public struct Model: Equatable, Sendable {
        public var number: Int
        public var atoms: [AtomRecord]
    }

    public struct Structure: Equatable, Sendable {
        public var models: [Model]
        public var box: Box?
    }

    // MARK: Writing

    /// One MODEL of a frame; residues keep prmtop names, numbering wraps as PDB columns require.
    public static func encode(_ frame: Frame, topology: Topology, model: Int? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(topology.atomCount * 81 + 200)
        if let box = frame.box {
            CFormat.append("CRYST1%9.3f%9.3f%9.3f%7.2f%7.2f%7.2f P 1           1\n",
                           box.lengths.x, box.lengths.y, box.lengths.z, box.angles.x, box.angles.y, box.angles.z, to: &out)
        }
        if let model { CFormat.append("MODEL     %4d\n", model, to: &out) }
        for (index, atom) in topology.atoms.enumerated() {
            let residue = topology.residues[atom.residueIndex]
            let symbol = atom.element == .none ? "" : atom.element.symbol.uppercased()
            // Columns 13–16: one-letter elements leave column 13 blank for names shorter than four.
            let name = atom.name.count < 4 && symbol.count < 2 ? " " + atom.name : atom.name
            let p = frame.position(index)
            // Residue name in columns 18–21: AMBER names have up to four characters.
            CFormat.append("ATOM  %5d ", (index + 1) % 100_000, to: &out)
            out.append(contentsOf: padded(name, 4).utf8)
            out.append(32)
            out.append(contentsOf: padded(residue.name, 4).utf8)
            out.append(contentsOf: padded(residue.chain, 1).utf8)
            CFormat.append("%4d    %8.3f%8.3f%8.3f%6.2f%6.2f          ", residue.number % 10_000, p.x, p.y, p.z, 1.0, 0.0, to: &out)
            out.append(contentsOf: padded(symbol, 2, right: true).utf8)
            out.append(10)
        }
        out.append(contentsOf: "TER\n".utf8)
        out.append(contentsOf: (model == nil ? "END\n" : "ENDMDL\n").utf8)
        return out
    }

    /// Cut or blank-padded to exactly `width` characters, as fixed PDB columns need.
    private static func padded(_ s: String, _ width: Int, right: Bool = false) -> String {
        let cut = String(s.prefix(width))
        let pad = String(repeating: " ", count: width - cut.count)
        return right ? pad + cut : cut + pad
    }

    public static func write(_ frame: Frame, topology: Topology, to path: String, overwrite: Bool = false) throws {
        guard frame.atomCount == topology.atomCount else {
            throw FileFormatError(file: path, "frame has \(frame.atomCount) atoms, the topology \(topology.atomCount)")
        }
        try FileBytes.write(encode(frame, topology: topology), to: path, overwrite: overwrite)
    }

    // MARK: Reading

    public static func read(_ path: String) throws -> Structure {
        try read(bytes: FileBytes.read(path), path: path)
    }

    public static func read(bytes: [UInt8], path: String) throws -> Structure {
        let lines = TextLines(bytes)
        var models: [Model] = []
        var current: Model?
        var box: Box?
        for l in 0..<lines.count {
            let line = lines.string(l)
            let record = line.prefix(6)
            let chars = Array(line)
            func column(_ from: Int, _ to: Int) -> String {
                // 1-based inclusive PDB columns; short lines read as blank.
                guard from - 1 < chars.count else { return "" }
                return String(chars[(from - 1)..<min(to, chars.count)]).trimmingCharacters(in: .whitespaces)
            }
            func number(_ from: Int, _ to: Int, _ what: String) throws -> Double {
                let text = column(from, to)
                guard let v = Double(text), v.isFinite else {
                    throw FileFormatError(file: path, location: "line \(l + 1), columns \(from)–\(to)", "expected \(what), found '\(text)'")
                }
                return v
            }
            switch record {
            case "MODEL ":
                if let c = current { models.append(c) }
                current = Model(number: Int(column(11, 14)) ?? models.count + 1, atoms: [])
            case "ENDMDL":
                if let c = current { models.append(c) }
                current = nil
            case "CRYST1":
                let b = Box(a: try number(7, 15, "cell length a"), b: try number(16, 24, "cell length b"),
                            c: try number(25, 33, "cell length c"), alpha: try number(34, 40, "alpha"),
                            beta: try number(41, 47, "beta"), gamma: try number(48, 54, "gamma"))
                // Cryo-EM and NMR entries write a unit cell of 1 Å; that is no box.
                box = b.isValid && b.lengths.min() > 1.5 ? b : nil
            case "ATOM  ", "HETATM":
                guard line.count >= 54 else {
                    throw FileFormatError(file: path, location: "line \(l + 1)", "\(record.trimmingCharacters(in: .whitespaces)) record is \(line.count) characters; coordinates need 54")
                }
                let serialText = column(7, 11)
                let residueText = column(23, 26)
                guard let residueNumber = Int(residueText) else {
                    throw FileFormatError(file: path, location: "line \(l + 1), columns 23–26", "expected a residue number, found '\(residueText)'")
                }
                let alt = column(17, 17)
                let insertion = column(27, 27)
                let atom = AtomRecord(
                    serial: Int(serialText) ?? 0, name: column(13, 16), alternateLocation: alt.first,
                    residueName: column(18, 21), chain: column(22, 22), residueNumber: residueNumber,
                    insertionCode: insertion.first,
                    position: SIMD3(try number(31, 38, "x"), try number(39, 46, "y"), try number(47, 54, "z")),
                    occupancy: Double(column(55, 60)) ?? 1, element: Element(symbol: column(77, 78)),
                    isHetero: record == "HETATM")
                if current == nil { current = Model(number: models.count + 1, atoms: []) }
                current!.atoms.append(atom)
            default:
                continue
            }
        }
        if let c = current { models.append(c) }
        models.removeAll { $0.atoms.isEmpty }
        guard !models.isEmpty else { throw FileFormatError(file: path, "has no ATOM or HETATM records") }
        return Structure(models: models, box: box)
    }
}
