import MDCore

/// The hyper-parameters of the paper's network (Townshend et al. 2020, §4.1, Figure 2), with md's
/// choices where the paper is silent. Stored in model files as strings (`hyperParameters`).
public struct TensorFieldNetworkConfiguration: Equatable, Sendable {
    /// Maximum order of features and filters: 0, 1 or 2 (the paper's three model sets).
    public var maxDegree = 2
    /// Output channels of the three post-convolution self-interactions (the paper's 24, 12, 1).
    public var filters = [24, 12, 1]
    /// Channels of the self-interaction before each convolution (the convolution's width).
    public var convolutionChannels = [24, 24, 12]
    /// k of the k-nearest-neighbour graph (the paper's 50).
    public var neighbors = 50
    /// Width (Å) of the smooth switch on the k-nearest graph (see `NeighborGraph`).
    public var switchWidth = 0.3
    /// Bessel radial functions, their cutoff (Å) and the radial MLP's hidden width.
    public var radialFunctions = 16
    public var radialCutoff = 6.0
    public var radialHidden = 32
    /// Radial functions of the element pair as well as the distance (the MLP also sees both
    /// atoms' one-hot elements): a bond's force law then fits in one layer. md's choice; the
    /// paper's TFN uses the distance only.
    public var pairRadial = true
    /// Radial functions of the edge's separation along the chain as well (`SequencePositions`: the
    /// MLP also sees its one-hot bin). md's choice for refinement, off by default and in files
    /// written before it existed.
    public var sequenceSeparation = false
    /// One-hot channels: C, H, N, O, S first (the paper's), then any other element of the data.
    public var elements: [Element] = [.carbon, .hydrogen, .nitrogen, .oxygen, .sulfur]
    /// Output unit: the network's raw output times this is the prediction (kcal/mol/Å for forces),
    /// so that targets are of order one when training starts.
    public var outputScale = 1.0

    public init() {}

    /// A network of a few channels, neighbours and radial functions: for tests and quick trials,
    /// where the paper's widths would only cost time.
    public static func small(order: Int, channels: Int = 4, neighbors: Int = 12, outputScale: Double = 1,
                             elements: [Element]? = nil) -> TensorFieldNetworkConfiguration {
        var c = TensorFieldNetworkConfiguration()
        c.maxDegree = order
        c.filters = [channels, channels, 1]
        c.convolutionChannels = [channels, channels, channels]
        c.neighbors = neighbors
        c.radialFunctions = 8
        c.radialHidden = 8
        c.outputScale = outputScale
        if let elements { c.elements = elements }
        return c
    }

    /// Number of convolutions (three hops of reach).
    public var depth: Int { filters.count }

    public var radialBasis: BesselBasis { BesselBasis(count: radialFunctions, cutoff: radialCutoff) }

    /// Inputs of each radial MLP.
    public var radialInputs: Int {
        radialFunctions + (pairRadial ? 2 * elements.count : 0) + (sequenceSeparation ? SequencePositions.binCount : 0)
    }

    /// Predicts a vector per atom (orders 1, 2) or a scalar magnitude (order 0, as the paper's order-0 model).
    public var predictsVectors: Bool { maxDegree >= 1 }

    public var hyperParameters: [String: String] {
        ["order": "\(maxDegree)", "filters": filters.map(String.init).joined(separator: ","),
         "convolution_channels": convolutionChannels.map(String.init).joined(separator: ","),
         "neighbors": "\(neighbors)", "switch_width": "\(switchWidth)", "radial_functions": "\(radialFunctions)",
         "radial_cutoff": "\(radialCutoff)", "radial_hidden": "\(radialHidden)", "output_scale": "\(outputScale)",
         "pair_radial": "\(pairRadial)", "sequence_separation": "\(sequenceSeparation)"]
    }

    public struct InvalidHyperParameter: Error, CustomStringConvertible {
        public let key: String, value: String?
        public var description: String { "hyper-parameter \"\(key)\" is \(value.map { "\"\($0)\"" } ?? "missing") or invalid" }
    }

    /// Reads the hyper-parameters written by `hyperParameters` and the element symbols of a model file.
    public init(hyperParameters h: [String: String], elements symbols: [String]) throws {
        func value<V: LosslessStringConvertible>(_ key: String) throws -> V {
            guard let s = h[key], let v = V(s) else { throw InvalidHyperParameter(key: key, value: h[key]) }
            return v
        }
        func list(_ key: String) throws -> [Int] {
            guard let s = h[key] else { throw InvalidHyperParameter(key: key, value: nil) }
            let v = s.split(separator: ",").compactMap { Int($0) }
            guard v.count == 3, v.allSatisfy({ $0 > 0 }) else { throw InvalidHyperParameter(key: key, value: s) }
            return v
        }
        maxDegree = try value("order")
        guard (0...2).contains(maxDegree) else { throw InvalidHyperParameter(key: "order", value: h["order"]) }
        filters = try list("filters")
        convolutionChannels = try list("convolution_channels")
        neighbors = try value("neighbors")
        switchWidth = try value("switch_width")
        radialFunctions = try value("radial_functions")
        radialCutoff = try value("radial_cutoff")
        radialHidden = try value("radial_hidden")
        outputScale = try value("output_scale")
        pairRadial = try value("pair_radial")
        if h["sequence_separation"] != nil { sequenceSeparation = try value("sequence_separation") }
        guard neighbors > 0, radialFunctions > 0, radialCutoff > 0, radialHidden > 0, switchWidth >= 0, outputScale > 0 else {
            throw InvalidHyperParameter(key: "neighbors/radial/switch_width/output_scale", value: nil)
        }
        elements = try symbols.map { s in
            guard let e = Element(symbol: s) else { throw InvalidHyperParameter(key: "elements", value: s) }
            return e
        }
    }
}
