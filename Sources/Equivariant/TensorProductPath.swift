/// One coupling of a TFN convolution: an input feature of order `input` times the filter's
/// spherical harmonic of order `filter`, projected onto order `output` by the real Clebsch–Gordan
/// tensor (`ClebschGordan.real`, md's normalisation ‖C‖²_F = 2·output + 1).
public struct TensorProductPath: Equatable, Sendable, CustomStringConvertible {
    public let input: Int, filter: Int, output: Int
    /// Non-zero coupling entries (m indices 0…2l).
    public let entries: [ClebschGordan.Entry]

    public init(input: Int, filter: Int, output: Int) {
        self.input = input; self.filter = filter; self.output = output
        entries = ClebschGordan.sparse(input, filter, output)
    }

    public var description: String { "\(input)⊗\(filter)→\(output)" }

    /// Every allowed path from `input` orders through filters 0…`filterMax` to `output` orders:
    /// the triangle rule |l_in − l_f| ≤ l_out ≤ l_in + l_f and even l_in + l_f + l_out (natural parity
    /// in and out; the odd paths, such as the cross product 1⊗1→1, would turn polar vectors axial).
    /// Ordered by output order, then input, then filter.
    public static func all(input: [Int], filterMax: Int, output: [Int]) -> [TensorProductPath] {
        var paths: [TensorProductPath] = []
        for lo in output {
            for li in input {
                for lf in 0...filterMax where abs(li - lf) <= lo && lo <= li + lf && (li + lf + lo) % 2 == 0 {
                    paths.append(TensorProductPath(input: li, filter: lf, output: lo))
                }
            }
        }
        return paths
    }
}
