/// Bond and angle deviations gathered over a trajectory: RMS and maximum overall and per frame, RMS and
/// histograms over the free (unconstrained) terms, whose deviations are the informative ones, and
/// the first frame where the structure collapsed, i.e. where some bonded distance, constrained or
/// not, is more than `collapseThreshold` from its reference length (the design's stability
/// criterion, 0.5 Å).
public struct BondedStatistics: Sendable {
    public struct Extreme: Codable, Equatable, Sendable {
        /// Index into the trajectory's frames as read (not the analysed-frame count).
        public var frame: Int
        public var time: Double
        /// Index into `BondedGeometry.bonds` or `.angles`.
        public var term: Int
        public var deviation: Double
    }

    public struct Collapse: Codable, Equatable, Sendable {
        public var frame: Int
        public var time: Double
        /// The bond that deviates most in that frame.
        public var bond: Int
        public var length: Double
        public var reference: Double
        public var deviation: Double
        /// How many bonds exceed the threshold in that frame.
        public var bondsOverThreshold: Int
    }

    public let collapseThreshold: Double
    /// Over free bonds and angles.
    public var bondHistogram: Histogram
    public var angleHistogram: Histogram
    /// Per analysed frame.
    public private(set) var bondRMS: [Double] = []
    public private(set) var bondMaximum: [Double] = []
    public private(set) var angleRMS: [Double] = []
    public private(set) var maximumBond: Extreme?
    public private(set) var maximumAngle: Extreme?
    public private(set) var firstCollapse: Collapse?
    public private(set) var collapsedFrames = 0
    private var bondSquares = 0.0, bondCount = 0
    private var freeBondSquares = 0.0, freeBondCount = 0
    private var angleSquares = 0.0, angleCount = 0
    private var freeAngleSquares = 0.0, freeAngleCount = 0

    public init(collapseThreshold: Double = 0.5,
                bondHistogram: Histogram = Histogram(lower: -0.25, upper: 0.25, bins: 125),
                angleHistogram: Histogram = Histogram(lower: -30, upper: 30, bins: 120)) {
        self.collapseThreshold = collapseThreshold
        self.bondHistogram = bondHistogram
        self.angleHistogram = angleHistogram
    }

    /// Adds one frame's deviations (from `BondedGeometry`).
    public mutating func add(frame: Int, time: Double, geometry: BondedGeometry,
                             bondDeviations: UnsafeBufferPointer<Double>, angleDeviations: UnsafeBufferPointer<Double>) {
        var squares = 0.0, largest = 0.0, largestTerm = -1, over = 0
        for (n, d) in bondDeviations.enumerated() {
            squares += d * d
            if !geometry.bonds[n].constrained {
                bondHistogram.add(d)
                freeBondSquares += d * d
                freeBondCount += 1
            }
            // A NaN deviation (coincident atoms cannot give one, but a corrupt frame might) counts as collapse.
            let size = d.isNaN ? Double.infinity : abs(d)
            if size > largest || largestTerm < 0 { largest = size; largestTerm = n }
            if size > collapseThreshold { over += 1 }
        }
        bondSquares += squares
        bondCount += bondDeviations.count
        bondRMS.append(bondDeviations.isEmpty ? 0 : (squares / Double(bondDeviations.count)).squareRoot())
        bondMaximum.append(largestTerm >= 0 ? largest : 0)
        if largestTerm >= 0, maximumBond.map({ largest > abs($0.deviation) }) ?? true {
            maximumBond = Extreme(frame: frame, time: time, term: largestTerm, deviation: bondDeviations[largestTerm])
        }
        if over > 0 {
            collapsedFrames += 1
            if firstCollapse == nil {
                let bond = geometry.bonds[largestTerm]
                let d = bondDeviations[largestTerm]
                firstCollapse = Collapse(frame: frame, time: time, bond: largestTerm, length: bond.length + d,
                                         reference: bond.length, deviation: d, bondsOverThreshold: over)
            }
        }
        var angleFrame = 0.0, angleLargest = -1.0, angleTerm = -1
        for (n, d) in angleDeviations.enumerated() {
            angleFrame += d * d
            if !geometry.angles[n].constrained {
                angleHistogram.add(d)
                freeAngleSquares += d * d
                freeAngleCount += 1
            }
            if abs(d) > angleLargest { angleLargest = abs(d); angleTerm = n }
        }
        angleSquares += angleFrame
        angleCount += angleDeviations.count
        angleRMS.append(angleDeviations.isEmpty ? 0 : (angleFrame / Double(angleDeviations.count)).squareRoot())
        if angleTerm >= 0, maximumAngle.map({ angleLargest > abs($0.deviation) }) ?? true {
            maximumAngle = Extreme(frame: frame, time: time, term: angleTerm, deviation: angleDeviations[angleTerm])
        }
    }

    /// RMS of r − r₀ over all bonds and frames, Å.
    public var bondRMSDeviation: Double { bondCount > 0 ? (bondSquares / Double(bondCount)).squareRoot() : 0 }
    /// The same over free bonds (not constrained), Å.
    public var freeBondRMSDeviation: Double { freeBondCount > 0 ? (freeBondSquares / Double(freeBondCount)).squareRoot() : 0 }
    /// RMS of θ − θ₀ over all angles and frames, degrees.
    public var angleRMSDeviation: Double { angleCount > 0 ? (angleSquares / Double(angleCount)).squareRoot() : 0 }
    /// The same over free angles, degrees.
    public var freeAngleRMSDeviation: Double { freeAngleCount > 0 ? (freeAngleSquares / Double(freeAngleCount)).squareRoot() : 0 }
}
