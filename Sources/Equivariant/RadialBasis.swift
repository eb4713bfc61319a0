import Foundation

/// NequIP's polynomial envelope (Batzner et al. 2022, after DimeNet's, Klicpera et al. 2020) of
/// x = r/rc: u(x) = 1 − (p+1)(p+2)/2 x^p + p(p+2) x^{p+1} − p(p+1)/2 x^{p+2} for x < 1, 0 beyond.
/// u(1) = u′(1) = u″(1) = 0, so anything multiplied by it goes to zero at the cutoff with its first two
/// derivatives. md uses p = 6 by default, as NequIP does.
public struct PolynomialEnvelope: Sendable {
    public let exponent: Int
    /// r(x) with u(x) = −(1 − x)³ r(x): evaluated in this factored form there is no cancellation near
    /// the cutoff (the expanded form loses ~1e-14 absolute to 1 − 28 + 48 − 21 at p = 6).
    private let reduced: [Double]

    public init(exponent: Int = 6) {
        precondition(exponent >= 2, "PolynomialEnvelope: exponent below 2")
        self.exponent = exponent
        let p = exponent
        // Coefficients of u (lowest degree first), then three synthetic divisions by (x − 1), exact in integers.
        var coefficients = [Double](repeating: 0, count: p + 3)
        coefficients[0] = 1
        coefficients[p] = -Double((p + 1) * (p + 2) / 2)
        coefficients[p + 1] = Double(p * (p + 2))
        coefficients[p + 2] = -Double(p * (p + 1) / 2)
        for _ in 0..<3 {
            let n = coefficients.count - 1
            var quotient = [Double](repeating: 0, count: n)
            var carry = 0.0
            for k in stride(from: n, through: 1, by: -1) { carry = coefficients[k] + carry; quotient[k - 1] = carry }
            precondition(coefficients[0] + carry == 0, "PolynomialEnvelope: no triple root at 1")
            coefficients = quotient
        }
        reduced = coefficients
    }

    /// Value and d/dx at x = r/rc.
    @inline(__always)
    public func callAsFunction(_ x: Double) -> (value: Double, derivative: Double) {
        guard x < 1 else { return (0, 0) }
        var r = 0.0, dr = 0.0
        for c in reduced.reversed() { dr = dr * x + r; r = r * x + c }
        let t = 1 - x, t2 = t * t
        return (-t2 * t * r, 3 * t2 * r - t2 * t * dr)
    }
}

/// A set of radial functions of the distance, evaluated edge by edge.
public protocol RadialBasis: Sendable {
    var count: Int { get }
    var cutoff: Double { get }
    /// Writes `count` values (and d/dr if asked) for one distance.
    func evaluate(_ r: Double, values: UnsafeMutablePointer<Double>, derivatives: UnsafeMutablePointer<Double>?)
}

extension RadialBasis {
    /// Edge-major batch: values[e·count + n] (and derivatives likewise) for E distances; computed in Double.
    public func evaluate<T: BinaryFloatingPoint>(distances: UnsafeBufferPointer<T>, values: UnsafeMutableBufferPointer<T>,
                                                 derivatives: UnsafeMutableBufferPointer<T>? = nil) {
        let n = count
        precondition(values.count >= distances.count * n, "RadialBasis: values buffer too small")
        if let d = derivatives { precondition(d.count >= distances.count * n, "RadialBasis: derivative buffer too small") }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * n) { scratch in
            let v = scratch.baseAddress!, dv = v + n
            for e in 0..<distances.count {
                evaluate(Double(distances[e]), values: v, derivatives: derivatives == nil ? nil : dv)
                for k in 0..<n { values[e * n + k] = T(v[k]) }
                if let d = derivatives { for k in 0..<n { d[e * n + k] = T(dv[k]) } }
            }
        }
    }

    /// Values of one distance, allocating.
    public func values(_ r: Double) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { evaluate(r, values: $0.baseAddress!, derivatives: nil) }
        return out
    }

    /// Values and d/dr of one distance, allocating.
    public func valuesAndDerivatives(_ r: Double) -> (values: [Double], derivatives: [Double]) {
        var out = [Double](repeating: 0, count: count), d = out
        out.withUnsafeMutableBufferPointer { o in d.withUnsafeMutableBufferPointer { evaluate(r, values: o.baseAddress!, derivatives: $0.baseAddress!) } }
        return (out, d)
    }
}

