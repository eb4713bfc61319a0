import AmberIO
import Foundation
import MDCore

/// A refined structure written as its candidate PDB file with new coordinates: every line of the
/// first model kept as it was but for columns 31–54, later models dropped (only the first was
/// refined), ANISOU records dropped (they describe the old positions).
public enum RefinedPDB {
    /// New positions of every record of `records` (a first model): `moved[record]` for the refined
    /// atoms; every other record (hydrogens, atoms without a partner) rides along with the nearest
    /// refined atom of its residue, keeping its offset from it; with none in the residue it stays.
    public static func positions(records: [PDB.AtomRecord], moved: [Int: SIMD3<Double>]) -> [SIMD3<Double>] {
        var byResidue: [String: [Int]] = [:]
        for r in moved.keys { byResidue[residueID(records[r]), default: []].append(r) }
        return records.indices.map { i in
            if let p = moved[i] { return p }
            let x = records[i].position
            guard let anchors = byResidue[residueID(records[i])],
                  let nearest = anchors.min(by: { distance2(records[$0].position, x) < distance2(records[$1].position, x) }) else { return x }
            return x + moved[nearest]! - records[nearest].position
        }
    }

    /// `bytes` (a PDB file) with the first model's coordinates replaced by `positions` (one per
    /// ATOM/HETATM record of that model, in file order) and `remarks` as REMARK lines first.
    public static func rewrite(_ bytes: [UInt8], positions: [SIMD3<Double>], remarks: [String]) -> [UInt8] {
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        if lines.last == "" { lines.removeLast() }
        var out = remarks.map { "REMARK   1 " + $0 }
        var k = 0, finished = false
        for line in lines {
            let record = String(line.prefix(6))
            if finished {
                if record == "END   " || record == "END" || record.hasPrefix("CONECT") { out.append(line) }
                continue
            }
            switch record {
            case "ATOM  ", "HETATM":
                guard k < positions.count else { finished = true; continue }
                let p = positions[k]
                k += 1
                var chars = Array(line)
                let coordinates = Array(String(format: "%8.3f%8.3f%8.3f", p.x, p.y, p.z))
                chars.replaceSubrange(30..<54, with: coordinates)
                out.append(String(chars))
            case "ANISOU":
                continue
            case "ENDMDL":
                out.append(line)
                finished = k > 0
            case "MODEL ":
                if k > 0 { finished = true } else { out.append(line) }
            default:
                out.append(line)
            }
        }
        return Array((out.joined(separator: "\n") + "\n").utf8)
    }

    private static func residueID(_ r: PDB.AtomRecord) -> String {
        "\(r.chain)|\(r.residueNumber)|\(r.insertionCode.map { String($0) } ?? "")"
    }

    private static func distance2(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum() }
}
