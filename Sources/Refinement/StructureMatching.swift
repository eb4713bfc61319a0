import AmberIO
import Foundation
import MDCore

/// What identifies one atom in both a candidate structure and its experimental solution: chain,
/// residue number with insertion code, residue name and atom name (PDB columns 22, 23–26, 27, 18–21,
/// 13–16, blanks trimmed). The alternate-location flag is not part of it: one location is chosen first.
public struct AtomKey: Hashable, Sendable, CustomStringConvertible {
    public var chain: String
    public var residueNumber: Int
    /// nil for a blank insertion code.
    public var insertionCode: Character?
    public var residueName: String
    public var name: String

    public init(chain: String, residueNumber: Int, insertionCode: Character?, residueName: String, name: String) {
        self.chain = chain
        self.residueNumber = residueNumber
        self.insertionCode = insertionCode
        self.residueName = residueName
        self.name = name
    }

    init(_ r: PDB.AtomRecord) {
        self.init(chain: r.chain, residueNumber: r.residueNumber, insertionCode: r.insertionCode, residueName: r.residueName, name: r.name)
    }

    /// Residue number and insertion code as PDB writes them: "12", "12A".
    public var residue: String { "\(residueNumber)" + (insertionCode.map { String($0) } ?? "") }

    /// The residue's position in the chain, whatever its name.
    var site: ResidueSite { ResidueSite(chain: chain, residueNumber: residueNumber, insertionCode: insertionCode) }

    /// "A:12A:G:C5'" (chain blank: "_").
    public var description: String { "\(chain.isEmpty ? "_" : chain):\(residue):\(residueName):\(name)" }
}

struct ResidueSite: Hashable {
    var chain: String
    var residueNumber: Int
    var insertionCode: Character?
}

/// Why an atom record of one file has no partner in the other. Every record of the first model is
/// either matched, dropped as an unchosen alternate location, or skipped for exactly one of these.
public enum SkipReason: String, CaseIterable, Codable, Sendable {
    /// Hydrogens (and deuterium) are ignored unless asked for: predicted structures often lack them
    /// or name them by other conventions, and the paper's targets are heavy-atom structures.
    case hydrogen
    /// The same key occurs more than once in this file (not as alternate locations): never guessed.
    case duplicate
    /// The key occurs more than once in the other file.
    case ambiguousPartner = "ambiguous-partner"
    /// The residue (chain, number, insertion code) exists in the other file, under another name.
    case residueNameDiffers = "residue-name-differs"
    /// The other file has no atom with this key (and the residue is there under this name, or absent).
    case missing

    public var label: String {
        switch self {
        case .hydrogen: return "hydrogen (ignored)"
        case .duplicate: return "duplicate in this file"
        case .ambiguousPartner: return "duplicate in the other file"
        case .residueNameDiffers: return "residue name differs"
        case .missing: return "absent from the other file"
        }
    }
}

/// The bookkeeping of one file's side of a match.
public struct MatchSide: Codable, Equatable, Sendable {
    public var file: String
    /// MODEL blocks in the file; only the first is used.
    public var models: Int
    /// ATOM and HETATM records of the first model.
    public var records: Int
    /// Records of alternate locations not chosen (highest occupancy wins, the first in the file on ties).
    public var alternateLocationsDropped: Int
    /// Records skipped, by `SkipReason.rawValue` (every reason present, zeros included).
    public var skipped: [String: Int]
    /// Up to three skipped atoms per reason, as `AtomKey.description`, for messages.
    public var examples: [String: [String]]

    public func skipped(_ reason: SkipReason) -> Int { skipped[reason.rawValue] ?? 0 }
    public var skippedTotal: Int { skipped.values.reduce(0, +) }
}

public struct MatchStatistics: Codable, Equatable, Sendable {
    public var matched: Int
    public var hydrogensIncluded: Bool
    public var candidate: MatchSide
    public var solution: MatchSide
}

/// One matched atom: its key, element, and record serial numbers in both files.
public struct MatchedAtom: Equatable, Sendable {
    public var key: AtomKey
    /// From PDB columns 77–78, or guessed from the atom name when they are blank (nil when unknown).
    public var element: Element?
    public var candidateSerial: Int
    public var solutionSerial: Int
    /// Index of the atom's record in the candidate's first model (`PDB.Model.atoms`).
    public var candidateRecord: Int
}

/// A candidate structure's atoms paired with its solution's (`StructureMatch.init`), positions in
/// candidate file order.
public struct StructureMatch: Sendable {
    public var atoms: [MatchedAtom]
    public var candidatePositions: [SIMD3<Double>]
    public var solutionPositions: [SIMD3<Double>]
    public var statistics: MatchStatistics

    /// Reads both PDB files (first model each) and matches them. Gzip-compressed files are refused
    /// with a message rather than misread.
    public init(candidatePath: String, solutionPath: String, includeHydrogens: Bool = false) throws {
        let candidate = try StructureMatch.readPDB(candidatePath)
        let solution = try StructureMatch.readPDB(solutionPath)
        self.init(candidate: candidate, candidatePath: candidatePath, solution: solution, solutionPath: solutionPath,
                  includeHydrogens: includeHydrogens)
    }

