/// Named trainable tensors in a fixed order (the order model files and optimisers use).
/// Keeping "gradients for a batch" (a `[String: Tensor]`) apart from "apply the update" leaves room
/// for an all-reduce between the two in data-parallel training.
public struct Parameters<T: TensorScalar> {
    public private(set) var names: [String] = []
    private var tensors: [String: Tensor<T>] = [:]

    public init() {}
    public init(_ pairs: [(String, Tensor<T>)]) { for (n, t) in pairs { self[n] = t } }

    public subscript(name: String) -> Tensor<T>? {
        get { tensors[name] }
        set {
            if tensors[name] == nil, newValue != nil { names.append(name) }
            if newValue == nil { names.removeAll { $0 == name } }
            tensors[name] = newValue
        }
    }

    /// Total number of scalars.
    public var scalarCount: Int { tensors.values.reduce(0) { $0 + $1.count } }

    /// Leaves of `graph` for every parameter, by name.
    public func variables(in graph: Graph<T>) -> [String: Variable<T>] {
        var out: [String: Variable<T>] = [:]
        for n in names { out[n] = graph.parameter(tensors[n]!) }
        return out
    }

    /// Applies `update(name, &tensor)` to each parameter in order.
    mutating func update(_ body: (String, inout Tensor<T>) -> Void) {
        for n in names {
            var t = tensors.removeValue(forKey: n)!  // sole owner: the update writes in place
            body(n, &t)
            tensors[n] = t
        }
    }
}

/// Gradients by parameter name.
public typealias NamedGradients<T: TensorScalar> = [String: Tensor<T>]

extension Gradients {
    /// The gradient of every parameter in `variables`, by name.
    public func named(_ variables: [String: Variable<T>]) -> NamedGradients<T> {
        variables.mapValues { self[$0] }
    }
}

/// The global L2 norm of a set of gradients.
public func globalNorm<T: TensorScalar>(_ gradients: NamedGradients<T>) -> Double {
    var s = 0.0
    for g in gradients.values { g.withUnsafeBufferPointer { for x in $0 { s += Double(x) * Double(x) } } }
    return s.squareRoot()
}

/// Scales all gradients so their global norm is at most `maxNorm`; returns the norm before clipping.
@discardableResult
public func clipGlobalNorm<T: TensorScalar>(_ gradients: inout NamedGradients<T>, maxNorm: Double) -> Double {
    let norm = globalNorm(gradients)
    guard norm > maxNorm, norm > 0 else { return norm }
    let f = T(maxNorm / norm)
    for k in Array(gradients.keys) {
        var g = gradients.removeValue(forKey: k)!
        g.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= f } }
        gradients[k] = g
    }
    return norm
}
