import XCTest
import MDCore
@testable import Equivariant

final class NeighborGraphTests: XCTestCase {
    struct Neighbour: Hashable { var j: Int; var image: SIMD3<Int32> }

    /// Brute force: every atom at every image near the minimum one, sorted; the k + 1 nearest.
    private func bruteForce(_ x: [Double], box: Box?, k: Int, range: Int, within: Double) -> [[(Neighbour, Double)]] {
        let n = x.count / 3
        var result: [[(Neighbour, Double)]] = []
        for i in 0..<n {
            let xi = SIMD3(x[3 * i], x[3 * i + 1], x[3 * i + 2])
            var all: [(Neighbour, Double)] = []
            for j in 0..<n {
                let xj = SIMD3(x[3 * j], x[3 * j + 1], x[3 * j + 2])
                guard let box else {
                    if j != i { all.append((Neighbour(j: j, image: .zero), ((xj - xi) * (xj - xi)).sum().squareRoot())) }
                    continue
                }
                let v = box.vectors
                let s = box.fractional(xj - xi, vectors: v)
                let base = SIMD3<Int>(-Int(s.x.rounded()), -Int(s.y.rounded()), -Int(s.z.rounded()))
                for a in -range...range { for b in -range...range { for c in -range...range {
                    let img = base &+ SIMD3(a, b, c)
                    if j == i && img == .zero { continue }
                    let d = xj - xi + v.a * Double(img.x) + v.b * Double(img.y) + v.c * Double(img.z)
                    let r = (d * d).sum().squareRoot()
                    if r < within { all.append((Neighbour(j: j, image: SIMD3<Int32>(truncatingIfNeeded: img)), r)) }
                } } }
            }
            all.sort { $0.1 < $1.1 }
            if box != nil { precondition(all.count > k, "brute force: widen `within`") }
            result.append(Array(all.prefix(k + 1)))
        }
        return result
    }

    private func randomAtoms(_ n: Int, box: Box, spread: Double, seed: UInt64) -> [Double] {
        var g = SplitMix64(seed: seed)
        let v = box.vectors
        var x: [Double] = []
        for _ in 0..<n {
            // Fractional coordinates in [−spread, 1 + spread): many atoms several cells away.
            let s = SIMD3(Double.random(in: -spread..<(1 + spread), using: &g), Double.random(in: -spread..<(1 + spread), using: &g),
                          Double.random(in: -spread..<(1 + spread), using: &g))
            let p = v.a * s.x + v.b * s.y + v.c * s.z
            x += [p.x, p.y, p.z]
        }
        return x
    }

    private func checkAgainstBruteForce(_ x: [Double], box: Box?, k: Int, range: Int = 2, within: Double = 14, exactSets: Bool = true) {
        let graph = NeighborGraphBuilder(neighborsPerAtom: k, switchWidth: 0.3).build(positions: x, box: box)
        let reference = bruteForce(x, box: box, k: k, range: range, within: within)
        let n = x.count / 3
        XCTAssertEqual(graph.starts.count, n + 1)
        for i in 0..<n {
            let lo = Int(graph.starts[i]), hi = Int(graph.starts[i + 1])
            let ref = reference[i]
            XCTAssertEqual(hi - lo, min(k, ref.count))
            for e in lo..<hi {
                XCTAssertEqual(Int(graph.centers[e]), i)
                XCTAssertEqual(graph.distances[e], ref[e - lo].1, accuracy: 1e-9)
                // The displacement is the stated image of the given positions.
                let j = Int(graph.neighbors[e])
                var d = SIMD3(x[3 * j] - x[3 * i], x[3 * j + 1] - x[3 * i + 1], x[3 * j + 2] - x[3 * i + 2])
                if let box {
                    let v = box.vectors, img = graph.images[e]
                    d += v.a * Double(img.x) + v.b * Double(img.y) + v.c * Double(img.z)
                }
                let disp = graph.displacement(e)
                XCTAssertLessThan(((d - disp) * (d - disp)).sum().squareRoot(), 1e-9)
                XCTAssertEqual((disp * disp).sum().squareRoot(), graph.distances[e], accuracy: 1e-12)
            }
            if exactSets {
                let got = Set((lo..<hi).map { Neighbour(j: Int(graph.neighbors[$0]), image: graph.images[$0]) })
                XCTAssertEqual(got, Set(ref.prefix(k).map(\.0)), "centre \(i)")
            }
            let dx = ref.count > k ? ref[k].1 : .infinity
            if dx.isFinite { XCTAssertEqual(graph.exclusionDistances[i], dx, accuracy: 1e-9) } else { XCTAssertEqual(graph.exclusionDistances[i], dx) }
        }
    }

