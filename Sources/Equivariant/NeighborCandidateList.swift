import Dispatch
import MDCore

/// The k-nearest graph for MD: a Verlet list of candidates per centre, rebuilt only when an atom has
/// moved more than half the skin (or the box changed), from which each step picks the k nearest.
/// Only the rebuild searches cells; a step costs a distance per candidate and a partial sort.
///
/// **Exact.** At a rebuild centre i keeps every (atom, image) within D_i + 2·skin, D_i its (k+1)-th
/// nearest distance then. Until the next rebuild no atom moves more than skin/2, so no pair's
/// distance changes by more than skin: the k + 1 pairs that were within D_i are still within
/// D_i + skin, so the current (k+1)-th distance is at most that, and every pair now as near was
/// within D_i + 2·skin at the rebuild: in the list. Picking from the list in the builder's total
/// order, with displacements formed by the same operations (`WrappedAtoms`), gives the graph
/// `NeighborGraphBuilder.build` gives, bit for bit, whenever the rebuilds happen.
public final class NeighborCandidateList {
    public let builder: NeighborGraphBuilder
    public let skin: Double
    private var skinTracker: VerletSkin
    public var buildCount: Int { skinTracker.buildCount }

    /// Centre i's candidates are entries starts[i]..<starts[i+1]: an atom and its lattice image.
    private var starts: [Int32] = [0]
    private var candidateAtoms: [Int32] = []
    private var candidateImages: [SIMD3<Int32>] = []
    private var longestList = 0
    private var perCentre = 0
    /// Reused every step: the graph, the wrapped positions, and per worker room for one centre's list.
    private var graph = NeighborGraph(atomCount: 0, neighborsPerAtom: 0, perCentre: 0)
    private var atoms = WrappedAtoms(count: 0, vectors: (.zero, .zero, .zero), periodic: false)
    private var scratch: [NeighborCandidate] = []
    /// Per worker of a rebuild, kept so that a rebuild (every few MD steps) refills the same storage.
    private var parts: [RebuildPart] = []

    /// Rounding slack (Å) on the list radius: build-time and step-time distances are computed from
    /// differently wrapped positions.
    private static let slack = 1e-6

    public init(builder: NeighborGraphBuilder, skin: Double = 1) {
        precondition(skin > 0, "NeighborCandidateList: the skin must be positive")
        self.builder = builder
        self.skin = skin
        skinTracker = VerletSkin(skin: skin)
    }

    /// The next call rebuilds the list.
    public func invalidate() { skinTracker.invalidate() }