    public static func readPDB(_ path: String) throws -> PDB.Structure {
        let bytes = try FileBytes.read(path)
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            throw FileFormatError(file: path, "is gzip-compressed; decompress it first (gunzip -k)")
        }
        return try PDB.read(bytes: bytes, path: path)
    }

    /// Matches atoms by `AtomKey`:
    /// - the first MODEL of each file is used;
    /// - records with the same key and distinct alternate-location flags are one atom: the
    ///   highest-occupancy location is kept (the first in the file on ties), the others dropped;
    /// - hydrogens (element H or D; when columns 77–78 are blank, a name whose first letter after any
    ///   digits is H or D) are skipped unless `includeHydrogens`;
    /// - any other repeated key is a duplicate: all its records are skipped, in both files' counts;
    /// - an atom matches when its key occurs exactly once in each file; otherwise it is skipped with
    ///   the reason (`SkipReason`). Nothing is guessed: no renaming, renumbering or alignment of sequences.
    public init(candidate: PDB.Structure, candidatePath: String, solution: PDB.Structure, solutionPath: String,
                includeHydrogens: Bool = false) {
        var c = Side(structure: candidate, file: candidatePath, includeHydrogens: includeHydrogens)
        var s = Side(structure: solution, file: solutionPath, includeHydrogens: includeHydrogens)
        var atoms: [MatchedAtom] = []
        var cp: [SIMD3<Double>] = [], sp: [SIMD3<Double>] = []
        atoms.reserveCapacity(c.unique.count)
        for (key, ci) in c.unique {
            let cr = c.records[ci]
            if let si = s.index[key] {
                let sr = s.records[si]
                atoms.append(MatchedAtom(key: key, element: Side.element(cr) ?? Side.element(sr),
                                         candidateSerial: cr.serial, solutionSerial: sr.serial, candidateRecord: ci))
                cp.append(cr.position)
                sp.append(sr.position)
            } else {
                c.skip(Side.reason(key, other: s), key)
            }
        }
        for (key, _) in s.unique where c.index[key] == nil {
            s.skip(Side.reason(key, other: c), key)
        }
        self.atoms = atoms
        candidatePositions = cp
        solutionPositions = sp
        statistics = MatchStatistics(matched: atoms.count, hydrogensIncluded: includeHydrogens, candidate: c.side, solution: s.side)
    }

    /// One file's first model, sorted into unique atoms and skipped records.
    private struct Side {
        var records: [PDB.AtomRecord]
        /// Keys occurring once (after the alternate-location choice), in file order, with record indices.
        var unique: [(AtomKey, Int)] = []
        var index: [AtomKey: Int] = [:]
        /// Keys skipped as duplicates in this file (so the other side reports an ambiguous partner).
        var duplicates: Set<AtomKey> = []
        /// Residue names present at each residue site (every record, hydrogens too).
        var names: [ResidueSite: Set<String>] = [:]
        var side: MatchSide

        init(structure: PDB.Structure, file: String, includeHydrogens: Bool) {
            records = structure.models.first?.atoms ?? []
            side = MatchSide(file: file, models: structure.models.count, records: records.count, alternateLocationsDropped: 0,
                             skipped: Dictionary(uniqueKeysWithValues: SkipReason.allCases.map { ($0.rawValue, 0) }), examples: [:])
            var groups: [AtomKey: [Int]] = [:]
            var order: [AtomKey] = []
            for (i, r) in records.enumerated() {
                let key = AtomKey(r)
                names[key.site, default: []].insert(r.residueName)
                if !includeHydrogens && Side.isHydrogen(r) {
                    skip(.hydrogen, key)
                    continue
                }
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(i)
            }
            for key in order {
                let group = groups[key]!
                if group.count == 1 {
                    unique.append((key, group[0]))
                    continue
                }
                let flags = group.map { records[$0].alternateLocation }
                if flags.allSatisfy({ $0 != nil }) && Set(flags).count == flags.count {
                    // Highest occupancy; `max` returns the last of equals, so compare strictly in file order.
                    var best = group[0]
                    for i in group.dropFirst() where records[i].occupancy > records[best].occupancy { best = i }
                    unique.append((key, best))
                    side.alternateLocationsDropped += group.count - 1
                } else {
                    duplicates.insert(key)
                    for _ in group { skip(.duplicate, key) }
                }
            }
            unique.sort { $0.1 < $1.1 }
            index = Dictionary(uniqueKeysWithValues: unique.map { ($0.0, $0.1) })
        }

        mutating func skip(_ reason: SkipReason, _ key: AtomKey) {
            side.skipped[reason.rawValue, default: 0] += 1
            if side.examples[reason.rawValue, default: []].count < 3 {
                side.examples[reason.rawValue, default: []].append(key.description)
            }
        }

        /// Why `key`, unique in one file, has no partner in `other`.
        static func reason(_ key: AtomKey, other: Side) -> SkipReason {
            if other.duplicates.contains(key) { return .ambiguousPartner }
            if let present = other.names[key.site], !present.contains(key.residueName) { return .residueNameDiffers }
            return .missing
        }

        static func element(_ r: PDB.AtomRecord) -> Element? {
            if let e = r.element { return e }
            switch guessedLetter(r.name) {
            case "H", "D": return .hydrogen
            case "C": return .carbon
            case "N": return .nitrogen
            case "O": return .oxygen
            case "P": return Element(atomicNumber: 15)
            case "S": return .sulfur
            default: return nil
            }
        }

        static func isHydrogen(_ r: PDB.AtomRecord) -> Bool {
            if let e = r.element { return e == .hydrogen }
            return ["H", "D"].contains(guessedLetter(r.name))
        }

        /// The atom name's first letter after leading digits ("1H5'" → H), upper-cased.
        static func guessedLetter(_ name: String) -> Character? {
            name.first { !$0.isNumber }.map { Character($0.uppercased()) }
        }
    }
}
