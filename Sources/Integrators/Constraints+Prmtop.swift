import AmberIO
import Foundation
import MDCore

extension Constraints {
    public enum Kind: String, Sendable {
        /// Nothing rigid (short time steps only).
        case none
        /// Bonds to hydrogen at their equilibrium length, and rigid three-site waters (2 fs steps).
        case hBonds = "hbonds"
    }

    /// AMBER's usual choice (SHAKE ntc=2 with rigid water): bonds to hydrogen from the prmtop's bond
    /// parameters, and three-site waters as SETTLE triangles (O–H from the bond, H–H from the water's
    /// H–H bond, or from its H–O–H angle when the model has no such bond).
    public init(_ kind: Kind, prmtop: Prmtop, tolerance: Double = 1e-10) {
        guard kind == .hBonds else { self.init(tolerance: tolerance); return }
        var waterAtoms = Set<Int>()
        var waters: [Water] = []
        let topology = prmtop.topology
        var lengths: [Int64: Double] = [:]
        for b in prmtop.bonds { lengths[Int64(min(b.i, b.j)) << 32 | Int64(max(b.i, b.j))] = prmtop.bondEquilibriumLengths[b.type] }
        func bondLength(_ a: Int, _ b: Int) -> Double? { lengths[Int64(min(a, b)) << 32 | Int64(max(a, b))] }
        var anglesAtCenter: [Int: [Prmtop.Angle]] = [:]
        for a in prmtop.angles { anglesAtCenter[a.j, default: []].append(a) }
        for residue in topology.residues where residue.kind == .water && residue.atoms.count == 3 {
            let atoms = Array(residue.atoms)
            guard let o = atoms.first(where: { prmtop.elements[$0] == .oxygen }) else { continue }
            let h = atoms.filter { prmtop.elements[$0] == .hydrogen }
            guard h.count == 2, let oh = bondLength(o, h[0]) else { continue }
            var hh = bondLength(h[0], h[1])
            if hh == nil, let angle = anglesAtCenter[o]?.first(where: { Set([$0.i, $0.k]) == Set(h) }) {
                hh = 2 * oh * sin(prmtop.angleEquilibriumValues[angle.type] / 2)
            }
            guard let hh else { continue }
            waters.append(Water(oxygen: o, hydrogen1: h[0], hydrogen2: h[1], oh: oh, hh: hh))
            waterAtoms.formUnion(atoms)
        }
        let distances = prmtop.bonds.filter { $0.involvesHydrogen && !waterAtoms.contains($0.i) }.map {
            Distance(i: $0.i, j: $0.j, length: prmtop.bondEquilibriumLengths[$0.type])
        }
        self.init(distances: distances, waters: waters, tolerance: tolerance)
    }
}