    /// The k-nearest graph of `positions` (3N, Å) in `box` (nil: none), equal to
    /// `builder.build(positions:box:)`. The returned graph shares storage with the list's: a caller
    /// that keeps it across calls makes the next call copy it.
    public func graph(positions: UnsafeBufferPointer<Double>, box: Box?) -> NeighborGraph {
        if skinTracker.needsRebuild(positions: positions, box: box) { rebuild(positions: positions, box: box) }
        let n = positions.count / 3
        let vectors = box?.vectors ?? (.zero, .zero, .zero)
        if atoms.wrapped.count != n || atoms.periodic != (box != nil) {
            atoms = WrappedAtoms(count: n, vectors: vectors, periodic: box != nil)
        } else {
            atoms.vectors = vectors
        }
        for i in 0..<n {
            let x = SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2])
            _ = atoms.place(i, x, fractional: box?.fractional(x, vectors: vectors) ?? .zero)
        }
        if graph.atomCount != n || graph.edgeCount != n * perCentre {
            graph = NeighborGraph(atomCount: n, neighborsPerAtom: builder.neighborsPerAtom, perCentre: perCentre)
        }
        let chunks = builder.workers(centres: n), longest = longestList, perCentre = perCentre, builder = builder, atoms = atoms
        starts.withUnsafeBufferPointer { starts in
        candidateAtoms.withUnsafeBufferPointer { js in
        candidateImages.withUnsafeBufferPointer { images in
        scratch.withUnsafeMutableBufferPointer { scratch in
        atoms.wrapped.withUnsafeBufferPointer { wrapped in
        atoms.offsets.withUnsafeBufferPointer { offsets in
            let room = ScratchRoom(base: scratch.baseAddress!)
            graph.withEdgeOutput { out in
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let mine = room.base + chunk * longest
                    for i in (chunk * n / chunks)..<((chunk + 1) * n / chunks) {
                        let xi = wrapped[i], oi = offsets[i]
                        let lo = Int(starts[i]), count = Int(starts[i + 1]) - lo
                        for q in 0..<count {
                            let j = Int(js[lo + q]), image = images[lo + q]
                            let d = wrapped[j] + WrappedAtoms.shift(image &+ offsets[j] &- oi, atoms.vectors) - xi
                            mine[q] = NeighborCandidate(d2: (d * d).sum(), j: Int32(j), image: image, displacement: d)
                        }
                        var list = UnsafeMutableBufferPointer(start: mine, count: count)
                        list.sortNearest(min(count, perCentre + 1))
                        builder.emit(centre: i, sorted: UnsafeBufferPointer(list), perCentre: perCentre, into: out)
                    }
                }
            }
        } } } } } }
        return graph
    }

    /// Each centre's (atom, image) pairs within its (k+1)-th distance + 2·skin, by the builder's search.
    private func rebuild(positions: UnsafeBufferPointer<Double>, box: Box?) {
        let grid = NeighborCellGrid(positions: positions, box: box, neighborsPerAtom: builder.neighborsPerAtom)
        let n = grid.atomCount
        let margin = 2 * skin + Self.slack
        perCentre = grid.perCentre
        let chunks = builder.workers(centres: n)
        if parts.count < chunks { parts += Array(repeating: RebuildPart(), count: chunks - parts.count) }
        parts.withUnsafeMutableBufferPointer { parts in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                // Taken out, so that it is uniquely held and its arrays grow in place.
                var part = RebuildPart()
                swap(&part, &parts[chunk])
                part.clear()
                for i in (chunk * n / chunks)..<((chunk + 1) * n / chunks) {
                    grid.gather(centre: i, margin: margin, into: &part.found)
                    // Those within the (k+1)-th distance + margin; only the k + 1 nearest are in order.
                    let reach = part.found.count > grid.perCentre ? part.found[grid.perCentre].d2.squareRoot() + margin : Double.infinity
                    var kept: Int32 = 0
                    for c in part.found where c.d2.squareRoot() <= reach { part.atoms.append(c.j); part.images.append(c.image); kept += 1 }
                    part.counts.append(kept)
                }
                swap(&part, &parts[chunk])
            }
        }
        starts.removeAll(keepingCapacity: true)
        candidateAtoms.removeAll(keepingCapacity: true)
        candidateImages.removeAll(keepingCapacity: true)
        starts.reserveCapacity(n + 1)
        starts.append(0)
        longestList = 0
        for part in parts.prefix(chunks) {
            candidateAtoms.append(contentsOf: part.atoms)
            candidateImages.append(contentsOf: part.images)
            for c in part.counts { starts.append(starts.last! + c); longestList = max(longestList, Int(c)) }
        }
        let room = max(1, chunks * longestList)
        if scratch.count < room {
            scratch = [NeighborCandidate](repeating: NeighborCandidate(d2: 0, j: 0, image: .zero, displacement: .zero), count: room)
        }
        skinTracker.built(positions: positions, box: box)
    }
}

/// One rebuild worker's centres: candidates kept per centre (counts) and their (atom, image) pairs,
/// and its search buffer for one centre.
private struct RebuildPart {
    var counts: [Int32] = [], atoms: [Int32] = [], images: [SIMD3<Int32>] = []
    var found: [NeighborCandidate] = []

    mutating func clear() {
        counts.removeAll(keepingCapacity: true)
        atoms.removeAll(keepingCapacity: true)
        images.removeAll(keepingCapacity: true)
    }
}

/// Worker scratch handed into concurrent work: each worker writes only its own region.
private struct ScratchRoom: @unchecked Sendable {
    let base: UnsafeMutablePointer<NeighborCandidate>
}