/// NequIP's Bessel basis times the envelope: b_n(r) = √(2/rc) · sin(nπr/rc)/r · u(r/rc), n = 1…count.
/// Finite at r = 0 (→ √(2/rc)·nπ/rc) and zero with two derivatives at and beyond rc.
public struct BesselBasis: RadialBasis {
    public var count: Int
    public var cutoff: Double
    public var envelope: PolynomialEnvelope

    public init(count: Int, cutoff: Double, envelope: PolynomialEnvelope = PolynomialEnvelope(exponent: 6)) {
        precondition(count > 0 && cutoff > 0, "BesselBasis: count and cutoff must be positive")
        self.count = count
        self.cutoff = cutoff
        self.envelope = envelope
    }

    public func evaluate(_ r: Double, values: UnsafeMutablePointer<Double>, derivatives: UnsafeMutablePointer<Double>?) {
        guard r < cutoff else {
            values.initialize(repeating: 0, count: count)
            derivatives?.initialize(repeating: 0, count: count)
            return
        }
        let prefactor = (2 / cutoff).squareRoot()
        let (u, du) = envelope(r / cutoff)
        let dudr = du / cutoff
        // sin(nx), cos(nx) with x = πr/rc by rotating through the angle x: one sin and one cos per
        // distance instead of one per function. Rotation rather than the Chebyshev three-term
        // recurrence, which turns cos x's rounding into a relative error of ~ε/x² at small x.
        let x = Double.pi / cutoff * r, sx = sin(x), cx = cos(x)
        var s = sx, c = cx
        for k in 0..<count {
            let a = Double(k + 1) * Double.pi / cutoff
            let ar = a * r
            var f: Double, df: Double  // sin(ar)/r and its derivative
            if ar < 1e-3 {
                let ar2 = ar * ar
                f = a * (1 - ar2 / 6 + ar2 * ar2 / 120)
                df = a * a * (-ar / 3 + ar * ar2 / 30)
            } else {
                f = s / r
                df = (ar * c - s) / (r * r)
            }
            values[k] = prefactor * f * u
            derivatives?[k] = prefactor * (df * u + f * dudr)
            (s, c) = (s * cx + c * sx, c * cx - s * sx)
        }
    }
}

/// Gaussians exp(−(r − μ_n)²/(2σ²)) with centres evenly spaced from `minimum` to `cutoff` and σ the
/// spacing (unless given), optionally times the polynomial envelope so they too vanish smoothly at rc.
public struct GaussianBasis: RadialBasis {
    public var count: Int
    public var cutoff: Double
    public var minimum: Double
    public var width: Double
    public var envelope: PolynomialEnvelope?

    public init(count: Int, cutoff: Double, minimum: Double = 0, width: Double? = nil,
                envelope: PolynomialEnvelope? = PolynomialEnvelope(exponent: 6)) {
        precondition(count > 1 && cutoff > minimum, "GaussianBasis: need two centres and cutoff > minimum")
        self.count = count
        self.cutoff = cutoff
        self.minimum = minimum
        self.width = width ?? (cutoff - minimum) / Double(count - 1)
        self.envelope = envelope
    }

    public func centre(_ n: Int) -> Double { minimum + (cutoff - minimum) * Double(n) / Double(count - 1) }

    public func evaluate(_ r: Double, values: UnsafeMutablePointer<Double>, derivatives: UnsafeMutablePointer<Double>?) {
        var (u, dudr) = (1.0, 0.0)
        if let envelope {
            guard r < cutoff else {
                values.initialize(repeating: 0, count: count)
                derivatives?.initialize(repeating: 0, count: count)
                return
            }
            let e = envelope(r / cutoff)
            (u, dudr) = (e.value, e.derivative / cutoff)
        }
        let inv = 1 / (width * width)
        for k in 0..<count {
            let d = r - centre(k)
            let g = Foundation.exp(-0.5 * d * d * inv)
            values[k] = g * u
            derivatives?[k] = -d * inv * g * u + g * dudr
        }
    }
}
