import Equivariant
import Foundation
import LearnedFF
import TensorCore

/// One training batch written so another engine can run exactly md's step (Benchmarks/e3nn_train.py):
/// a safetensors file (little-endian raw data behind a JSON header) holding, over the receptive
/// field's rows in md's order (loss atoms first, then one, two, three hops out):
///
///     atoms           [rows]      each row's atom index in its system; the first `rows[3]` are the loss atoms
///     positions       [rows, 3]   Å, as the frame stores them (not wrapped)
///     channels        [rows]      one-hot element channel (metadata "elements" names them)
///     centres         [edges]     row of each edge's centre; edges grouped by centre, centres 0..<rows[1]
///     neighbours      [edges]     row of each edge's neighbour
///     shifts          [edges, 3]  periodic image, Å: edge vector = positions[neighbour] − positions[centre] + shift
///     switch_weights  [edges]     the smooth k-nearest weight w (md scales messages by w/√k)
///     rows            [4]         rows[k]: how many leading rows layer k computes (rows[0] = all, rows[3] = loss atoms)
///     layer_edges     [3]         layer k (1…3) uses the first layer_edges[k − 1] edges (its centres' edges)
///     target          [loss atoms, 3]  reference forces, kcal/mol/Å (F32, as md trains on them)
///
/// md's safetensors writer stores floating-point tensors only, so the integer arrays are F64,
/// which holds them exactly.
enum TrainingBatchFile {
    static let format = "md-train-batch 1"

    static func write(_ example: TrainingExample, frame: ForceFrame, network: TensorFieldNetwork, channels: [Int], to path: String) throws {
        // The example keeps edge features, not the graph's geometry: rebuild the graph (deterministic,
        // so its edges are the ones the example's receptive field indexes).
        let graph = network.graphBuilder.build(positions: frame.frame.positions, box: frame.frame.box)
        let field = example.edges.field
        let x = frame.frame.positions
        func position(_ atom: Int) -> SIMD3<Double> { SIMD3(x[3 * atom], x[3 * atom + 1], x[3 * atom + 2]) }
        var positions: [Double] = [], shifts: [Double] = [], centres: [Double] = [], weights: [Double] = []
        for atom in field.atoms { let p = position(Int(atom)); positions += [p.x, p.y, p.z] }
        for centre in 0..<field.rows[1] {
            for e in Int(field.starts[centre])..<Int(field.starts[centre + 1]) {
                let source = Int(field.sourceEdges[e])
                let shift = graph.displacement(source) - (position(Int(graph.neighbors[source])) - position(Int(graph.centers[source])))
                shifts += [shift.x, shift.y, shift.z]
                centres.append(Double(centre))
                weights.append(graph.weights[source])
            }
        }
        let rows = field.rows[0], edges = field.neighbors.count
        func f64(_ values: [Double], _ shape: Shape) -> AnyTensor { .double(Tensor(shape: shape, scalars: values)) }
        let c = network.configuration
        try SafeTensors.write([
            ("atoms", f64(field.atoms.map(Double.init), Shape(rows))),
            ("positions", f64(positions, Shape(rows, 3))),
            ("channels", f64(field.atoms.map { Double(channels[Int($0)]) }, Shape(rows))),
            ("centres", f64(centres, Shape(edges))),
            ("neighbours", f64(field.neighbors.map(Double.init), Shape(edges))),
            ("shifts", f64(shifts, Shape(edges, 3))),
            ("switch_weights", f64(weights, Shape(edges))),
            ("rows", f64(field.rows.map(Double.init), Shape(field.rows.count))),
            ("layer_edges", f64((1...field.depth).map { Double(field.edgeCount(layer: $0)) }, Shape(field.depth))),
            ("target", .float(Tensor(shape: Shape(example.lossAtoms.count, 3), scalars: example.targetVectors.map(Float.init)))),
        ], metadata: ["format": format, "source": frame.source, "system": frame.system, "kind": frame.kind,
                      "elements": c.elements.map(\.symbol).joined(separator: ","), "neighbors": "\(c.neighbors)",
                      "radial_cutoff": "\(c.radialCutoff)", "radial_functions": "\(c.radialFunctions)",
                      "pair_radial": "\(c.pairRadial)"], to: path)
    }
}