    func testMatchesBruteForceOrthorhombic() {
        let box = Box(a: 21, b: 24, c: 19)
        checkAgainstBruteForce(randomAtoms(400, box: box, spread: 2, seed: 21), box: box, k: 50)
    }

    func testMatchesBruteForceTriclinic() {
        let octahedron = acos(-1.0 / 3.0) * 180 / Double.pi
        let truncatedOctahedron = Box(a: 26, b: 26, c: 26, alpha: octahedron, beta: octahedron, gamma: octahedron)
        checkAgainstBruteForce(randomAtoms(400, box: truncatedOctahedron, spread: 3, seed: 22), box: truncatedOctahedron, k: 50)
        let skewed = Box(a: 22, b: 19, c: 24, alpha: 70, beta: 80, gamma: 105)
        checkAgainstBruteForce(randomAtoms(350, box: skewed, spread: 1.5, seed: 23), box: skewed, k: 40)
    }

    /// Boxes narrower than the neighbourhood: many images of each atom, the atom's own included.
    /// (Images of one atom tie in distance, so only the distances are compared.)
    func testTinyBoxManyImages() {
        let box = Box(a: 4, b: 5, c: 4.5, alpha: 85, beta: 95, gamma: 100)
        checkAgainstBruteForce(randomAtoms(3, box: box, spread: 5, seed: 24), box: box, k: 50, range: 6, within: .infinity, exactSets: false)
    }

    func testNoBox() {
        var g = SplitMix64(seed: 25)
        let x = (0..<(3 * 120)).map { _ in Double.random(in: 0..<14, using: &g) }
        checkAgainstBruteForce(x, box: nil, k: 50, within: .infinity)
        let few = Array(x.prefix(3 * 10))
        checkAgainstBruteForce(few, box: nil, k: 50, within: .infinity)
        let graph = NeighborGraphBuilder().build(positions: few, box: nil)
        XCTAssertEqual(graph.edgeCount, 10 * 9)
        XCTAssertTrue(graph.weights.allSatisfy { $0 == 1 })
    }

    /// Translating everything, or moving single atoms by lattice vectors, leaves each centre's
    /// (neighbour, displacement) set unchanged.
    func testInvarianceUnderTranslationAndWrapping() {
        let box = Box(a: 20, b: 22, c: 21, alpha: 80, beta: 95, gamma: 100)
        let x = randomAtoms(300, box: box, spread: 0, seed: 26)
        var g = SplitMix64(seed: 27)
        let v = box.vectors
        let t = SIMD3(13.7, -41.2, 7.9)
        var moved = x
        for i in 0..<300 {
            let n = SIMD3(Double(Int.random(in: -3...3, using: &g)), Double(Int.random(in: -3...3, using: &g)), Double(Int.random(in: -3...3, using: &g)))
            let p = SIMD3(x[3 * i], x[3 * i + 1], x[3 * i + 2]) + t + v.a * n.x + v.b * n.y + v.c * n.z
            moved[3 * i] = p.x; moved[3 * i + 1] = p.y; moved[3 * i + 2] = p.z
        }
        let builder = NeighborGraphBuilder(neighborsPerAtom: 50)
        let a = builder.build(positions: x, box: box), b = builder.build(positions: moved, box: box)
        XCTAssertEqual(a.edgeCount, b.edgeCount)
        for e in 0..<a.edgeCount {
            XCTAssertEqual(a.neighbors[e], b.neighbors[e])
            let d = a.displacement(e) - b.displacement(e)
            XCTAssertLessThan((d * d).sum().squareRoot(), 1e-9)
            XCTAssertEqual(a.weights[e], b.weights[e], accuracy: 1e-9)
        }
    }

