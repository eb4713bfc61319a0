import Foundation
import MDCore

/// The paper's metrics for predicted against target vectors (Townshend et al. 2020, §4.2 and
/// Table 1), averaged over atoms: tensor error ‖p − t‖, magnitude error |‖p‖ − ‖t‖|, angle
/// arccos(p·t / ‖p‖‖t‖) in degrees, the Pearson correlation of the magnitudes, and the relative
/// tensor error Σ‖p − t‖ / Σ‖t‖: the mean tensor error over the mean target magnitude, which is how
/// the paper's 0.25 follows from its Table 1 (20.7 / 81.5 meV/Å, the zero vector's tensor error
/// being the mean |F|). A mean of per-atom ratios would instead be ruled by the smallest forces. Vectors in the caller's
/// units; `inMeVPerAngstrom` converts force metrics from kcal/mol/Å for comparison with the paper.
public struct ForceMetrics: Codable, Equatable, Sendable {
    public var count: Int
    public var tensor: Double
    public var magnitude: Double
    /// Degrees; atoms where either vector is zero count as 90° (no direction to agree with).
    public var angle: Double
    public var pearson: Double
    public var relativeTensor: Double

    /// `predicted` and `target` are flat [x0, y0, z0, x1, …] buffers; `atoms` selects which to count
    /// (all when nil), e.g. protein atoms only as the paper does.
    public init(predicted: [Double], target: [Double], atoms: [Int]? = nil) {
        precondition(predicted.count == target.count && predicted.count % 3 == 0, "ForceMetrics: mismatched vector buffers")
        let selection = atoms ?? Array(0..<(target.count / 3))
        var tensor = 0.0, magnitude = 0.0, angle = 0.0, targetSum = 0.0
        var pm: [Double] = [], tm: [Double] = []
        pm.reserveCapacity(selection.count)
        tm.reserveCapacity(selection.count)
        for a in selection {
            let p = SIMD3(predicted[3 * a], predicted[3 * a + 1], predicted[3 * a + 2])
            let t = SIMD3(target[3 * a], target[3 * a + 1], target[3 * a + 2])
            let d = p - t
            let (np, nt, nd) = ((p * p).sum().squareRoot(), (t * t).sum().squareRoot(), (d * d).sum().squareRoot())
            tensor += nd
            magnitude += abs(np - nt)
            if np > 0 && nt > 0 {
                angle += acos(max(-1, min(1, (p * t).sum() / (np * nt)))) * 180 / .pi
            } else {
                angle += 90
            }
            targetSum += nt
            pm.append(np)
            tm.append(nt)
        }
        let n = Double(max(selection.count, 1))
        count = selection.count
        self.tensor = tensor / n
        self.magnitude = magnitude / n
        self.angle = angle / n
        relativeTensor = targetSum > 0 ? tensor / targetSum : .nan
        pearson = ForceMetrics.pearson(pm, tm)
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        guard x.count > 1 else { return .nan }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : .nan
    }

    /// Tensor and magnitude errors from kcal/mol/Å to meV/Å (angle, Pearson and relative error are unitless).
    public var inMeVPerAngstrom: ForceMetrics {
        var m = self
        m.tensor *= Units.meVPerKcalPerMol
        m.magnitude *= Units.meVPerKcalPerMol
        return m
    }
}
