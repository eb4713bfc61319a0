import AmberIO
import Foundation
import MDCore
import XCTest
import ClassicalFF

final class PMETests: XCTestCase {
    static let k = Units.coulombAmber
    static let orthorhombic = Box(a: 21, b: 23, c: 19)
    static let octahedron = Box(a: 22, b: 22, c: 22, alpha: 109.4712206, beta: 109.4712206, gamma: 109.4712206)
    static let triclinic = Box(a: 20, b: 22, c: 24, alpha: 80, beta: 100, gamma: 95)

    /// PME energy and forces (forces start from zero).
    func pme(_ system: PMETestSystem, grid: SIMD3<Int>, alpha: Double, threads: Int = 2, order: Int = 5)
        -> (energy: Double, forces: [Double]) {
        let pme = PMEReciprocalSpace(atomCount: system.atomCount, gridSize: grid, alpha: alpha, order: order,
                                     threads: threads, planning: .estimate)
        return Self.run(pme, system)
    }

    static func run(_ pme: PMEReciprocalSpace, _ system: PMETestSystem) -> (energy: Double, forces: [Double]) {
        var forces = [Double](repeating: 0, count: 3 * system.atomCount)
        let energy = system.positions.withUnsafeBufferPointer { p in
            system.charges.withUnsafeBufferPointer { q in
                forces.withUnsafeMutableBufferPointer { f in
                    pme.compute(positions: p, charges: q, box: system.box, coulombConstant: k, forces: f)
                }
            }
        }
        return (energy, forces)
    }

    /// RMS force difference relative to the RMS reference force.
    static func relativeForceError(_ f: [Double], _ reference: [Double]) -> Double {
        var diff = 0.0, norm = 0.0
        for i in f.indices {
            diff += (f[i] - reference[i]) * (f[i] - reference[i])
            norm += reference[i] * reference[i]
        }
        return (diff / norm).squareRoot()
    }

    static func gridFor(_ box: Box, spacing: Double) -> SIMD3<Int> {
        let v = box.vectors
        return SIMD3(Int((v.a.x / spacing).rounded(.up)), Int((v.b.y / spacing).rounded(.up)), Int((v.c.z / spacing).rounded(.up)))
    }

    // MARK: - a. Against a direct Ewald sum

    /// PME against the plain k-vector sum on grids of spacing 1.2 → 0.25 Å: the error falls with every
    /// refinement, is loose on the coarse grid and ~1e-7 on the finest.
    func checkAgainstEwald(_ box: Box, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let alpha = 0.3
        let system = PMETestSystem.random(count: 30, box: box, seed: seed)
        let reference = ReferenceEwald.reciprocal(system, alpha: alpha, coulombConstant: Self.k)
        XCTAssertGreaterThan(reference.energy, 1, file: file, line: line)
        var previous = (energy: Double.infinity, forces: Double.infinity)
        var finest: [Double] = []
        for spacing in [1.2, 0.8, 0.5, 0.25] {
            let grid = Self.gridFor(box, spacing: spacing)
            let result = pme(system, grid: grid, alpha: alpha)
            finest = result.forces
            let energyError = abs(result.energy - reference.energy) / abs(reference.energy)
            let forceError = Self.relativeForceError(result.forces, reference.forces)
            XCTAssertLessThan(energyError, previous.energy, "\(box.shapeName) grid \(grid)", file: file, line: line)
            XCTAssertLessThan(forceError, previous.forces, "\(box.shapeName) grid \(grid)", file: file, line: line)
            previous = (energyError, forceError)
            if spacing == 1.2 {
                XCTAssertLessThan(energyError, 1e-3, "coarse \(box.shapeName)", file: file, line: line)
                XCTAssertLessThan(forceError, 3e-3, "coarse \(box.shapeName)", file: file, line: line)
            }
        }
        XCTAssertLessThan(previous.energy, 1e-7, "fine \(box.shapeName)", file: file, line: line)
        XCTAssertLessThan(previous.forces, 1e-6, "fine \(box.shapeName)", file: file, line: line)
        // Largest single force-component error relative to the largest force component.
        let maxError = zip(finest, reference.forces).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(maxError / reference.forces.map(abs).max()!, 1e-6, file: file, line: line)
    }

