/// A prmtop as its sections: every `%FLAG` with its `%FORMAT`, comments and values, in file order.
/// Unknown sections are kept, so reading and writing a prmtop loses nothing. `Prmtop` is the decoded view.
public struct PrmtopFile: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case integers([Int])
        case reals([Double])
        case strings([String])

        public var count: Int {
            switch self {
            case .integers(let v): return v.count
            case .reals(let v): return v.count
            case .strings(let v): return v.count
            }
        }
    }

    public struct Section: Equatable, Sendable {
        public var flag: String
        public var format: FortranFormat
        public var comments: [String]
        public var values: Values
        /// 1-based line of the `%FLAG`, for messages about this section (0 for built sections).
        public var line: Int

        public init(flag: String, format: FortranFormat, comments: [String] = [], values: Values, line: Int = 0) {
            self.flag = flag
            self.format = format
            self.comments = comments
            self.values = values
            self.line = line
        }

        public static func == (a: Section, b: Section) -> Bool {
            a.flag == b.flag && a.format == b.format && a.comments == b.comments && a.values == b.values
        }
    }

    public static func == (a: PrmtopFile, b: PrmtopFile) -> Bool {
        a.version == b.version && a.sections == b.sections
    }

    /// The `%VERSION` line as written (empty when the file has none).
    public var version: String
    public var sections: [Section]
    /// The file path, for error messages.
    public var path: String
    /// tleap pads `%` lines and titles to 80 columns; kept so that its files round-trip byte for byte.
    public var padsHeaders: Bool

    /// Sections whose text is one free line, not fixed-width fields.
    static let titleFlags: Set<String> = ["TITLE", "CTITLE"]

    public init(version: String, sections: [Section], path: String, padsHeaders: Bool = true) {
        self.version = version
        self.sections = sections
        self.path = path
        self.padsHeaders = padsHeaders
    }

    public subscript(flag: String) -> Section? {
        sections.first { $0.flag == flag }
    }
}