    /// Move one atom radially through centre 0's k-th/(k+1)-th boundary: a weighted edge sum changes
    /// continuously (no step larger than the scan step allows), while the hard graph jumps.
    func testWeightsContinuousWhenNeighboursSwapRank() {
        let box = Box(a: 18, b: 18, c: 18)
        var x = randomAtoms(250, box: box, spread: 0, seed: 28)
        let k = 20
        let builder = NeighborGraphBuilder(neighborsPerAtom: k, switchWidth: 0.3)
        let hard = NeighborGraphBuilder(neighborsPerAtom: k, switchWidth: 0)
        let start = builder.build(positions: x, box: box)
        // The k-th neighbour of centre 0 moves outward along its displacement, past d_{k+1} and beyond.
        let e = Int(start.starts[0]) + k - 1
        let mover = Int(start.neighbors[e])
        let dir = start.displacement(e) / start.distances[e]
        let x0 = SIMD3(x[3 * mover], x[3 * mover + 1], x[3 * mover + 2])
        func edgeSum(_ graph: NeighborGraph) -> SIMD3<Double> {
            var s = SIMD3<Double>.zero
            for e in Int(graph.starts[0])..<Int(graph.starts[1]) { s += graph.weights[e] * graph.displacement(e) * exp(-graph.distances[e] / 3) }
            return s
        }
        let step = 2e-3
        var previous: (SIMD3<Double>, SIMD3<Double>)?
        var largestSmooth = 0.0, largestHard = 0.0
        var crossed = false
        for s in 0..<600 {
            let p = x0 + dir * (Double(s) * step)
            x[3 * mover] = p.x; x[3 * mover + 1] = p.y; x[3 * mover + 2] = p.z
            let g = builder.build(positions: x, box: box)
            let sums = (edgeSum(g), edgeSum(hard.build(positions: x, box: box)))
            if !(g.starts[0]..<g.starts[1]).contains(where: { g.neighbors[Int($0)] == Int32(mover) }) { crossed = true }
            if let previous {
                let ds = sums.0 - previous.0, dh = sums.1 - previous.1
                largestSmooth = max(largestSmooth, (ds * ds).sum().squareRoot())
                largestHard = max(largestHard, (dh * dh).sum().squareRoot())
            }
            previous = sums
        }
        XCTAssertTrue(crossed, "the scan should push the atom out of the k nearest")
        // Weighted sum: Lipschitz with slope of order |r|/Δ ≈ 20–40, so ≲ 0.1 per 2e-3 Å step.
        XCTAssertLessThan(largestSmooth, 0.1)
        XCTAssertGreaterThan(largestHard, 0.5, "the hard graph should show the jump the weights remove")
    }