    func testMatchesEwaldOrthorhombic() { checkAgainstEwald(Self.orthorhombic, seed: 1) }
    func testMatchesEwaldTruncatedOctahedron() { checkAgainstEwald(Self.octahedron, seed: 2) }
    func testMatchesEwaldGeneralTriclinic() { checkAgainstEwald(Self.triclinic, seed: 3) }

    /// Odd and even grid sizes, other spline orders and a net charge (PME then omits m = 0 like Ewald).
    func testMatchesEwaldOtherOrdersAndChargedSystem() {
        var system = PMETestSystem.random(count: 25, box: Self.triclinic, seed: 11)
        system.charges[0] += 0.7
        let alpha = 0.32
        let reference = ReferenceEwald.reciprocal(system, alpha: alpha, coulombConstant: Self.k)
        let cases = [(order: 4, grid: SIMD3(81, 88, 95), energy: 3e-6, forces: 5e-5),
                     (order: 6, grid: SIMD3(60, 67, 72), energy: 1e-7, forces: 1e-6),
                     (order: 5, grid: SIMD3(63, 65, 77), energy: 1e-6, forces: 1e-5)]
        for c in cases {
            let result = pme(system, grid: c.grid, alpha: alpha, order: c.order)
            XCTAssertEqual(result.energy, reference.energy, accuracy: c.energy * abs(reference.energy), "order \(c.order)")
            XCTAssertLessThan(Self.relativeForceError(result.forces, reference.forces), c.forces, "order \(c.order)")
        }
    }

    // MARK: - b. Forces are −∇E

    func testForcesAreMinusEnergyGradient() {
        for (box, grid) in [(Self.triclinic, SIMD3(24, 25, 27)), (Self.orthorhombic, SIMD3(20, 24, 18))] {
            let system = PMETestSystem.random(count: 30, box: box, seed: 21)
            let alpha = 0.3
            let engine = PMEReciprocalSpace(atomCount: system.atomCount, gridSize: grid, alpha: alpha, threads: 2, planning: .estimate)
            let forces = Self.run(engine, system).forces
            let h = 1e-4
            for atom in [0, 7, 29] {
                for d in 0..<3 {
                    var plus = system, minus = system
                    plus.positions[3 * atom + d] += h
                    minus.positions[3 * atom + d] -= h
                    let numeric = -(Self.run(engine, plus).energy - Self.run(engine, minus).energy) / (2 * h)
                    let analytic = forces[3 * atom + d]
                    XCTAssertEqual(analytic, numeric, accuracy: 1e-5 * max(abs(analytic), 1e-3 * forces.map(abs).max()!),
                                   "\(box.shapeName) atom \(atom) component \(d)")
                }
            }
            // Net force vanishes (translation invariance of the continuous sum; PME breaks it only slightly).
            var net = SIMD3<Double>.zero
            for i in 0..<system.atomCount { net += SIMD3(forces[3 * i], forces[3 * i + 1], forces[3 * i + 2]) }
            XCTAssertLessThan((net * net).sum().squareRoot(), 1e-2 * forces.map(abs).max()!)
        }
    }

    // MARK: - c. Periodicity and translation

