/// A file md cannot use, with where and what: "ala2.prmtop: section POINTERS, line 5, field 3: expected
/// an integer, found 'x2'". Every reader throws this rather than trapping on bad input.
public struct FileFormatError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var location: String?
    public var message: String

    public init(file: String, location: String? = nil, _ message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String {
        [file, location, message].compactMap { $0 }.joined(separator: ": ")
    }
}

/// An I/O failure outside the file's content: missing, unreadable or unwritable.
public struct FileAccessError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
