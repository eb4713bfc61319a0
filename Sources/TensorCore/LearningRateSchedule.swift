import Foundation

/// Learning rate over training: linear warm-up from `warmupStart`·base to base over
/// `warmupSteps`, then the base rate, multiplied by `plateauFactor` each time the monitored loss
/// has not improved (relative `plateauThreshold`) for `plateauPatience` observations, floored at
/// `minimumRate` (PyTorch's ReduceLROnPlateau in "rel" mode, with a cooldown).
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var baseRate: Double
    public var warmupSteps: Int
    public var warmupStart: Double
    public var plateauPatience: Int
    public var plateauFactor: Double
    public var plateauThreshold: Double
    public var plateauCooldown: Int
    public var minimumRate: Double

    public private(set) var best = Double.infinity
    public private(set) var badObservations = 0
    public private(set) var reductions = 0
    private var cooldownLeft = 0

    public init(baseRate: Double, warmupSteps: Int = 0, warmupStart: Double = 0.01, plateauPatience: Int = 10,
                plateauFactor: Double = 0.5, plateauThreshold: Double = 1e-4, plateauCooldown: Int = 0, minimumRate: Double = 0) {
        self.baseRate = baseRate; self.warmupSteps = warmupSteps; self.warmupStart = warmupStart
        self.plateauPatience = plateauPatience; self.plateauFactor = plateauFactor; self.plateauThreshold = plateauThreshold
        self.plateauCooldown = plateauCooldown; self.minimumRate = minimumRate
    }

    /// The rate for optimiser step `step` (0-based).
    public func rate(atStep step: Int) -> Double {
        let decayed = max(baseRate * Foundation.pow(plateauFactor, Double(reductions)), minimumRate)
        guard step < warmupSteps else { return decayed }
        let f = warmupStart + (1 - warmupStart) * Double(step) / Double(warmupSteps)
        return decayed * f
    }

    /// Records a validation (or epoch) loss; returns true when the rate was just reduced.
    @discardableResult
    public mutating func observe(loss: Double) -> Bool {
        if loss < best * (1 - plateauThreshold) {
            best = loss
            badObservations = 0
        } else {
            badObservations += 1
        }
        if cooldownLeft > 0 { cooldownLeft -= 1; badObservations = 0; return false }
        guard badObservations > plateauPatience else { return false }
        badObservations = 0
        cooldownLeft = plateauCooldown
        guard baseRate * Foundation.pow(plateauFactor, Double(reductions)) > minimumRate else { return false }
        reductions += 1
        return true
    }
}

