import Foundation

extension PrmtopFile {
    /// The file's bytes in AMBER's layout: each section's values in its own format, a blank line for an
    /// empty section. A prmtop written by tleap comes back byte for byte.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(sections.reduce(0) { $0 + $1.values.count * $1.format.width } + 64 * sections.count)
        func line(_ s: String, padded: Bool = false) {
            out.append(contentsOf: s.utf8)
            if padded && padsHeaders && s.utf8.count < 80 { out.append(contentsOf: repeatElement(32, count: 80 - s.utf8.count)) }
            out.append(10)
        }
        if !version.isEmpty { line(version, padded: true) }
        for section in sections {
            line("%FLAG \(section.flag)", padded: true)
            section.comments.forEach { line($0) }
            line("%FORMAT\(section.format.spelling)", padded: true)
            let f = section.format
            let count = section.values.count
            if count == 0 { out.append(10); continue }
            if PrmtopFile.titleFlags.contains(section.flag), case .strings(let titleLines) = section.values {
                titleLines.forEach { line($0, padded: true) }
                continue
            }
            for index in 0..<count {
                switch section.values {
                case .integers(let v):
                    CFormat.append("%*ld", Int32(f.width), v[index], to: &out)
                case .reals(let v):
                    let spec = f.isFixedPoint ? "%*.*f" : "%*.*E"
                    CFormat.append(spec, Int32(f.width), Int32(f.decimals), v[index], to: &out)
                case .strings(let v):
                    let s = v[index].utf8.prefix(f.width)
                    out.append(contentsOf: s)
                    out.append(contentsOf: repeatElement(32, count: f.width - s.count))
                }
                if (index + 1) % f.perLine == 0 || index == count - 1 { out.append(10) }
            }
        }
        return out
    }

    public func write(to path: String, overwrite: Bool = false) throws {
        try FileBytes.write(encoded(), to: path, overwrite: overwrite)
    }
}
