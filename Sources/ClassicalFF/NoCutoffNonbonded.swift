import Dispatch
import MDCore

/// Coulomb and Lennard-Jones over every non-excluded pair, no periodicity: the vacuum reference, in
/// Double. O(N²), split over threads by interleaved rows so both get equal work.
final class NoCutoffNonbonded {
    private let terms: AmberTerms
    private let coulomb: Double
    private let threads: Int
    private var threadForces: [[Double]]

    init(terms: AmberTerms, coulomb: Double, threads: Int) {
        self.terms = terms
        self.coulomb = coulomb
        self.threads = max(1, threads)
        threadForces = Array(repeating: Array(repeating: 0, count: 3 * terms.atomCount), count: self.threads)
    }

    func compute(_ x: UnsafeBufferPointer<Double>, _ forces: UnsafeMutableBufferPointer<Double>) -> (elec: Double, vdw: Double) {
        let n = terms.atomCount
        let threads = self.threads
        var partial = [(Double, Double)](repeating: (0, 0), count: threads)
        terms.charges.withUnsafeBufferPointer { q in
        terms.ljTypes.withUnsafeBufferPointer { type in
        terms.ljA.withUnsafeBufferPointer { ljA in
        terms.ljB.withUnsafeBufferPointer { ljB in
            let nt = terms.ljTypeCount
            for t in 0..<threads {
                threadForces[t].withUnsafeMutableBufferPointer { f in f.update(repeating: 0) }
            }
            partial.withUnsafeMutableBufferPointer { partial in
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    threadForces[t].withUnsafeMutableBufferPointer { f in
                        var elec = 0.0, vdw = 0.0
                        var i = t
                        while i < n {
                            let xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2]
                            let qi = coulomb * q[i]
                            let row = Int(type[i]) * nt
                            let excluded = terms.exclusions[i]
                            var next = 0
                            var fx = 0.0, fy = 0.0, fz = 0.0
                            for j in (i + 1)..<max(n, i + 1) {
                                // Exclusions are sorted: walk them alongside j.
                                while next < excluded.count && Int(excluded[next]) < j { next += 1 }
                                if next < excluded.count && Int(excluded[next]) == j { continue }
                                let dx = x[3 * j] - xi, dy = x[3 * j + 1] - yi, dz = x[3 * j + 2] - zi
                                let inv2 = 1 / (dx * dx + dy * dy + dz * dz)
                                let inv = inv2.squareRoot()
                                let inv6 = inv2 * inv2 * inv2
                                let e = qi * q[j] * inv
                                let t = row + Int(type[j])
                                let lj12 = ljA[t] * inv6 * inv6, lj6 = ljB[t] * inv6
                                elec += e
                                vdw += lj12 - lj6
                                let s = (e + 12 * lj12 - 6 * lj6) * inv2
                                fx -= s * dx; fy -= s * dy; fz -= s * dz
                                f[3 * j] += s * dx; f[3 * j + 1] += s * dy; f[3 * j + 2] += s * dz
                            }
                            f[3 * i] += fx; f[3 * i + 1] += fy; f[3 * i + 2] += fz
                            i += threads
                        }
                        partial[t] = (elec, vdw)
                    }
                }
            }
        } } } }
        for t in 0..<threads {
            threadForces[t].withUnsafeBufferPointer { f in
                for k in 0..<forces.count { forces[k] += f[k] }
            }
        }
        return partial.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }
}
