import Foundation

extension PrmtopFile {
    /// Reads a prmtop in the `%FLAG`/`%FORMAT` layout AMBER has written since version 7.
    public init(contentsOf path: String) throws {
        try self.init(bytes: FileBytes.read(path), path: path)
    }

    public init(bytes: [UInt8], path: String) throws {
        let lines = TextLines(bytes)
        self.path = path
        version = ""
        sections = []
        padsHeaders = true
        var line = 0
        func fail(_ l: Int, _ message: String) -> FileFormatError {
            FileFormatError(file: path, location: "line \(l + 1)", message)
        }
        while line < lines.count && lines.isBlank(line) { line += 1 }
        guard line < lines.count else { throw FileFormatError(file: path, "is empty; expected an AMBER prmtop") }
        if lines.starts(line, with: "%VERSION") {
            version = lines.string(line)
            line += 1
        }
        guard line < lines.count, lines.starts(line, with: "%FLAG") else {
            if bytes.starts(with: [0x43, 0x44, 0x46]) || bytes.starts(with: [0x89, 0x48, 0x44, 0x46]) {
                throw FileFormatError(file: path, "is a NetCDF file, not a prmtop")
            }
            guard line < lines.count else { throw FileFormatError(file: path, "has a %VERSION line and no sections") }
            throw fail(line, "expected '%FLAG' to start a prmtop section, found '\(lines.string(line).prefix(40))' (old-style prmtops without %FLAG are not supported)")
        }
        while line < lines.count {
            if lines.isBlank(line) { line += 1; continue }
            guard lines.starts(line, with: "%FLAG") else {
                throw fail(line, "expected '%FLAG', found '\(lines.string(line).prefix(40))'")
            }
            let flagLine = line
            if sections.isEmpty { padsHeaders = lines.ranges[line].count == 80 }
            let flag = String(lines.string(line).dropFirst(5)).trimmingCharacters(in: .whitespaces)
            guard !flag.isEmpty else { throw fail(line, "%FLAG without a section name") }
            if sections.contains(where: { $0.flag == flag }) {
                throw fail(line, "section \(flag) appears twice")
            }
            line += 1
            var comments: [String] = []
            while line < lines.count && lines.starts(line, with: "%COMMENT") {
                comments.append(lines.string(line))
                line += 1
            }
            guard line < lines.count, lines.starts(line, with: "%FORMAT") else {
                throw fail(min(line, lines.count - 1), "section \(flag) has no %FORMAT line")
            }
            let formatText = String(lines.string(line).dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard let format = FortranFormat(parsing: formatText) else {
                throw fail(line, "section \(flag): cannot read format '\(formatText)'")
            }
            line += 1
            var end = line
            while end < lines.count && !lines.starts(end, with: "%") { end += 1 }
            let values = PrmtopFile.titleFlags.contains(flag)
                ? .strings((line..<end).map { lines.string($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
                : try PrmtopFile.parseValues(lines, line..<end, format, flag: flag, path: path)
            sections.append(Section(flag: flag, format: format, comments: comments, values: values, line: flagLine + 1))
            line = end
        }
    }

    private static func parseValues(_ lines: TextLines, _ dataLines: Range<Int>, _ format: FortranFormat,
                                    flag: String, path: String) throws -> Values {
        var integers: [Int] = []
        var reals: [Double] = []
        var strings: [String] = []
        let estimate = dataLines.count * format.perLine
        switch format.kind {
        case .integer: integers.reserveCapacity(estimate)
        case .real: reals.reserveCapacity(estimate)
        case .text: strings.reserveCapacity(estimate)
        }
        let w = format.width
        try lines.bytes.withUnsafeBufferPointer { b in
            for l in dataLines {
                var r = lines.ranges[l]
                // Trailing blanks carry no field (tleap pads text, others trim), so a short last field is whole.
                while r.upperBound > r.lowerBound && b[r.upperBound - 1] == 32 { r = r.lowerBound..<(r.upperBound - 1) }
                let fields = min(format.perLine, (r.count + w - 1) / w)
                if fields == 0 { continue }
                if r.count > format.perLine * w {
                    throw FileFormatError(file: path, location: "section \(flag), line \(l + 1)",
                                          "line is longer than format \(format) allows (\(r.count) characters)")
                }
                for f in 0..<fields {
                    let start = r.lowerBound + f * w
                    let field = start..<min(start + w, r.upperBound)
                    switch format.kind {
                    case .integer:
                        guard let v = FieldParser.integer(b, field) else {
                            throw badField(b, field, l, f, "an integer", flag, path)
                        }
                        integers.append(v)
                    case .real:
                        guard let v = FieldParser.real(b, field) else {
                            throw badField(b, field, l, f, "a real number", flag, path)
                        }
                        reals.append(v)
                    case .text:
                        var e = field.upperBound
                        while e > field.lowerBound && b[e - 1] == 32 { e -= 1 }
                        strings.append(String(decoding: UnsafeBufferPointer(rebasing: b[field.lowerBound..<e]), as: UTF8.self))
                    }
                }
            }
        }
        switch format.kind {
        case .integer: return .integers(integers)
        case .real: return .reals(reals)
        case .text: return .strings(strings)
        }
    }

    private static func badField(_ b: UnsafeBufferPointer<UInt8>, _ field: Range<Int>, _ line: Int, _ index: Int,
                                 _ expected: String, _ flag: String, _ path: String) -> FileFormatError {
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[field]), as: UTF8.self)
        return FileFormatError(file: path, location: "section \(flag), line \(line + 1), field \(index + 1)",
                               "expected \(expected), found '\(text)'")
    }
}
