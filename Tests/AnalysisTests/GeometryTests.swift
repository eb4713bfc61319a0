import XCTest
@testable import Analysis
import AmberIO
import MDCore

enum AnalysisFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

final class GeometryTests: XCTestCase {
    func testRadiusOfGyrationOfKnownConfigurations() {
        // Cube corners of side s, equal masses: every corner is s√3/2 from the centre.
        let s = 2.5
        var corners: [SIMD3<Double>] = []
        for i in 0..<2 { for j in 0..<2 { for k in 0..<2 { corners.append(SIMD3(Double(i), Double(j), Double(k)) * s + SIMD3(7, -3, 1)) } } }
        XCTAssertEqual(RadiusOfGyration.of(corners, masses: Array(repeating: 12, count: 8)), s * 3.0.squareRoot() / 2, accuracy: 1e-12)
        // Two masses 1 and 3 a distance 4 apart: Rg² = m₁m₂d²/(m₁+m₂)² = 3.
        XCTAssertEqual(RadiusOfGyration.of([SIMD3(0, 0, 0), SIMD3(0, 4, 0)], masses: [1, 3]), 3.0.squareRoot(), accuracy: 1e-12)
    }

    func testMinimumImageInTriclinicCells() {
        let octahedron = Box(a: 30, b: 30, c: 30, alpha: 109.4712206, beta: 109.4712206, gamma: 109.4712206)
        let image = MinimumImage(box: octahedron)
        let (a, b, c) = octahedron.vectors
        let x = SIMD3(3.0, 4.0, 5.0), bond = SIMD3(0.6, -0.9, 0.55)
        for shift in [a, b - c, a - 2 * b + c, 3 * c - a, SIMD3<Double>.zero] {
            let d = image.displacement(from: x, to: x + bond + shift)
            XCTAssertLessThan(max(Swift.abs(d.x - bond.x), Swift.abs(d.y - bond.y), Swift.abs(d.z - bond.z)), 1e-12, "\(shift)")
        }
        XCTAssertEqual(image.exactWithin, 30 * (2.0 / 3).squareRoot() / 2, accuracy: 1e-6)
        XCTAssertEqual(MinimumImage(box: nil).displacement(from: .zero, to: SIMD3(100, 0, 0)), SIMD3(100, 0, 0))
    }

    func testWholeMoleculesUndoWrapping() {
        // A bonded chain 0–1–2–3 straddling the face of a 10 Å cell, wrapped atom by atom.
        let box = Box(a: 10, b: 10, c: 10)
        let chain = [SIMD3(8.5, 5.0, 5.0), SIMD3(9.6, 5.2, 5.1), SIMD3(10.7, 5.0, 5.3), SIMD3(11.6, 5.6, 5.0)]
        let wrapped = chain.map { SIMD3($0.x.truncatingRemainder(dividingBy: 10), $0.y, $0.z) }
        let topology = Topology(atoms: (0..<4).map { Topology.Atom(name: "C\($0)", element: .carbon, residueIndex: 0, mass: 12) },
                                residues: [Topology.Residue(name: "LIG", atoms: 0..<4, number: 1)],
                                bonds: [.init(0, 1), .init(1, 2), .init(2, 3)])
        let whole = WholeMolecules(topology: topology, atoms: [0, 1, 2, 3]).assemble(wrapped.flatMap { [$0.x, $0.y, $0.z] }, box: box)
        for k in 0..<4 {
            let d = whole[k] - chain[k]
            XCTAssertLessThan((d * d).sum().squareRoot(), 1e-12)
        }
        let masses = [Double](repeating: 12, count: 4)
        XCTAssertEqual(RadiusOfGyration.of(whole, masses: masses), RadiusOfGyration.of(chain, masses: masses), accuracy: 1e-12)
        XCTAssertGreaterThan(RadiusOfGyration.of(wrapped, masses: masses), 2 * RadiusOfGyration.of(chain, masses: masses))
    }