    func testWrappingAndTranslationInvariance() {
        for (box, seed) in [(Self.orthorhombic, UInt64(31)), (Self.octahedron, 32), (Self.triclinic, 33)] {
            let system = PMETestSystem.random(count: 30, box: box, seed: seed)
            let grid = Self.gridFor(box, spacing: 0.5)
            let engine = PMEReciprocalSpace(atomCount: system.atomCount, gridSize: grid, alpha: 0.3, threads: 2, planning: .estimate)
            let base = Self.run(engine, system)
            let v = box.vectors
            var rng = PMETestRandom(seed: seed + 100)
            func randomInt(_ range: ClosedRange<Int>) -> Int {
                range.lowerBound + Int(rng.next() % UInt64(range.count))
            }

            // Each atom moved by its own random lattice vector (up to ±3 cells): exactly the same system.
            var wrapped = system
            for i in 0..<system.atomCount {
                let shift = Double(randomInt(-3...3)) * v.a + Double(randomInt(-3...3)) * v.b + Double(randomInt(-3...3)) * v.c
                for d in 0..<3 { wrapped.positions[3 * i + d] += shift[d] }
            }
            let w = Self.run(engine, wrapped)
            XCTAssertEqual(w.energy, base.energy, accuracy: 1e-9 * abs(base.energy), box.shapeName)
            XCTAssertLessThan(Self.relativeForceError(w.forces, base.forces), 1e-9, box.shapeName)

            // Translation of everything by a whole number of grid cells along each box vector: the charge
            // grid is cyclically shifted, so PME itself is exactly invariant.
            var gridShifted = system
            let gridShift = Double(randomInt(-50...50)) / Double(grid.x) * v.a + Double(randomInt(-50...50)) / Double(grid.y) * v.b
                + Double(randomInt(-50...50)) / Double(grid.z) * v.c
            for i in 0..<system.atomCount { for d in 0..<3 { gridShifted.positions[3 * i + d] += gridShift[d] } }
            let g = Self.run(engine, gridShifted)
            XCTAssertEqual(g.energy, base.energy, accuracy: 1e-9 * abs(base.energy), box.shapeName)
            XCTAssertLessThan(Self.relativeForceError(g.forces, base.forces), 1e-9, box.shapeName)

            // Any other translation: the Ewald sum is invariant, PME only up to its discretisation error
            // (measured 1e-8…2e-7 relative in energy, ~1.4e-5 RMS-relative in forces on this 0.5 Å grid).
            var translated = system
            let shift = SIMD3(rng.uniform(-30, 30), rng.uniform(-30, 30), rng.uniform(-30, 30))
            for i in 0..<system.atomCount { for d in 0..<3 { translated.positions[3 * i + d] += shift[d] } }
            let t = Self.run(engine, translated)
            XCTAssertEqual(t.energy, base.energy, accuracy: 1e-6 * abs(base.energy), box.shapeName)
            XCTAssertLessThan(Self.relativeForceError(t.forces, base.forces), 5e-5, box.shapeName)
        }
    }

    // MARK: - d. Parameters as OpenMM chooses them

