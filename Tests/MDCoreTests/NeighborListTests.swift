import XCTest
@testable import MDCore

final class NeighborListTests: XCTestCase {
    /// Every pair within the cutoff under the minimum image, by brute force over the 27 images.
    private func bruteForcePairs(_ x: [Double], _ box: Box, cutoff: Double) -> Set<[Int]> {
        let (a, b, c) = box.vectors
        var pairs = Set<[Int]>()
        let n = x.count / 3
        for i in 0..<n {
            for j in (i + 1)..<n {
                var d0 = SIMD3(x[3 * j] - x[3 * i], x[3 * j + 1] - x[3 * i + 1], x[3 * j + 2] - x[3 * i + 2])
                // Atoms lie several cells apart: bring the difference near the origin, then try nearby images.
                let sz = (d0.z / c.z).rounded(), sy = ((d0.y - sz * c.y) / b.y).rounded()
                let sx = ((d0.x - sz * c.x - sy * b.x) / a.x).rounded()
                d0 -= a * sx + b * sy + c * sz
                var best = Double.infinity
                for na in -1...1 { for nb in -1...1 { for nc in -1...1 {
                    let d = d0 + a * Double(na) + b * Double(nb) + c * Double(nc)
                    best = min(best, (d * d).sum())
                } } }
                if best < cutoff * cutoff { pairs.insert([i, j]) }
            }
        }
        return pairs
    }

    private func listedPairs(_ list: NeighborList, _ x: [Double], cutoff: Double) -> (pairs: Set<[Int]>, duplicates: Int) {
        var pairs = Set<[Int]>()
        var duplicates = 0
        for s in list.segments {
            for k in 0..<s.order.count {
                let i = Int(s.order[k])
                for p in Int(s.starts[k])..<Int(s.starts[k + 1]) {
                    let j = Int(s.neighbors[p])
                    let xi = SIMD3(x[3 * i], x[3 * i + 1], x[3 * i + 2]) - list.offsets[i]
                    let xj = SIMD3(x[3 * j], x[3 * j + 1], x[3 * j + 2]) - list.offsets[j] + list.shiftVectors[Int(s.shiftCodes[p])]
                    let d = xj - xi
                    if (d * d).sum() < cutoff * cutoff {
                        if !pairs.insert([min(i, j), max(i, j)]).inserted { duplicates += 1 }
                    }
                }
            }
        }
        return (pairs, duplicates)
    }

    func testFindsExactlyThePairsWithinCutoffInAnyCell() throws {
        var rng = SystemRandomNumberGenerator()
        let boxes = [Box(a: 24, b: 27, c: 31), Box(a: 26, b: 26, c: 26, alpha: 109.4712206, beta: 109.4712206, gamma: 109.4712206),
                     Box(a: 25, b: 28, c: 30, alpha: 80, beta: 100, gamma: 95)]
        for box in boxes {
            let (a, b, c) = box.vectors
            // Atoms anywhere, including several cells away from the primary one.
            let x = (0..<400).flatMap { _ -> [Double] in
                let s = SIMD3(Double.random(in: -1.5...2.5, using: &rng), Double.random(in: -1.5...2.5, using: &rng), Double.random(in: -1.5...2.5, using: &rng))
                let p = a * s.x + b * s.y + c * s.z
                return [p.x, p.y, p.z]
            }
            let cutoff = 9.0
            let list = NeighborList(atomCount: 400, cutoff: cutoff, skin: 1.5, exclusions: [], threads: 2)
            _ = try x.withUnsafeBufferPointer { try list.update(positions: $0, box: box) }
            let (listed, duplicates) = listedPairs(list, x, cutoff: cutoff)
            XCTAssertEqual(duplicates, 0, "\(box)")
            let expected = bruteForcePairs(x, box, cutoff: cutoff)
            XCTAssertEqual(listed.subtracting(expected).count, 0, "extra pairs in \(box)")
            XCTAssertEqual(expected.subtracting(listed).count, 0, "missing pairs in \(box) of \(expected.count)")
        }
    }

    func testRebuildsOnlyAfterHalfSkinMoves() throws {
        let box = Box(a: 30, b: 30, c: 30)
        var x: [Double] = []
        for k in 0..<100 {
            let (i, j, l) = (Double(k % 10), Double((k / 10) % 10), Double(k / 100))
            x += [3 * i, 3 * j, 3 * l]
        }
        let list = NeighborList(atomCount: 100, cutoff: 8, skin: 2, exclusions: [], threads: 1)
        XCTAssertTrue(try x.withUnsafeBufferPointer { try list.update(positions: $0, box: box) })
        x[0] += 0.9
        XCTAssertFalse(try x.withUnsafeBufferPointer { try list.update(positions: $0, box: box) })
        x[0] += 0.2
        XCTAssertTrue(try x.withUnsafeBufferPointer { try list.update(positions: $0, box: box) })
        XCTAssertEqual(list.buildCount, 2)
        XCTAssertTrue(try x.withUnsafeBufferPointer { try list.update(positions: $0, box: Box(a: 30.5, b: 30, c: 30)) })
    }

    func testLeavesOutExclusionsAndRefusesTinyBoxes() throws {
        let x: [Double] = [1, 1, 1, 2, 1, 1, 3, 1, 1]
        let list = NeighborList(atomCount: 3, cutoff: 5, skin: 1, exclusions: [[1], [0], []], threads: 1)
        _ = try x.withUnsafeBufferPointer { try list.update(positions: $0, box: Box(a: 20, b: 20, c: 20)) }
        XCTAssertEqual(listedPairs(list, x, cutoff: 5).pairs.sorted { $0.lexicographicallyPrecedes($1) }, [[0, 2], [1, 2]])
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { try list.update(positions: $0, box: Box(a: 9, b: 20, c: 20)) })
    }
}
