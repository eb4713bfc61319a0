import Equivariant
import Foundation
import MDCore
import TensorCore

/// Which atoms a model was trained on, and so is trusted for: the paper's loss uses protein atoms
/// only (solvent is input, never a target), so such a model drives protein atoms and leaves the
/// rest to the classical force field.
public enum LearnedAtoms: String, Sendable, CaseIterable {
    case protein, all

    /// The atoms of `topology` this selection names.
    public func atoms(in topology: Topology) -> [Int] {
        switch self {
        case .all: return Array(0..<topology.atomCount)
        case .protein:
            return topology.atoms.indices.filter { ResidueKind(residueName: topology.residues[topology.atoms[$0].residueIndex].name) == .protein }
        }
    }
}

/// A trained network with what it needs to be used: hyper-parameters, elements, learned atoms,
/// loss settings and provenance, kept in one safetensors file (`ModelFile`).
public struct LearnedModel {
    public var network: TensorFieldNetwork
    public var parameters: Parameters<Float>
    public var learnedAtoms: LearnedAtoms
    public var target: PredictionTarget
    /// δ of the vector Huber loss in the target's unit (the paper's 10 meV/Å = 0.2306 kcal/mol/Å for forces, 1 Å for refinement).
    public var huberDelta: Double
    /// What the output is added to (force models only).
    public var prior: ForcePrior
    /// Weight of the magnitude-error term added to the vector loss (0: the paper's loss alone).
    public var magnitudeLossWeight: Double
    public var provenance: [String: String]

    public static let paperHuberDelta = PredictionTarget.force.paperHuberDelta

    public init(network: TensorFieldNetwork, parameters: Parameters<Float>, learnedAtoms: LearnedAtoms = .protein,
                target: PredictionTarget = .force, huberDelta: Double? = nil, prior: ForcePrior = .none, magnitudeLossWeight: Double = 0,
                provenance: [String: String] = [:]) {
        precondition(prior == .none || (target == .force && network.configuration.predictsVectors),
                     "LearnedModel: a prior needs a vector force model")
        precondition(magnitudeLossWeight >= 0 && (magnitudeLossWeight == 0 || network.configuration.predictsVectors),
                     "LearnedModel: a magnitude loss term needs a vector model")
        self.network = network; self.parameters = parameters; self.learnedAtoms = learnedAtoms; self.target = target
        self.huberDelta = huberDelta ?? target.paperHuberDelta; self.prior = prior
        self.magnitudeLossWeight = magnitudeLossWeight; self.provenance = provenance
    }

    public var configuration: TensorFieldNetworkConfiguration { network.configuration }

    public func write(to path: String) throws {
        var h = configuration.hyperParameters
        h["learned_atoms"] = learnedAtoms.rawValue
        h["huber_delta"] = "\(huberDelta)"
        h["target"] = target.hyperParameter(predictsVectors: configuration.predictsVectors)
        if prior != .none { h["prior"] = prior.rawValue }
        if magnitudeLossWeight > 0 { h["magnitude_loss_weight"] = "\(magnitudeLossWeight)" }
        let unit = target == .force ? "kcal/mol/A" : "A"
        let file = ModelFile(tensors: parameters.names.map { ($0, AnyTensor.float(parameters[$0]!)) }, hyperParameters: h,
                             elements: configuration.elements.map(\.symbol),
                             units: [target.rawValue: unit, "length": "A", "huber_delta": unit], provenance: provenance)
        try file.write(to: path)
    }

    /// Reads a model; a file that is not an md model, or whose tensors do not match its own
    /// hyper-parameters, is rejected with an error naming the file and the problem.
    public static func load(_ path: String) throws -> LearnedModel {
        let file = try ModelFile.read(path)
        let configuration: TensorFieldNetworkConfiguration
        do {
            configuration = try TensorFieldNetworkConfiguration(hyperParameters: file.hyperParameters, elements: file.elements)
        } catch {
            throw SafeTensorsError(path: path, tensor: nil, reason: "\(error)")
        }
        let network = TensorFieldNetwork(configuration)
        try file.validate(expecting: network.parameterShapes.map { ($0.0, .F32, $0.1) }, path: path)
        var parameters = Parameters<Float>()
        for (name, _) in network.parameterShapes { parameters[name] = file.tensor(name, as: Float.self) }
        guard let atoms = LearnedAtoms(rawValue: file.hyperParameters["learned_atoms"] ?? "") else {
            throw SafeTensorsError(path: path, tensor: nil, reason: "hyper-parameter \"learned_atoms\" must be protein or all")
        }
        guard let delta = Double(file.hyperParameters["huber_delta"] ?? ""), delta > 0 else {
            throw SafeTensorsError(path: path, tensor: nil, reason: "hyper-parameter \"huber_delta\" is missing or not positive")
        }
        // Files written before refinement models existed say "force" or carry no target.
        guard let target = PredictionTarget(hyperParameter: file.hyperParameters["target"] ?? "force") else {
            throw SafeTensorsError(path: path, tensor: nil, reason: "hyper-parameter \"target\" must be force or refinement (got \"\(file.hyperParameters["target"]!)\")")
        }
        // Sequence positions exist for refinement candidates only (md train allows nothing else).
        guard !configuration.sequenceSeparation || target == .refinement else {
            throw SafeTensorsError(path: path, tensor: nil, reason: "hyper-parameter \"sequence_separation\" applies to refinement models only")
        }
        // Files written before priors existed have none.
        guard let prior = ForcePrior(rawValue: file.hyperParameters["prior"] ?? "none"),
              prior == .none || (target == .force && configuration.predictsVectors) else {
            throw SafeTensorsError(path: path, tensor: nil, reason: "hyper-parameter \"prior\" must be none, or amber-bonded or amber-bonded-lj for a vector force model (got \"\(file.hyperParameters["prior"]!)\")")
        }
        // Files written before the magnitude term existed have none.
        guard let magnitudeWeight = Double(file.hyperParameters["magnitude_loss_weight"] ?? "0"), magnitudeWeight >= 0,
              magnitudeWeight == 0 || configuration.predictsVectors else {
            throw SafeTensorsError(path: path, tensor: nil, reason: "hyper-parameter \"magnitude_loss_weight\" must be a non-negative number, and 0 for an order-0 model (got \"\(file.hyperParameters["magnitude_loss_weight"]!)\")")
        }
        return LearnedModel(network: network, parameters: parameters, learnedAtoms: atoms, target: target, huberDelta: delta,
                            prior: prior, magnitudeLossWeight: magnitudeWeight, provenance: file.provenance)
    }

    /// Each atom's one-hot channel; an element the model never saw is an error naming it.
    public func channels(for elements: [Element], source: String) throws -> [Int] {
        try elements.enumerated().map { i, e in
            guard let c = network.channel(of: e) else {
                throw UnknownElementError(source: source, atom: i, element: e, known: configuration.elements)
            }
            return c
        }
    }
}

public struct UnknownElementError: Error, CustomStringConvertible {
    public let source: String, atom: Int, element: Element, known: [Element]
    public var description: String {
        "\(source): atom \(atom + 1) is \(element.symbol), which the model does not know (it knows \(known.map(\.symbol).joined(separator: ", ")))"
    }
}
