import Foundation
import MDCore

/// The PME pieces outside the two sums: excluded-pair corrections and the long-range LJ correction.
enum LongRangeCorrections {
    /// The reciprocal sum includes every pair; excluded pairs (bonded neighbours, 1-4 pairs) must not
    /// interact through Coulomb, so their erf(αr)/r part is removed here.
    static func excludedPairs(_ pairs: [(Int32, Int32)], charges: [Double], coulomb: Double, alpha: Double,
                              _ x: UnsafeBufferPointer<Double>, _ g: PeriodicGeometry,
                              _ forces: UnsafeMutableBufferPointer<Double>) -> Double {
        var energy = 0.0
        let twoAlphaOverRootPi = 2 * alpha / Double.pi.squareRoot()
        for (i, j) in pairs {
            let qq = coulomb * charges[Int(i)] * charges[Int(j)]
            if qq == 0 { continue }
            let d = g.delta(x.vector(i), x.vector(j))
            let r = length(d)
            let erfTerm = erf(alpha * r)
            energy -= qq * erfTerm / r
            // d/dr [qq·erf(αr)/r] = qq·(2α/√π·e^(−α²r²)/r − erf(αr)/r²); force on j is −∂E/∂xj.
            let dEdrOverR = qq * (erfTerm / r - twoAlphaOverRootPi * exp(-alpha * alpha * r * r)) / (r * r)
            forces.add(i, d * dEdrOverR)
            forces.add(j, d * -dEdrOverR)
        }
        return energy
    }

    /// Energy of Lennard-Jones beyond the cutoff for a homogeneous fluid, averaged over all atom pairs
    /// by type counts as OpenMM does: 2πN²/V · (⟨A⟩/(9 rc⁹) − ⟨B⟩/(3 rc³)). Divided by V at use.
    static func dispersionCoefficient(terms: AmberTerms, cutoff: Double) -> Double {
        var counts = [Int](repeating: 0, count: terms.ljTypeCount)
        for t in terms.ljTypes { counts[Int(t)] += 1 }
        let nt = terms.ljTypeCount
        var sumA = 0.0, sumB = 0.0
        for t in 0..<nt where counts[t] > 0 {
            for u in t..<nt where counts[u] > 0 {
                let pairs = t == u ? Double(counts[t]) * Double(counts[t] + 1) / 2 : Double(counts[t]) * Double(counts[u])
                sumA += pairs * terms.ljA[t * nt + u]
                sumB += pairs * terms.ljB[t * nt + u]
            }
        }
        let n = Double(terms.atomCount)
        let interactions = n * (n + 1) / 2
        return 2 * Double.pi * n * n * (sumA / interactions / (9 * pow(cutoff, 9)) - sumB / interactions / (3 * pow(cutoff, 3)))
    }
}
