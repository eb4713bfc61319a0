/// Settings of a trajectory analysis, with the defaults `md compare` documents.
public struct AnalysisOptions: Sendable {
    /// g(r) range and bin width, Å.
    public var rdfMaxDistance = 8.0
    public var rdfBinWidth = 0.05
    /// A bond more than this from its reference length marks a collapse, Å.
    public var collapseThreshold = 0.5
    /// Two solute atoms that share no bond, angle or torsion closer than this are a clash, Å.
    public var clashDistance = 1.4

    public init(rdfMaxDistance: Double = 8.0, rdfBinWidth: Double = 0.05, collapseThreshold: Double = 0.5, clashDistance: Double = 1.4) {
        self.rdfMaxDistance = rdfMaxDistance
        self.rdfBinWidth = rdfBinWidth
        self.collapseThreshold = collapseThreshold
        self.clashDistance = clashDistance
    }
}