    /// Values reported by OpenMM 8.6.1 `NonbondedForce.getPMEParametersInContext` (CPU and Reference
    /// platforms; the CPU platform only reports its rounded grid after the first energy evaluation), obtained
    /// with /work/venv/bin/python running, for each system NAME and tol in (5e-4, 1e-6):
    ///
    ///     prm = app.AmberPrmtopFile(f"systems/{NAME}/{NAME}.prmtop")
    ///     system = prm.createSystem(nonbondedMethod=app.PME, nonbondedCutoff=0.9*unit.nanometer,
    ///                               ewaldErrorTolerance=tol)
    ///     nb = [f for f in system.getForces() if isinstance(f, mm.NonbondedForce)][0]
    ///     ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName(PLATFORM))
    ///     ctx.setPositions(app.AmberInpcrdFile(f"systems/{NAME}/{NAME}.rst7").positions)
    ///     ctx.getState(getEnergy=True)
    ///     print(nb.getPMEParametersInContext(ctx))   # (alpha /nm, nx, ny, nz)
    ///
    /// α = 2.9202898720871846 /nm (tol 5e-4) and 4.024978088645877 /nm (tol 1e-6) on both platforms. The box
    /// is the prmtop's (OpenMM's default box vectors); h_ii of the octahedron are 31.06, 29.28, 25.36 Å.
    func testParametersMatchOpenMM() {
        let ala2 = Box(a: 31.397856, b: 34.100045, c: 29.272966)
        let octahedron = Box(a: 31.0597741, b: 31.0597741, c: 31.0597741, alpha: 109.4712190, beta: 109.4712190, gamma: 109.4712190)
        let bench = Box(a: 70.371365, b: 70.410346, c: 77.345423)
        let chignolin = Box(a: 41.123286, b: 38.729446, c: 37.63762)
        typealias Case = (box: Box, tol: Double, cpu: SIMD3<Int>, reference: SIMD3<Int>)
        let cases: [Case] = [
            (ala2, 5e-4, SIMD3(28, 32, 27), SIMD3(28, 31, 27)),
            (ala2, 1e-6, SIMD3(135, 147, 125), SIMD3(134, 146, 125)),
            (octahedron, 5e-4, SIMD3(28, 27, 24), SIMD3(28, 27, 23)),
            (octahedron, 1e-6, SIMD3(135, 125, 108), SIMD3(133, 125, 108)),
            (bench, 5e-4, SIMD3(63, 63, 70), SIMD3(63, 63, 69)),
            (bench, 1e-6, SIMD3(300, 300, 330), SIMD3(300, 300, 329)),
            (chignolin, 5e-4, SIMD3(40, 35, 35), SIMD3(37, 35, 34)),
            (chignolin, 1e-6, SIMD3(175, 165, 162), SIMD3(175, 165, 161)),
        ]
        for c in cases {
            let cpu = PMEParameters(cutoff: 9, tolerance: c.tol, box: c.box)
            let reference = PMEParameters(cutoff: 9, tolerance: c.tol, box: c.box, rule: .openMMReference)
            XCTAssertEqual(cpu.gridSize, c.cpu, "\(c.box) tol \(c.tol)")
            XCTAssertEqual(reference.gridSize, c.reference, "\(c.box) tol \(c.tol)")
            let openMMAlpha = c.tol == 5e-4 ? 2.9202898720871846 : 4.024978088645877 // 1/nm
            XCTAssertEqual(cpu.alpha, openMMAlpha / 10, accuracy: 1e-15)
            XCTAssertEqual(cpu.order, 5)
        }
        XCTAssertEqual(PMEParameters.ewaldAlpha(cutoff: 9, tolerance: 5e-4), 0.29202898720871846, accuracy: 1e-15)
        // Rounding rules: the CPU platform accepts one factor 11, the GPU rule 2·3·5·7 only; minimum 6.
        XCTAssertEqual(PMEParameters.legalFFTDimension(329), 330)
        XCTAssertEqual(PMEParameters.legalFFTDimension(329, rule: .factors2357), 336)
        XCTAssertEqual(PMEParameters.legalFFTDimension(31, rule: .factors2357), 32)
        XCTAssertEqual(PMEParameters.legalFFTDimension(13), 14)
        XCTAssertEqual(PMEParameters.legalFFTDimension(121), 125)
        XCTAssertEqual(PMEParameters(cutoff: 9, tolerance: 5e-4, box: Box(a: 5, b: 5, c: 5)).gridSize, SIMD3(6, 6, 6))
        XCTAssertEqual(PMEParameters(alpha: 0.3, gridSize: SIMD3(10, 12, 14)).gridSize, SIMD3(10, 12, 14))
    }

    // MARK: - OpenMM's reciprocal-space energy and forces for the committed systems