    /// A random walk of 0.01–0.05 Å per atom per step (now and then an atom jumps by a lattice
    /// vector, as when a trajectory is wrapped): the candidate list's graph equals a fresh full build
    /// at every step, bit for bit, while the list is rebuilt only now and then.
    private func checkCandidateListFollowsFullBuild(_ start: [Double], box: Box?, k: Int, skin: Double, steps: Int, seed: UInt64) {
        let builder = NeighborGraphBuilder(neighborsPerAtom: k, switchWidth: 0.3)
        let list = NeighborCandidateList(builder: builder, skin: skin)
        var g = SplitMix64(seed: seed)
        var x = start
        let n = x.count / 3
        for step in 0..<steps {
            for i in 0..<n {
                var u = SIMD3<Double>.zero
                repeat { u = SIMD3(Double.random(in: -1...1, using: &g), Double.random(in: -1...1, using: &g), Double.random(in: -1...1, using: &g)) }
                while (u * u).sum() > 1 || (u * u).sum() < 1e-6
                let move = u / (u * u).sum().squareRoot() * Double.random(in: 0.01...0.05, using: &g)
                for a in 0..<3 { x[3 * i + a] += move[a] }
            }
            if let box, step % 37 == 36 {
                let i = Int.random(in: 0..<n, using: &g), v = box.vectors
                let jump = v.a * Double(Int.random(in: -2...2, using: &g)) + v.c * Double(Int.random(in: -1...1, using: &g))
                for a in 0..<3 { x[3 * i + a] += jump[a] }
            }
            let fast = x.withUnsafeBufferPointer { list.graph(positions: $0, box: box) }
            let full = builder.build(positions: x, box: box)
            let same = fast.starts == full.starts && fast.centers == full.centers && fast.neighbors == full.neighbors
                && fast.images == full.images && fast.displacements == full.displacements && fast.distances == full.distances
                && fast.weights == full.weights && fast.exclusionDistances == full.exclusionDistances
            XCTAssertTrue(same, "step \(step): the candidate list's graph differs from a full build")
            if !same { return }
        }
        XCTAssertGreaterThan(list.buildCount, 3, "the walk should outgrow the skin several times")
        XCTAssertLessThan(list.buildCount, steps / 3, "the list should be reused between rebuilds")
    }

    func testCandidateListMatchesFullBuildOrthorhombic() {
        let box = Box(a: 19, b: 21, c: 20)
        checkCandidateListFollowsFullBuild(randomAtoms(300, box: box, spread: 0.5, seed: 31), box: box, k: 50, skin: 0.6, steps: 300, seed: 32)
    }

    func testCandidateListMatchesFullBuildTriclinic() {
        let box = Box(a: 20, b: 18, c: 21, alpha: 75, beta: 85, gamma: 100)
        checkCandidateListFollowsFullBuild(randomAtoms(250, box: box, spread: 0.2, seed: 33), box: box, k: 40, skin: 0.5, steps: 300, seed: 34)
    }

    func testCandidateListMatchesFullBuildNoBox() {
        var g = SplitMix64(seed: 35)
        let x = (0..<(3 * 200)).map { _ in Double.random(in: 0..<15, using: &g) }
        checkCandidateListFollowsFullBuild(x, box: nil, k: 50, skin: 0.6, steps: 300, seed: 36)
        // Fewer atoms than k + 1: everyone is everyone's neighbour, with weight 1.
        checkCandidateListFollowsFullBuild(Array(x.prefix(3 * 30)), box: nil, k: 50, skin: 0.4, steps: 200, seed: 37)
    }

    /// The partial sort's first n places are the full sort's, for every n, with many equal distances
    /// (ties broken by atom and image), and the rest keeps the other candidates.
    func testSortNearestMatchesFullSort() {
        var g = SplitMix64(seed: 38)
        for count in [0, 1, 5, 17, 40, 150, 400] {
            let all = (0..<count).map { _ in
                NeighborCandidate(d2: Double(Int.random(in: 0..<20, using: &g)), j: Int32.random(in: 0..<6, using: &g),
                                  image: SIMD3(Int32.random(in: -1...1, using: &g), Int32.random(in: -1...1, using: &g), 0), displacement: .zero)
            }
            let sorted = all.sorted(by: <)
            for n in Set([0, 1, count / 3, count / 2, max(count - 1, 0), count]) {
                var partial = all
                partial.withUnsafeMutableBufferPointer { $0.sortNearest(n) }
                let key = { (c: NeighborCandidate) in "\(c.d2) \(c.j) \(c.image)" }
                XCTAssertEqual(partial.prefix(n).map(key), sorted.prefix(n).map(key), "first \(n) of \(count)")
                XCTAssertEqual(partial.map(key).sorted(), all.map(key).sorted(), "\(count) candidates kept")
            }
        }
    }
}

