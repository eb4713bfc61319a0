import MDCore

/// What a model predicts per atom: the paper's two tasks. Forces (Table 1) are kcal/mol/Å inside md;
/// structure-refinement vectors (Algorithm 1, Table 2) are Å. The model file says which
/// (hyper-parameter "target"), so a refinement model is never mistaken for a force field.
public enum PredictionTarget: String, Sendable, CaseIterable {
    case force, refinement

    /// The unit of predictions and of the Huber δ.
    public var unit: String { self == .force ? "kcal/mol/Å" : "Å" }
    /// The paper's δ: 10 meV/Å for forces, 1 Å for refinement vectors (§4.3, §4.4).
    public var paperHuberDelta: Double { self == .force ? 10 / Units.meVPerKcalPerMol : 1 }
    /// What the vectors are called in messages and reports.
    public var noun: String { self == .force ? "force" : "refinement vector" }

    /// The model file's "target": "force" or "refinement", with " magnitude" for an order-0 model.
    func hyperParameter(predictsVectors: Bool) -> String { rawValue + (predictsVectors ? "" : " magnitude") }

    init?(hyperParameter value: String) {
        let base = value.hasSuffix(" magnitude") ? String(value.dropLast(" magnitude".count)) : value
        self.init(rawValue: base)
    }
}

/// A refinement model's vectors are displacements in Å, not forces: never integrated as forces.
public struct NotAForceModel: Error, CustomStringConvertible {
    public let source: String, target: PredictionTarget
    public init(source: String, target: PredictionTarget) { self.source = source; self.target = target }
    public var description: String {
        "\(source): the model predicts \(target.noun)s (\(target.unit)), not forces; use it with md refine --model"
    }
}