    /// OpenMM 8.6.1, Reference platform (double precision), cutoff 0.9 nm, ewaldErrorTolerance 5e-4,
    /// positions and box from the rst7, NonbondedForce reciprocal space alone in force group 1:
    ///
    ///     for f in system.getForces(): f.setForceGroup(2)
    ///     nb.setForceGroup(0); nb.setReciprocalSpaceForceGroup(1)
    ///     ctx.setPositions(inpcrd.positions); ctx.setPeriodicBoxVectors(*inpcrd.boxVectors)
    ///     state = ctx.getState(getEnergy=True, getForces=True, groups={1})   # kJ/mol → kcal/mol: /4.184
    ///
    /// That group's energy is E_rec + E_self (+ the neutralising-background term, < 1e-19 kcal/mol here);
    /// the excluded-pair corrections belong to OpenMM's direct-space group.
    /// OpenMM 8.6.1 compiles in 1/(4πε₀) = 138.93545764438198 kJ·nm/(mol·e²) (measured: two unit charges
    /// 1 nm apart, NoCutoff, Reference platform), 1.2e-8 above the 138.935456 of `Units.coulombOpenMM`, so
    /// this test uses OpenMM's exact constant; agreement is then ~1e-12 relative.
    func testMatchesOpenMMReferencePlatformOnCommittedSystems() throws {
        let openMMCoulomb = 138.93545764438198 * Units.angstromPerNanometer * Units.kcalPerKJ
        typealias Expected = (name: String, grid: SIMD3<Int>, groupEnergy: Double, forces: [Int: SIMD3<Double>])
        let expectations: [Expected] = [
            ("ala2-water", SIMD3(28, 31, 27), -35925.03401679034, [
                0: SIMD3(0.04149994662555199, -0.34958082964537474, -0.49226520573908444),
                5: SIMD3(-1.87087814351779, 1.6289571243269325, 1.9908526858763473),
                1911: SIMD3(-0.692031335615684, 0.13324617313699777, 0.9968512532241229),
            ]),
            ("protein-octahedron", SIMD3(28, 27, 23), -35053.688534762885, [
                0: SIMD3(0.25439120175590685, 0.05385666714401961, 0.0076334861443004744),
                5: SIMD3(-1.0204195057998142, 1.8875062610502193, -1.816138278546759),
                1863: SIMD3(1.709528363861948, -0.3265800237673399, 0.7856726175298199),
            ]),
        ]
        for e in expectations {
            let system = try Self.committedSystem(e.name)
            let box = system.box
            let alpha = 0.29202898720871846
            let engine = PMEReciprocalSpace(atomCount: system.atomCount, gridSize: e.grid, alpha: alpha, threads: 2, planning: .estimate)
            var forces = [Double](repeating: 0, count: 3 * system.atomCount)
            let energy = system.positions.withUnsafeBufferPointer { p in
                system.charges.withUnsafeBufferPointer { q in
                    forces.withUnsafeMutableBufferPointer { f in
                        engine.compute(positions: p, charges: q, box: box, coulombConstant: openMMCoulomb, forces: f)
                    }
                }
            }
            let selfEnergy = PMEReciprocalSpace.selfEnergy(charges: system.charges, alpha: alpha, coulombConstant: openMMCoulomb)
            let background = PMEReciprocalSpace.neutralizingBackgroundEnergy(
                totalCharge: system.charges.reduce(0, +), volume: box.volume, alpha: alpha, coulombConstant: openMMCoulomb)
            print("PME vs OpenMM \(e.name): \(energy + selfEnergy + background - e.groupEnergy)")
            XCTAssertEqual(energy + selfEnergy + background, e.groupEnergy, accuracy: 5e-9, e.name)
            for (atom, f) in e.forces {
                for d in 0..<3 {
                    XCTAssertEqual(forces[3 * atom + d], f[d], accuracy: 1e-11, "\(e.name) atom \(atom)")
                }
            }
        }
    }

    // MARK: - API behaviour

    func testThreadCountsAgreeAndForcesAreAdded() {
        let system = PMETestSystem.random(count: 37, box: Self.octahedron, seed: 41)
        // ≥ 65536 points, so the FFT is split into uneven slabs and column ranges for 2, 3 and 5 workers.
        let grid = SIMD3(41, 40, 42)
        let one = pme(system, grid: grid, alpha: 0.3, threads: 1)
        for threads in [2, 3, 5] {
            let many = pme(system, grid: grid, alpha: 0.3, threads: threads)
            XCTAssertEqual(many.energy, one.energy, accuracy: 1e-12 * abs(one.energy))
            XCTAssertLessThan(Self.relativeForceError(many.forces, one.forces), 1e-12)
        }
        // compute() adds into the buffer; repeated calls (cached influence function) give the same result.
        let engine = PMEReciprocalSpace(atomCount: system.atomCount, gridSize: grid, alpha: 0.3, threads: 2, planning: .estimate)
        var forces = [Double](repeating: 1, count: 3 * system.atomCount)
        var energies: [Double] = []
        for _ in 0..<2 {
            let e = system.positions.withUnsafeBufferPointer { p in
                system.charges.withUnsafeBufferPointer { q in
                    forces.withUnsafeMutableBufferPointer { f in
                        engine.compute(positions: p, charges: q, box: system.box, coulombConstant: Self.k, forces: f)
                    }
                }
            }
            energies.append(e)
        }
        XCTAssertEqual(energies[0], one.energy, accuracy: 1e-12 * abs(one.energy))
        XCTAssertEqual(energies[1], energies[0])
        for i in forces.indices { XCTAssertEqual(forces[i], 1 + 2 * one.forces[i], accuracy: 1e-10) }
        // A different box on the same engine invalidates the cached influence function.
        var bigger = system
        bigger.box = Box(a: 23, b: 23, c: 23, alpha: 109.4712206, beta: 109.4712206, gamma: 109.4712206)
        let fresh = pme(bigger, grid: grid, alpha: 0.3, threads: 2)
        XCTAssertEqual(Self.run(engine, bigger).energy, fresh.energy, accuracy: 1e-12 * abs(fresh.energy))
    }

