import Foundation
import MDCore

/// ASCII AMBER coordinate/restart files (inpcrd, rst7): a title, the atom count and time, then
/// coordinates, optional velocities and an optional box in 6F12.7 lines. Velocities are stored in
/// AMBER units (Å per 1/20.455 ps) and converted to Å/ps here.
public enum Rst7 {
    public static func read(_ path: String, expectedAtomCount: Int? = nil) throws -> (frame: Frame, title: String) {
        try read(bytes: FileBytes.read(path), path: path, expectedAtomCount: expectedAtomCount)
    }

    public static func read(bytes: [UInt8], path: String, expectedAtomCount: Int? = nil) throws -> (frame: Frame, title: String) {
        if bytes.starts(with: [0x43, 0x44, 0x46]) || bytes.starts(with: [0x89, 0x48, 0x44, 0x46]) {
            throw FileFormatError(file: path, "is a NetCDF file; read it as a NetCDF restart or trajectory")
        }
        let lines = TextLines(bytes)
        func fail(_ line: Int, _ message: String) -> FileFormatError {
            FileFormatError(file: path, location: "line \(line + 1)", message)
        }
        guard lines.count >= 2 else { throw FileFormatError(file: path, "is too short for an AMBER coordinate file (needs a title and an atom-count line)") }
        let title = lines.string(0).trimmingCharacters(in: .whitespaces)
        let header = lines.string(1).split(separator: " ", omittingEmptySubsequences: true)
        guard let first = header.first, let atomCount = Int(first), atomCount > 0, atomCount < 1_000_000_000 else {
            throw fail(1, "expected the atom count, found '\(lines.string(1).prefix(40))'")
        }
        var time = 0.0
        if header.count > 1 {
            guard let t = Double(header[1].replacingOccurrences(of: "D", with: "E")), t.isFinite else {
                throw fail(1, "expected the time after the atom count, found '\(header[1])'")
            }
            time = t
        }
        if let expectedAtomCount, expectedAtomCount != atomCount {
            throw fail(1, "has \(atomCount) atoms but the topology has \(expectedAtomCount)")
        }

        // Each block starts on a new line: 3N coordinates, maybe 3N velocities, maybe 6 box values.
        let blockLines = (3 * atomCount + 5) / 6
        var dataLines = Array(2..<lines.count)
        while let last = dataLines.last, lines.isBlank(last) { dataLines.removeLast() }
        let hasVelocities: Bool, hasBox: Bool
        switch dataLines.count {
        case blockLines: (hasVelocities, hasBox) = (false, false)
        case blockLines + 1: (hasVelocities, hasBox) = (false, true)
        case 2 * blockLines: (hasVelocities, hasBox) = (true, false)
        case 2 * blockLines + 1: (hasVelocities, hasBox) = (true, true)
        default:
            throw FileFormatError(file: path, "has \(dataLines.count) data lines; \(atomCount) atoms need \(blockLines) for coordinates, \(2 * blockLines) with velocities, plus 1 for a box (truncated file or wrong atom count?)")
        }

        func block(_ firstLine: Int, values count: Int) throws -> [Double] {
            var out: [Double] = []
            out.reserveCapacity(count)
            try lines.bytes.withUnsafeBufferPointer { b in
                for l in dataLines[firstLine..<(firstLine + (count + 5) / 6)] {
                    let r = lines.ranges[l]
                    let fields = min(6, count - out.count)
                    for f in 0..<fields {
                        let start = r.lowerBound + 12 * f
                        guard start + 12 <= r.upperBound || (f == fields - 1 && start < r.upperBound),
                              let v = FieldParser.real(b, start..<min(start + 12, r.upperBound)) else {
                            let text = start < r.upperBound ? String(decoding: b[start..<min(start + 12, r.upperBound)], as: UTF8.self) : ""
                            throw fail(l, "field \(f + 1) (columns \(12 * f + 1)–\(12 * f + 12)): expected a number in F12.7, found '\(text)'")
                        }
                        out.append(v)
                    }
                }
            }
            return out
        }
        var frame = Frame(positions: try block(0, values: 3 * atomCount), time: time)
        if hasVelocities {
            frame.velocities = try block(blockLines, values: 3 * atomCount).map { $0 * Units.amberVelocityScale }
        }
        if hasBox {
            let b = try block(hasVelocities ? 2 * blockLines : blockLines, values: 6)
            let box = Box(lengths: SIMD3(b[0], b[1], b[2]), angles: SIMD3(b[3], b[4], b[5]))
            guard box.isValid else { throw fail(dataLines.last!, "box \(b) is not a valid cell") }
            frame.box = box
        }
        return (frame, title)
    }

    /// Throws when a value does not fit F12.7 (|x| ≥ 10⁴ Å), as AMBER's own format cannot hold it.
    public static func encode(_ frame: Frame, title: String = "md", path: String = "rst7") throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(frame.positions.count * 13 + 200)
        out.append(contentsOf: String(title.prefix(80)).utf8)
        out.append(10)
        CFormat.append(frame.atomCount < 100_000 ? "%5d%15.7E\n" : "%6d%15.7E\n", frame.atomCount, frame.time, to: &out)
        func block(_ values: [Double], scale: Double = 1) throws {
            for (n, v) in values.enumerated() {
                guard abs(v * scale) < 9999.99999995 else {
                    throw FileFormatError(file: path, "value \(v) (entry \(n + 1)) does not fit the F12.7 fields of an ASCII restart; write a NetCDF restart instead")
                }
                CFormat.append("%12.7f", v * scale, to: &out)
                if n % 6 == 5 || n == values.count - 1 { out.append(10) }
            }
        }
        try block(frame.positions)
        if let v = frame.velocities { try block(v, scale: 1 / Units.amberVelocityScale) }
        if let box = frame.box {
            try block([box.lengths.x, box.lengths.y, box.lengths.z, box.angles.x, box.angles.y, box.angles.z])
        }
        return out
    }

    public static func write(_ frame: Frame, to path: String, title: String = "md", overwrite: Bool = false) throws {
        try FileBytes.write(encode(frame, title: title, path: path), to: path, overwrite: overwrite)
    }
}
