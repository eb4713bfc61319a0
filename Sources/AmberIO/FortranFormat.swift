/// A Fortran edit descriptor as prmtop `%FORMAT` lines give it: `(10I8)`, `(5E16.8)`, `(20a4)`, `(8(F9.5))`.
public struct FortranFormat: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case integer, real, text }

    public var perLine: Int
    public var kind: Kind
    public var width: Int
    public var decimals: Int
    /// `F` rather than `E` notation for reals.
    public var isFixedPoint: Bool
    /// The descriptor as the file spelled it, written back verbatim.
    public var spelling: String

    public init(perLine: Int, kind: Kind, width: Int, decimals: Int = 0, isFixedPoint: Bool = false, spelling: String) {
        self.isFixedPoint = isFixedPoint
        self.perLine = perLine
        self.kind = kind
        self.width = width
        self.decimals = decimals
        self.spelling = spelling
    }

    /// Parses the text between `%FORMAT(` and `)`; nil when it is not a single repeated descriptor.
    public init?(parsing text: String) {
        let body = text.filter { $0 != "(" && $0 != ")" && $0 != " " }
        var chars = Substring(body)
        let countDigits = chars.prefix(while: \.isNumber)
        chars = chars.dropFirst(countDigits.count)
        guard let letter = chars.first else { return nil }
        chars = chars.dropFirst()
        let widthDigits = chars.prefix(while: \.isNumber)
        chars = chars.dropFirst(widthDigits.count)
        var decimals = 0
        if chars.first == "." {
            chars = chars.dropFirst()
            let decimalDigits = chars.prefix(while: \.isNumber)
            guard let d = Int(decimalDigits) else { return nil }
            decimals = d
            chars = chars.dropFirst(decimalDigits.count)
        }
        // Bounds keep a corrupt descriptor from sizing buffers; real prmtops use at most 20 × 80.
        guard chars.isEmpty, let width = Int(widthDigits), width > 0, width <= 1000 else { return nil }
        let perLine = countDigits.isEmpty ? 1 : Int(countDigits) ?? 0
        guard perLine > 0, perLine <= 1000 else { return nil }
        switch letter {
        case "a", "A": kind = .text
        case "i", "I": kind = .integer
        case "e", "E", "f", "F", "d", "D", "g", "G": kind = .real
        default: return nil
        }
        self.perLine = perLine
        self.width = width
        self.decimals = decimals
        self.isFixedPoint = letter == "f" || letter == "F"
        self.spelling = text
    }

    public var description: String { spelling }
}
