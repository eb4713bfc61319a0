/// The numbers one trajectory's analysis produces, in the units reports use (Å, degrees, ps, K).
/// Codable for `--json`; per-frame series are in frame order, beside `frameIndices` and `time`.
/// Atom numbers are 1-based (as AMBER masks and PDB files count); frame indices are 0-based (as
/// `FILE:INDEX`).
public struct TrajectorySummary: Codable, Sendable {
    public struct Series: Codable, Sendable {
        public var values: [Double]
        public var mean: Double
        public var standardDeviation: Double
        public var minimum: Double
        public var maximum: Double

        public init(_ values: [Double]) {
            let s = RunningStatistics(values)
            self.values = values
            mean = s.mean
            standardDeviation = s.standardDeviation
            minimum = values.isEmpty ? 0 : s.minimum
            maximum = values.isEmpty ? 0 : s.maximum
        }
    }

    /// One bonded term at one frame: the largest deviation, or the first collapse.
    public struct Term: Codable, Sendable {
        public var frame: Int
        public var time: Double
        /// 1-based atom numbers of the term (two for a bond, three for an angle, vertex in the middle).
        public var atoms: [Int]
        /// "CA (ALA 2)" per atom.
        public var labels: [String]
        /// The measured and reference value (Å or degrees) and their difference.
        public var value: Double
        public var reference: Double
        public var deviation: Double
        /// For a collapse: how many bonds exceed the threshold in that frame.
        public var termsOverThreshold: Int?
    }

    public struct Bonds: Codable, Sendable {
        public var count: Int
        public var rmsDeviation: Double
        /// Over the bonds the constraint rule leaves free.
        public var freeCount: Int
        public var freeRMSDeviation: Double
        public var maximum: Term?
        public var collapseThreshold: Double
        public var collapse: Term?
        public var collapsedFrames: Int
        public var perFrameRMS: [Double]
        public var perFrameMaximum: [Double]
        /// r − r₀ of the free bonds, Å.
        public var histogram: Histogram
    }

    public struct Angles: Codable, Sendable {
        public var count: Int
        public var rmsDeviation: Double
        public var freeCount: Int
        public var freeRMSDeviation: Double
        public var maximum: Term?
        public var perFrameRMS: [Double]
        /// θ − θ₀ of the free angles, degrees.
        public var histogram: Histogram
    }

    public struct RDF: Codable, Sendable {
        public struct Peak: Codable, Sendable { public var r: Double; public var g: Double }
        public var pairs: String
        public var particles: Int
        public var binWidth: Double
        public var maxDistance: Double
        public var limitedByCell: Bool
        public var r: [Double]
        public var g: [Double]
        public var firstPeak: Peak?
    }

    /// Two solute atoms that share no bond, angle or torsion, at one frame.
    public struct Contact: Codable, Sendable {
        public var frame: Int
        public var time: Double
        /// 1-based atom numbers and "CA (ALA 2)" labels.
        public var atoms: [Int]
        public var labels: [String]
        public var distance: Double
    }

    /// Per frame the closest such pair's distance; the closest of all, and clashes (closer than `clashDistance`).
    public struct Contacts: Codable, Sendable {
        public var series: Series
        public var closest: Contact
        public var clashDistance: Double
        public var firstClash: Contact?
        public var clashFrames: Int
    }

    public struct Temperature: Codable, Sendable {
        public var series: Series
        public var degreesOfFreedom: Int
        public var rule: String
    }

    public var file: String
    public var frames: Int
    public var frameIndices: [Int]
    public var time: [Double]
    /// Solute atoms (all, and heavy) after optimal superposition on the reference, Å.
    public var rmsd: Series?
    public var rmsdHeavy: Series?
    /// Mass-weighted, solute, Å.
    public var radiusOfGyration: Series?
    public var bonds: Bonds
    public var angles: Angles
    public var rdf: RDF?
    /// Nil when the trajectory has no velocities (see `notes`).
    public var temperature: Temperature?
    /// The solute atoms' own temperature (nil without velocities or solute).
    public var soluteTemperature: Temperature?
    /// Non-bonded solute contacts (nil without at least two solute atoms).
    public var contacts: Contacts?
    public var notes: [String]
}
