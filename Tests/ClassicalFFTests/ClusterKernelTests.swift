import XCTest
import AmberIO
@testable import ClassicalFF
import MDCore

/// The cluster-pair direct-space kernel (Float, 8×8 cluster pairs) against the per-atom Verlet-list
/// kernel in Double, which is the readable reference: same pairs, same physics, so the two agree to
/// Float rounding.
final class ClusterKernelTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func system(_ name: String) throws -> (terms: AmberTerms, positions: [Double], box: Box) {
        let prmtop = try Prmtop(contentsOf: Self.root.appendingPathComponent("systems/\(name)/\(name).prmtop").path)
        let frame = try Rst7.read(Self.root.appendingPathComponent("systems/\(name)/\(name).rst7").path).frame
        return (AmberTerms(prmtop), frame.positions, frame.box!)
    }

    /// The first n atoms, with the exclusions among them.
    private func subset(_ terms: AmberTerms, _ x: [Double], _ n: Int) -> (AmberTerms, [Double]) {
        var t = terms
        t.atomCount = n
        t.charges = Array(t.charges.prefix(n))
        t.ljTypes = Array(t.ljTypes.prefix(n))
        t.exclusions = t.exclusions.prefix(n).map { $0.filter { $0 < n } }
        return (t, Array(x.prefix(3 * n)))
    }

    private struct Result { var elec: Double; var vdw: Double; var forces: [Double] }

    private func evaluate(_ kernel: DirectSpace, _ x: [Double], _ box: Box, alpha: Double = 0.35, cutoff: Double = 9) throws -> Result {
        var forces = [Double](repeating: 0, count: x.count)
        let (elec, vdw) = try x.withUnsafeBufferPointer { p in
            try forces.withUnsafeMutableBufferPointer { f in try kernel.compute(p, box: box, alpha: alpha, cutoff: cutoff, f) }
        }
        return Result(elec: elec, vdw: vdw, forces: forces)
    }

    private func kernels(_ terms: AmberTerms, cutoff: Double = 9) -> (fast: DirectSpace, reference: DirectSpace) {
        let fast = DirectSpace(terms: terms, coulomb: Units.coulombAmber, cutoff: cutoff, skin: 1, precision: .mixed, threads: 2)
        let reference = DirectSpace(terms: terms, coulomb: Units.coulombAmber, cutoff: cutoff, skin: 1, precision: .double, threads: 2)
        return (fast, reference)
    }

    /// The cluster kernel's difference from the Double reference: at most `forceBound` (relative RMS
    /// force) and no worse than the per-atom Float kernel's own (same Float arithmetic, so the same
    /// ~2·10⁻⁶, most of it the erfc approximation); energies within a few 10⁻⁶.
    private func assertAgree(_ fast: DirectSpace, _ reference: DirectSpace, _ terms: AmberTerms, _ x: [Double], _ box: Box, _ label: String,
                             forceBound: Double = 3e-6, file: StaticString = #filePath, line: UInt = #line) throws {
        let perAtom = DirectSpace(terms: terms, coulomb: Units.coulombAmber, cutoff: 9, skin: 1, precision: .mixed, threads: 2, kernel: .perAtom)
        let (f, r, p) = (try evaluate(fast, x, box), try evaluate(reference, x, box), try evaluate(perAtom, x, box))
        let error = OpenMMReference.relativeRMS(f.forces, r.forces), perAtomError = OpenMMReference.relativeRMS(p.forces, r.forces)
        XCTAssertLessThan(error, forceBound, "\(label): relative RMS force difference", file: file, line: line)
        XCTAssertLessThan(error, 1.2 * perAtomError + 2e-7, "\(label): no worse than the per-atom Float kernel", file: file, line: line)
        XCTAssertEqual(f.elec, r.elec, accuracy: 3e-6 * abs(r.elec), "\(label): Coulomb energy", file: file, line: line)
        XCTAssertEqual(f.vdw, r.vdw, accuracy: 2.5e-6 * abs(r.vdw) + 1e-9, "\(label): LJ energy", file: file, line: line)
        print("cluster kernel \(label): relative RMS force difference \(error) (per-atom Float kernel \(perAtomError)); energy differences "
              + "\(f.elec - r.elec), \(f.vdw - r.vdw) kcal/mol (per-atom Float \(p.elec - r.elec), \(p.vdw - r.vdw))")
    }

    func testMatchesReferenceKernelInOrthorhombicAndOctahedralCells() throws {
        for name in ["ala2-water", "protein-octahedron"] {
            let (terms, x, box) = try system(name)
            let (fast, reference) = kernels(terms)
            guard case .clusters = fast else { return XCTFail("\(name): expected the cluster kernel (Lorentz–Berthelot tables)") }
            try assertAgree(fast, reference, terms, x, box, name)
        }
    }

    /// Atoms displaced at random and scattered over neighbouring images (the list wraps them), then
    /// moved again past half the skin so the list is rebuilt.
    func testDisplacedAndWrappedPositionsAndRebuilds() throws {
        var rng = SplitMix64(seed: 7)
        var (terms, x0, box) = try system("protein-octahedron")
        (terms, x0) = subset(terms, x0, 800)
        let (a, b, c) = box.vectors
        var x = x0
        for i in 0..<terms.atomCount {
            let image = a * Double(Int.random(in: -1...1, using: &rng)) + b * Double(Int.random(in: -1...1, using: &rng))
                + c * Double(Int.random(in: -2...1, using: &rng))
            for d in 0..<3 { x[3 * i + d] += Double.random(in: -0.3...0.3, using: &rng) + image[d] }
        }
        let (fast, reference) = kernels(terms)
        try assertAgree(fast, reference, terms, x, box, "displaced and wrapped")
        // Small moves reuse both the list and its pruned masks (atoms stay within half the prune margin).
        guard case .clusters(let clusters) = fast else { return XCTFail("expected the cluster kernel") }
        let prunes = clusters.pruneCount
        for k in 0..<x.count { x[k] += Double.random(in: -0.05...0.05, using: &rng) }
        try assertAgree(fast, reference, terms, x, box, "small move, pruned masks reused")
        XCTAssertEqual(clusters.pruneCount, prunes, "a move within half the prune margin keeps the pruned masks")
        for k in 0..<x.count { x[k] += Double.random(in: -0.4...0.4, using: &rng) }
        let builds = fast.buildCount
        try assertAgree(fast, reference, terms, x, box, "moved past half the skin")
        XCTAssertEqual(fast.buildCount, builds + 1, "a move past half the skin rebuilds the cluster list")
    }

    /// An atom count that is not a multiple of eight (padded clusters), with the exclusions of the atoms kept.
    func testPartialClustersAndExclusions() throws {
        var (terms, x, box) = try system("ala2-water")
        let n = 1001
        (terms, x) = subset(terms, x, n)
        let (fast, reference) = kernels(terms)
        guard case .clusters(let clusters) = fast else { return XCTFail("expected the cluster kernel") }
        try assertAgree(fast, reference, terms, x, box, "1001 atoms")
        XCTAssertGreaterThan(clusters.list.clusterCount * 8, n)
    }

    /// Twenty atoms within a few Å, each excluded from every other: nothing is left to compute.
    func testAllPairsExcludedGivesZero() throws {
        var (terms, x, _) = try system("ala2-water")
        let n = 20
        (terms, x) = subset(terms, x, n)
        terms.exclusions = (0..<n).map { i in (0..<n).filter { $0 != i }.map(Int32.init) }
        x = Array(x.prefix(3 * n))
        let box = Box(a: 30, b: 30, c: 30)
        let (fast, _) = kernels(terms)
        guard case .clusters = fast else { return XCTFail("expected the cluster kernel") }
        let result = try evaluate(fast, x, box)
        XCTAssertEqual(result.elec, 0)
        XCTAssertEqual(result.vdw, 0)
        XCTAssertEqual(result.forces.map(abs).max(), 0)
        XCTAssertEqual(fast.pairCount, 0)
        // With the exclusions dropped, all 190 pairs are within the cutoff and the kernels agree.
        terms.exclusions = Array(repeating: [], count: n)
        let (open, openReference) = kernels(terms)
        // Bonded neighbours 1 Å apart: r⁻¹³ forces magnify Float's position rounding.
        try assertAgree(open, openReference, terms, x, box, "20 atoms, no exclusions", forceBound: 2e-5)
        XCTAssertEqual(openReference.pairCount, n * (n - 1) / 2)
    }

    /// Tables that break Lorentz–Berthelot (an NBFIX-style pair) send mixed precision to the per-atom kernel.
    func testNBFIXFallsBackToPerAtomKernel() throws {
        var (terms, _, _) = try system("ala2-water")
        XCTAssertNotNil(LorentzBerthelot(terms: terms))
        let nt = terms.ljTypeCount
        let (t, u) = (0, 1)
        terms.ljA[t * nt + u] *= 1.01
        terms.ljA[u * nt + t] *= 1.01
        XCTAssertNil(LorentzBerthelot(terms: terms))
        guard case .mixed = kernels(terms).fast else { return XCTFail("expected the per-atom kernel") }
    }
}
