import AmberIO
import Foundation
import MDCore

/// The AMBER energy function of a prmtop as a `ForceProvider`: bonds, angles, torsions, impropers,
/// CMAP, 1-4 pairs, and Lennard-Jones + Coulomb either over all pairs (vacuum) or with a cutoff and
/// smooth PME (periodic), with the long-range dispersion correction.
public final class ClassicalForceField: ForceProvider {
    public let terms: AmberTerms
    public let options: ClassicalOptions
    public var atomCount: Int { terms.atomCount }
    /// The terms of the last `compute`.
    public private(set) var lastEnergies = EnergyTerms()
    /// Pairs in the Verlet list and how often it was built (0 without a cutoff).
    public var neighborPairCount: Int { directSpace?.pairCount ?? 0 }
    public var neighborListBuilds: Int { directSpace?.buildCount ?? 0 }
    /// The PME parameters in use (nil without PME); chosen for the first box seen.
    public private(set) var pmeParameters: PMEParameters?

    private let coulomb: Double
    private let noCutoff: NoCutoffNonbonded?
    private let excludedPairs: [(Int32, Int32)]
    private let dispersionCoefficient: Double
    private var directSpace: DirectSpace?
    private var reciprocal: PMEReciprocalSpace?
    private let cmap: CMAPTerms?

    public convenience init(prmtop: Prmtop, options: ClassicalOptions = ClassicalOptions()) throws {
        try self.init(terms: AmberTerms(prmtop), options: options, path: prmtop.path)
    }

    public init(terms: AmberTerms, options: ClassicalOptions, path: String = "system") throws {
        self.terms = terms
        self.options = options
        coulomb = options.coulomb.value
        cmap = terms.cmaps.isEmpty ? nil : try CMAPTerms(terms: terms)
        switch options.nonbonded {
        case .noCutoff:
            noCutoff = NoCutoffNonbonded(terms: terms, coulomb: coulomb, threads: options.threads)
            excludedPairs = []
            dispersionCoefficient = 0
        case let .pme(cutoff, tolerance):
            guard cutoff > 0, tolerance > 0, tolerance < 0.5 else {
                throw ClassicalForceFieldError.badOptions("PME needs a positive cutoff and a tolerance in (0, 0.5); got \(cutoff) Å and \(tolerance)")
            }
            noCutoff = nil
            excludedPairs = terms.excludedPairs
            dispersionCoefficient = options.dispersionCorrection ? LongRangeCorrections.dispersionCoefficient(terms: terms, cutoff: cutoff) : 0
            directSpace = DirectSpace(terms: terms, coulomb: coulomb, cutoff: cutoff, skin: options.skin,
                                      precision: options.precision, threads: options.threads)
        }
    }

    public func compute(positions: UnsafeBufferPointer<Double>, box: Box?, forces: UnsafeMutableBufferPointer<Double>) throws -> Double? {
        guard positions.count == 3 * atomCount, forces.count == 3 * atomCount else {
            throw ClassicalForceFieldError.badOptions("expected \(3 * atomCount) coordinates, got \(positions.count)")
        }
        forces.update(repeating: 0)
        var e = EnergyTerms()
        let geometry = PeriodicGeometry(options.nonbonded == .noCutoff ? nil : box)
        BondedKernels.all(terms, cmap: cmap, coulomb: coulomb, positions, geometry, forces, into: &e)

        switch options.nonbonded {
        case .noCutoff:
            (e.elec, e.vdw) = noCutoff!.compute(positions, forces)
        case let .pme(cutoff, tolerance):
            guard let box else { throw ClassicalForceFieldError.needsBox }
            try preparePME(box: box, cutoff: cutoff, tolerance: tolerance)
            let alpha = pmeParameters!.alpha
            (e.elecDirect, e.vdw) = try directSpace!.compute(positions, box: box, alpha: alpha, cutoff: cutoff, forces)
            e.elecReciprocal = terms.charges.withUnsafeBufferPointer { q in
                reciprocal!.compute(positions: positions, charges: q, box: box, coulombConstant: coulomb, forces: forces)
            }
            e.elecSelf = PMEReciprocalSpace.selfEnergy(charges: terms.charges, alpha: alpha, coulombConstant: coulomb)
                + PMEReciprocalSpace.neutralizingBackgroundEnergy(totalCharge: terms.charges.reduce(0, +), volume: box.volume,
                                                                  alpha: alpha, coulombConstant: coulomb)
            e.elecExcluded = LongRangeCorrections.excludedPairs(excludedPairs, charges: terms.charges, coulomb: coulomb,
                                                                alpha: alpha, positions, geometry, forces)
            e.elec = e.elecDirect + e.elecReciprocal + e.elecSelf + e.elecExcluded
            e.dispersionCorrection = dispersionCoefficient / box.volume
        }
        lastEnergies = e
        let total = e.total
        guard total.isFinite else { throw ClassicalForceFieldError.nonFinite(worstAtom: Self.worstAtom(forces)) }
        return total
    }

    public func resetCaches() { directSpace?.invalidate() }

    /// PME's α and grid follow OpenMM's rule for the first box; a box change keeps them, as OpenMM does.
    /// FFTW plans by its estimate, not by timing candidates (FFTW_MEASURE): a timed choice can differ
    /// from one process to the next, and with it the transforms' rounding, so a run continued from
    /// its restart would part from the uninterrupted run.
    private func preparePME(box: Box, cutoff: Double, tolerance: Double) throws {
        guard reciprocal == nil else { return }
        let parameters = PMEParameters(cutoff: cutoff, tolerance: tolerance, box: box)
        pmeParameters = parameters
        reciprocal = PMEReciprocalSpace(atomCount: atomCount, parameters: parameters, threads: options.threads, planning: .estimate)
    }

    static func worstAtom(_ forces: UnsafeMutableBufferPointer<Double>) -> Int {
        var worst = 0, largest = -1.0
        for i in 0..<forces.count / 3 {
            let m = forces[3 * i].magnitude + forces[3 * i + 1].magnitude + forces[3 * i + 2].magnitude
            if !m.isFinite { return i }
            if m > largest { largest = m; worst = i }
        }
        return worst
    }
}

public enum ClassicalForceFieldError: Error, CustomStringConvertible {
    case badOptions(String)
    case needsBox
    case nonFinite(worstAtom: Int)

    public var description: String {
        switch self {
        case .badOptions(let s): return s
        case .needsBox: return "PME needs a periodic box; the coordinates have none (use --nonbonded nocutoff for vacuum)"
        case .nonFinite(let atom): return "the energy is not finite; atom \(atom + 1) has the largest or a non-finite force"
        }
    }
}