    func testNonFinitePositionGivesNaNAndLeavesForces() {
        var system = PMETestSystem.random(count: 10, box: Self.orthorhombic, seed: 51)
        system.positions[4] = .nan
        let result = pme(system, grid: SIMD3(16, 16, 16), alpha: 0.3)
        XCTAssertTrue(result.energy.isNaN)
        XCTAssertEqual(result.forces, [Double](repeating: 0, count: 30))
    }

    func testSelfAndBackgroundEnergy() {
        XCTAssertEqual(PMEReciprocalSpace.selfEnergy(charges: [0.5, -1, 0.5], alpha: 0.3, coulombConstant: Self.k),
                       -Self.k * 0.3 / Double.pi.squareRoot() * 1.5, accuracy: 1e-12)
        XCTAssertEqual(PMEReciprocalSpace.neutralizingBackgroundEnergy(totalCharge: 0, volume: 1000, alpha: 0.3, coulombConstant: Self.k), 0)
        XCTAssertEqual(PMEReciprocalSpace.neutralizingBackgroundEnergy(totalCharge: 2, volume: 1000, alpha: 0.5, coulombConstant: 1),
                       -Double.pi * 4 / (2 * 1000 * 0.25), accuracy: 1e-15)
    }

    // MARK: - Timing (MD_LONG_TESTS=1, meant for `swift test -c release`)

    func testTiming() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["MD_LONG_TESTS"] == "1", "set MD_LONG_TESTS=1")
        let cases: [(system: String, grid: SIMD3<Int>)] = [
            ("ala2-water", SIMD3(28, 32, 27)), ("ala2-water", SIMD3(32, 32, 32)), ("protein-octahedron", SIMD3(28, 27, 24)),
            ("bench-30k", SIMD3(63, 63, 70)), ("bench-30k", SIMD3(72, 72, 80)),
        ]
        for c in cases {
            let system = try Self.committedSystem(c.system)
            let count = system.atomCount
            for threads in [1, 2] {
                let start = Date()
                let engine = PMEReciprocalSpace(atomCount: count, gridSize: c.grid, alpha: 0.292, threads: threads, planning: .measure)
                let setup = Date().timeIntervalSince(start)
                _ = Self.run(engine, system)
                engine.resetPhaseTimes()
                let repeats = 40
                var forces = [Double](repeating: 0, count: 3 * count)
                let t0 = Date()
                system.positions.withUnsafeBufferPointer { p in
                    system.charges.withUnsafeBufferPointer { q in
                        forces.withUnsafeMutableBufferPointer { f in
                            for _ in 0..<repeats {
                                _ = engine.compute(positions: p, charges: q, box: system.box, coulombConstant: Self.k, forces: f)
                            }
                        }
                    }
                }
                let perCall = Date().timeIntervalSince(t0) / Double(repeats)
                let p = engine.phaseTimes
                let ms = { (x: Double) in 1000 * x / Double(p.calls) }
                print(String(format: "PME timing %@: %d atoms, grid %d×%d×%d, %d thread(s): %.3f ms per compute (plan %.2f s)"
                             + " [spread %.2f, FFTs+convolution %.2f, forces %.2f ms]",
                             c.system, count, c.grid.x, c.grid.y, c.grid.z, threads, perCall * 1000, setup,
                             ms(p.spread), ms(p.transform), ms(p.forces)))
            }
        }
    }

    /// Charges, positions and box of a system in systems/.
    static func committedSystem(_ name: String) throws -> PMETestSystem {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systems").appendingPathComponent(name)
        let prmtop = try Prmtop(contentsOf: dir.appendingPathComponent("\(name).prmtop").path)
        let frame = try Rst7.read(dir.appendingPathComponent("\(name).rst7").path).frame
        return PMETestSystem(positions: frame.positions, charges: prmtop.charges, box: try XCTUnwrap(frame.box))
    }
}
