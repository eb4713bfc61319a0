import MDCore

/// Analyses one trajectory frame by frame: RMSD of the solute (all atoms and heavy atoms) after
/// optimal superposition on a reference structure, mass-weighted radius of gyration, bond and angle
/// deviations from the force field's reference values with collapse detection, the water O–O g(r),
/// and the temperature when velocities are stored. Frames are fed in any order the caller reads
/// them; buffers are reused, so a long trajectory costs no allocation per frame beyond the series.
public final class TrajectoryAnalysis {
    public let system: AnalysisSystem
    public let options: AnalysisOptions
    private let reference: [SIMD3<Double>]
    private var solute: [SIMD3<Double>]
    private var oxygens: [SIMD3<Double>]
    private var bondDeviations: [Double]
    private var angleDeviations: [Double]
    private var frameIndices: [Int] = []
    private var times: [Double] = []
    private var rmsd: [Double] = []
    private var rmsdHeavy: [Double] = []
    private var gyration: [Double] = []
    private var temperatures: [Double] = []
    private var soluteTemperatures: [Double] = []
    private var closestContacts: [Double] = []
    private var closest: TrajectorySummary.Contact?, firstClash: TrajectorySummary.Contact?
    private var clashFrames = 0
    private var framesWithoutVelocities = 0
    private var framesWithoutBox = 0
    private var bonded: BondedStatistics
    private var rdf: RadialDistribution

    /// `reference` is a full-system flat position buffer (e.g. the first frame of the other
    /// trajectory, or the system's coordinates) in the cell `referenceBox`.
    public init(system: AnalysisSystem, reference: [Double], referenceBox: Box?, options: AnalysisOptions = AnalysisOptions()) {
        precondition(reference.count == 3 * system.atomCount, "TrajectoryAnalysis: reference of the wrong size")
        self.system = system
        self.options = options
        self.reference = system.solute.assemble(reference, box: referenceBox)
        solute = Array(repeating: .zero, count: system.selection.solute.count)
        oxygens = Array(repeating: .zero, count: system.selection.waterOxygens.count)
        bondDeviations = Array(repeating: 0, count: system.geometry.bonds.count)
        angleDeviations = Array(repeating: 0, count: system.geometry.angles.count)
        bonded = BondedStatistics(collapseThreshold: options.collapseThreshold)
        rdf = RadialDistribution(maxDistance: options.rdfMaxDistance, binWidth: options.rdfBinWidth)
    }

    /// Adds frame `index` (its index in the file, reported with collapses and extremes).
    public func add(_ frame: Frame, index: Int) {
        precondition(frame.atomCount == system.atomCount, "TrajectoryAnalysis: frame of the wrong size")
        let image = MinimumImage(box: frame.box)
        frameIndices.append(index)
        times.append(frame.time)
        frame.positions.withUnsafeBufferPointer { x in
            if !solute.isEmpty {
                solute.withUnsafeMutableBufferPointer { system.solute.assemble(x, image: image, into: $0) }
                solute.withUnsafeBufferPointer { s in
                    if let c = system.contacts.closest(s, image: image) { addContact(c, frame: index, time: frame.time) }
                    reference.withUnsafeBufferPointer { r in
                        rmsd.append(Superposition(fitting: s, onto: r).rmsd)
                        if !system.soluteHeavyLocal.isEmpty {
                            system.soluteHeavyLocal.withUnsafeBufferPointer { heavy in
                                rmsdHeavy.append(Superposition(fitting: s, onto: r, atoms: heavy).rmsd)
                            }
                        }
                    }
                    system.soluteMasses.withUnsafeBufferPointer { gyration.append(RadiusOfGyration.of(s, masses: $0)) }
                }
            }
            bondDeviations.withUnsafeMutableBufferPointer { system.geometry.bondDeviations(x, image: image, into: $0) }
            angleDeviations.withUnsafeMutableBufferPointer { system.geometry.angleDeviations(x, image: image, into: $0) }
            bondDeviations.withUnsafeBufferPointer { b in
                angleDeviations.withUnsafeBufferPointer { a in
                    bonded.add(frame: index, time: frame.time, geometry: system.geometry, bondDeviations: b, angleDeviations: a)
                }
            }
            if let box = frame.box, oxygens.count > 1 {
                for (k, atom) in system.selection.waterOxygens.enumerated() {
                    oxygens[k] = SIMD3(x[3 * atom], x[3 * atom + 1], x[3 * atom + 2])
                }
                rdf.add(oxygens, box: box)
            } else if frame.box == nil {
                framesWithoutBox += 1
            }
        }
        if let velocities = frame.velocities {
            temperatures.append(system.kinetics.temperature(velocities))
            if let solute = system.soluteKinetics { soluteTemperatures.append(solute.temperature(velocities)) }
        } else {
            framesWithoutVelocities += 1
        }
    }

    private func addContact(_ c: (i: Int, j: Int, distance: Double), frame: Int, time: Double) {
        closestContacts.append(c.distance)
        let atoms = [system.selection.solute[c.i], system.selection.solute[c.j]]
        let contact = TrajectorySummary.Contact(frame: frame, time: time, atoms: atoms.map { $0 + 1 }, labels: atoms.map(system.label),
                                                distance: c.distance)
        if closest == nil || c.distance < closest!.distance { closest = contact }
        if c.distance < options.clashDistance {
            clashFrames += 1
            if firstClash == nil { firstClash = contact }
        }
    }