    func testBondAndAngleDeviationsAndCollapseDetection() throws {
        let prmtop = try Prmtop(contentsOf: AnalysisFixtures.path("ala2-water.prmtop"))
        let (frame, _) = try Rst7.read(AnalysisFixtures.path("ala2-water.rst7"))
        let geometry = BondedGeometry(prmtop: prmtop)
        XCTAssertEqual(geometry.bonds.count, prmtop.bonds.count)
        XCTAssertFalse(geometry.bonds.contains { $0.constrained } || geometry.angles.contains { $0.constrained })
        // With H-bond constraints and rigid TIP3P (bonded O–H, O–H, H–H; no water angle in this prmtop)
        // the free bonds are alanine dipeptide's nine heavy-atom bonds; all 36 angles stay free.
        let rigid = BondedGeometry(prmtop: prmtop, constraints: .hBonds)
        XCTAssertEqual(rigid.bonds.filter { !$0.constrained }.count, 9)
        XCTAssertEqual(rigid.angles.filter { !$0.constrained }.count, 36)
        let (bonds, angles) = geometry.deviations(frame.positions, box: frame.box)
        // Against a direct computation for every bond of the solute and the reference length from the file.
        for (n, bond) in prmtop.bonds.enumerated() where bond.i < 22 {
            let d = frame.position(bond.j) - frame.position(bond.i)
            XCTAssertEqual(bonds[n], (d * d).sum().squareRoot() - prmtop.bondEquilibriumLengths[bond.type], accuracy: 1e-12)
        }
        for (n, angle) in prmtop.angles.enumerated() where angle.j < 22 {
            let u = frame.position(angle.i) - frame.position(angle.j), v = frame.position(angle.k) - frame.position(angle.j)
            let theta = acos((u * v).sum() / ((u * u).sum() * (v * v).sum()).squareRoot())
            XCTAssertEqual(angles[n], (theta - prmtop.angleEquilibriumValues[angle.type]) * 180 / .pi, accuracy: 1e-8)
        }
        XCTAssertLessThan(bonds.map { Swift.abs($0) }.max()!, 0.2, "a prepared structure has no wild bonds")

        // Wrapping every atom into the cell splits waters across faces; deviations must not change.
        let box = try XCTUnwrap(frame.box)
        var wrapped = frame.positions
        let vectors = box.vectors
        let shift = SIMD3(13.3, 7.1, 2.9)
        var moved = 0
        for a in 0..<frame.atomCount {
            let offset = box.wrap(frame.position(a) + shift, vectors: vectors).offset
            if offset != .zero { moved += 1 }
            for k in 0..<3 { wrapped[3 * a + k] += shift[k] - offset[k] }
        }
        XCTAssertGreaterThan(moved, 100, "wrapping should move many atoms")
        let rewrapped = geometry.deviations(wrapped, box: box)
        for n in 0..<bonds.count { XCTAssertEqual(rewrapped.bonds[n], bonds[n], accuracy: 1e-9) }

        // Stretch one bond by 1 Å in frame 2 of three: the statistics name that frame and that bond.
        let target = try XCTUnwrap(prmtop.bonds.firstIndex { !$0.involvesHydrogen && $0.i < 22 })
        let (i, j) = (prmtop.bonds[target].i, prmtop.bonds[target].j)
        var broken = frame.positions
        let u = frame.position(j) - frame.position(i)
        let unit = u / (u * u).sum().squareRoot()
        for k in 0..<3 { broken[3 * j + k] += unit[k] }
        var statistics = BondedStatistics()
        for (index, positions) in [frame.positions, frame.positions, broken].enumerated() {
            var (b, a) = geometry.deviations(positions, box: box)
            b.withUnsafeBufferPointer { bp in a.withUnsafeMutableBufferPointer { ap in
                statistics.add(frame: index, time: Double(index) * 0.5, geometry: geometry, bondDeviations: bp, angleDeviations: UnsafeBufferPointer(ap))
            } }
        }
        let collapse = try XCTUnwrap(statistics.firstCollapse)
        XCTAssertEqual(collapse.frame, 2)
        XCTAssertEqual(collapse.time, 1.0)
        XCTAssertEqual(collapse.bond, target)
        XCTAssertEqual(collapse.deviation, bonds[target] + 1, accuracy: 1e-9)
        XCTAssertEqual(statistics.collapsedFrames, 1)
        XCTAssertEqual(statistics.maximumBond?.term, target)
        XCTAssertEqual(statistics.bondRMS.count, 3)
        XCTAssertEqual(statistics.bondRMS[0], statistics.bondRMS[1])
        XCTAssertGreaterThan(statistics.bondRMS[2], statistics.bondRMS[0])

        // Just under the threshold is not a collapse.
        var gentle = frame.positions
        let stretch = 0.45 - bonds[target]
        for k in 0..<3 { gentle[3 * j + k] += stretch * unit[k] }
        var calm = BondedStatistics()
        let (b, a) = geometry.deviations(gentle, box: box)
        b.withUnsafeBufferPointer { bp in a.withUnsafeBufferPointer { calm.add(frame: 0, time: 0, geometry: geometry, bondDeviations: bp, angleDeviations: $0) } }
        XCTAssertNil(calm.firstCollapse)
        XCTAssertEqual(calm.maximumBond?.deviation ?? 0, 0.45, accuracy: 1e-9)
    }

    func testTemperatureFromVelocitiesAndStatedDegreesOfFreedom() throws {
        let prmtop = try Prmtop(contentsOf: AnalysisFixtures.path("ala2-water.prmtop"))
        // Alanine dipeptide: 22 atoms, 12 of them hydrogen; the rest is 630 TIP3P waters.
        let rigid = KineticTemperature(prmtop: prmtop, constraints: .hBonds)
        XCTAssertEqual(rigid.degreesOfFreedom, 3 * 1912 - 3 * 630 - 12 - 3)
        let free = KineticTemperature(prmtop: prmtop, constraints: .none)
        XCTAssertEqual(free.degreesOfFreedom, 3 * 1912 - 3)
        XCTAssertTrue(rigid.rule.contains("3831"), rigid.rule)
        // v = (1/√m, 0, 0) for every atom gives Σ m v² = N, so K = N/2 amu Å²/ps².
        let velocities = prmtop.masses.flatMap { m -> [Double] in [1 / m.squareRoot(), 0, 0] }
        let kinetic = 1912.0 / 2 * 10 / 4184 // 1 amu Å²/ps² = 10 J/mol
        XCTAssertEqual(rigid.kineticEnergy(velocities), kinetic, accuracy: 1e-12)
        XCTAssertEqual(rigid.temperature(velocities), 2 * kinetic / (3831 * Units.boltzmann), accuracy: 1e-9)
    }
}
