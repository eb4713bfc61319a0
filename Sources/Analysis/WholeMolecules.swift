import MDCore

/// Reassembles a group of atoms (the solute) that periodic wrapping may have split: each atom is put
/// at the nearest image of its position relative to the atom it is bonded to, walking a spanning tree
/// of the bond graph, so RMSD and radius of gyration see whole molecules whether or not the trajectory
/// was wrapped. Separate molecules of the group (protein chains, ligands) are each placed at the
/// image nearest the centroid of the atoms assembled before them. The tree is built once; each frame
/// costs one pass over the group.
public struct WholeMolecules: Sendable {
    /// The group, ascending atom indices; output position k belongs to `atoms[k]`.
    public let atoms: [Int]
    /// Traversal order: local index and the local index of its parent (−1 for the root of a molecule).
    private let order: [(atom: Int, parent: Int)]

    public init(topology: Topology, atoms: [Int]) {
        self.atoms = atoms
        var local = [Int: Int]()
        for (k, a) in atoms.enumerated() { local[a] = k }
        var neighbours = [[Int]](repeating: [], count: atoms.count)
        for bond in topology.bonds {
            guard let i = local[bond.i], let j = local[bond.j] else { continue }
            neighbours[i].append(j)
            neighbours[j].append(i)
        }
        var visited = [Bool](repeating: false, count: atoms.count)
        var order: [(Int, Int)] = []
        order.reserveCapacity(atoms.count)
        for start in 0..<atoms.count where !visited[start] {
            visited[start] = true
            order.append((start, -1))
            var head = order.count - 1
            while head < order.count {
                let current = order[head].0
                head += 1
                for next in neighbours[current] where !visited[next] {
                    visited[next] = true
                    order.append((next, current))
                }
            }
        }
        self.order = order
    }

    /// Writes the group's positions, made whole, into `out` (count = `atoms.count`); `positions` is a
    /// flat [x0, y0, z0, …] buffer of the whole system.
    public func assemble(_ positions: UnsafeBufferPointer<Double>, image: MinimumImage, into out: UnsafeMutableBufferPointer<SIMD3<Double>>) {
        precondition(out.count == atoms.count, "WholeMolecules: output buffer of the wrong size")
        var sum = SIMD3<Double>.zero
        var placed = 0
        for (k, parent) in order {
            let a = atoms[k]
            let x = SIMD3(positions[3 * a], positions[3 * a + 1], positions[3 * a + 2])
            if parent >= 0 {
                let p = atoms[parent]
                out[k] = out[parent] + image.displacement(from: SIMD3(positions[3 * p], positions[3 * p + 1], positions[3 * p + 2]), to: x)
            } else if placed > 0 {
                let centre = sum / Double(placed)
                out[k] = centre + image.displacement(from: centre, to: x)
            } else {
                out[k] = x
            }
            sum += out[k]
            placed += 1
        }
    }

    /// Convenience for one-off use: the group's whole-molecule positions as a new array.
    public func assemble(_ positions: [Double], box: Box?) -> [SIMD3<Double>] {
        var out = [SIMD3<Double>](repeating: .zero, count: atoms.count)
        positions.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { assemble(x, image: MinimumImage(box: box), into: $0) }
        }
        return out
    }
}