    private func bondTerm(_ extreme: BondedStatistics.Extreme) -> TrajectorySummary.Term {
        let bond = system.geometry.bonds[extreme.term]
        return TrajectorySummary.Term(frame: extreme.frame, time: extreme.time, atoms: [bond.i + 1, bond.j + 1],
                                      labels: [system.label(bond.i), system.label(bond.j)], value: bond.length + extreme.deviation,
                                      reference: bond.length, deviation: extreme.deviation, termsOverThreshold: nil)
    }

    public func summary(file: String) -> TrajectorySummary {
        var notes: [String] = []
        let geometry = system.geometry
        let collapse = bonded.firstCollapse.map { c -> TrajectorySummary.Term in
            let bond = geometry.bonds[c.bond]
            return TrajectorySummary.Term(frame: c.frame, time: c.time, atoms: [bond.i + 1, bond.j + 1],
                                          labels: [system.label(bond.i), system.label(bond.j)], value: c.length,
                                          reference: c.reference, deviation: c.deviation, termsOverThreshold: c.bondsOverThreshold)
        }
        let maximumAngle = bonded.maximumAngle.map { e -> TrajectorySummary.Term in
            let angle = geometry.angles[e.term]
            return TrajectorySummary.Term(frame: e.frame, time: e.time, atoms: [angle.i + 1, angle.j + 1, angle.k + 1],
                                          labels: [system.label(angle.i), system.label(angle.j), system.label(angle.k)],
                                          value: angle.angle + e.deviation, reference: angle.angle, deviation: e.deviation,
                                          termsOverThreshold: nil)
        }
        let bonds = TrajectorySummary.Bonds(
            count: geometry.bonds.count, rmsDeviation: bonded.bondRMSDeviation,
            freeCount: geometry.bonds.filter { !$0.constrained }.count, freeRMSDeviation: bonded.freeBondRMSDeviation,
            maximum: bonded.maximumBond.map(bondTerm), collapseThreshold: bonded.collapseThreshold, collapse: collapse,
            collapsedFrames: bonded.collapsedFrames, perFrameRMS: bonded.bondRMS, perFrameMaximum: bonded.bondMaximum,
            histogram: bonded.bondHistogram)
        let angles = TrajectorySummary.Angles(count: geometry.angles.count, rmsDeviation: bonded.angleRMSDeviation,
                                              freeCount: geometry.angles.filter { !$0.constrained }.count,
                                              freeRMSDeviation: bonded.freeAngleRMSDeviation, maximum: maximumAngle,
                                              perFrameRMS: bonded.angleRMS, histogram: bonded.angleHistogram)
        var rdfSummary: TrajectorySummary.RDF?
        if system.selection.waterOxygens.count < 2 {
            notes.append("no water: no O–O g(r)")
        } else if rdf.frames == 0 {
            notes.append("no periodic box in the frames: no O–O g(r)")
        } else {
            let (r, g) = (rdf.radii, rdf.values)
            rdfSummary = TrajectorySummary.RDF(
                pairs: "water O–O", particles: system.selection.waterOxygens.count, binWidth: rdf.binWidth,
                maxDistance: rdf.maxDistance, limitedByCell: rdf.rangeLimitedByCell, r: r, g: g,
                firstPeak: RadialDistribution.firstPeak(radii: r, values: g).map { .init(r: $0.r, g: $0.g) })
            if rdf.rangeLimitedByCell {
                notes.append("g(r) range cut to \(rdf.maxDistance) Å, just under half the cell's smallest width")
            }
            if framesWithoutBox > 0 { notes.append("\(framesWithoutBox) frames without a box left out of g(r)") }
        }
        var temperature: TrajectorySummary.Temperature?, soluteTemperature: TrajectorySummary.Temperature?
        if let solute = system.soluteKinetics, !soluteTemperatures.isEmpty {
            soluteTemperature = .init(series: .init(soluteTemperatures), degreesOfFreedom: solute.degreesOfFreedom, rule: solute.rule)
        }
        if temperatures.isEmpty {
            notes.append("no velocities in the trajectory: no temperature")
        } else {
            temperature = .init(series: .init(temperatures), degreesOfFreedom: system.kinetics.degreesOfFreedom, rule: system.kinetics.rule)
            if framesWithoutVelocities > 0 { notes.append("\(framesWithoutVelocities) frames without velocities left out of the temperature") }
        }
        if system.selection.solute.isEmpty { notes.append("no solute atoms (all water and ions): no RMSD or Rg") }
        return TrajectorySummary(
            file: file, frames: frameIndices.count, frameIndices: frameIndices, time: times,
            rmsd: rmsd.isEmpty ? nil : .init(rmsd), rmsdHeavy: rmsdHeavy.isEmpty ? nil : .init(rmsdHeavy),
            radiusOfGyration: gyration.isEmpty ? nil : .init(gyration), bonds: bonds, angles: angles, rdf: rdfSummary,
            temperature: temperature, soluteTemperature: soluteTemperature,
            contacts: closest.map { .init(series: .init(closestContacts), closest: $0, clashDistance: options.clashDistance,
                                          firstClash: firstClash, clashFrames: clashFrames) },
            notes: notes)
    }
}
