/// A trained model on disk: safetensors with the weights and, in `__metadata__` (strings only, so
/// any safetensors reader sees it), the format tag, hyper-parameters, element list, units and
/// training provenance, each a JSON string:
///
///     "md.format": "md-model 1"
///     "md.hyperparameters": {"order": "2", ...}
///     "md.elements": ["C", "H", "N", "O", "S"]
///     "md.units": {"force": "kcal/mol/A", ...}
///     "md.provenance": {"data": ..., "steps": ..., "git": ...}
public struct ModelFile {
    public static let format = "md-model 1"

    public var tensors: [(String, AnyTensor)]
    public var hyperParameters: [String: String]
    public var elements: [String]
    public var units: [String: String]
    public var provenance: [String: String]

    public init(tensors: [(String, AnyTensor)], hyperParameters: [String: String] = [:], elements: [String] = [],
                units: [String: String] = [:], provenance: [String: String] = [:]) {
        self.tensors = tensors; self.hyperParameters = hyperParameters; self.elements = elements
        self.units = units; self.provenance = provenance
    }

    public var metadata: [String: String] {
        ["md.format": ModelFile.format,
         "md.hyperparameters": JSON.stringObject(hyperParameters).text,
         "md.elements": JSON.array(elements.map { .string($0) }).text,
         "md.units": JSON.stringObject(units).text,
         "md.provenance": JSON.stringObject(provenance).text]
    }

    public func write(to path: String) throws {
        try SafeTensors.write(tensors, metadata: metadata, to: path)
    }

    /// Reads a model file; a file that is not safetensors, is truncated or lacks md's metadata is
    /// rejected with an error naming the file and what is wrong.
    public static func read(_ path: String) throws -> ModelFile {
        let file = try SafeTensorsFile(contentsOf: path)
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(path: path, tensor: nil, reason: reason) }
        guard let format = file.metadata["md.format"] else { throw fail("no \"md.format\" metadata: not an md model file") }
        guard format == ModelFile.format else { throw fail("model format \"\(format)\", this md reads \"\(ModelFile.format)\"") }
        func object(_ key: String) throws -> [String: String] {
            guard let text = file.metadata[key], case let .object(m)? = try? JSON.parse(Array(text.utf8)) else {
                throw fail("metadata \"\(key)\" is missing or not a JSON object")
            }
            var out: [String: String] = [:]
            for (k, v) in m {
                guard case let .string(s) = v else { throw fail("metadata \"\(key)\": value of \"\(k)\" is not a string") }
                out[k] = s
            }
            return out
        }
        guard let text = file.metadata["md.elements"], case let .array(list)? = try? JSON.parse(Array(text.utf8)) else {
            throw fail("metadata \"md.elements\" is missing or not a JSON array")
        }
        let elements = try list.map { v -> String in
            guard case let .string(s) = v else { throw fail("metadata \"md.elements\" holds a non-string") }
            return s
        }
        return ModelFile(tensors: try file.names.map { ($0, try file.anyTensor($0)) }, hyperParameters: try object("md.hyperparameters"),
                         elements: elements, units: try object("md.units"), provenance: try object("md.provenance"))
    }

    /// Checks that the file holds exactly the expected tensors with the expected dtypes and
    /// shapes (what the network built from the hyper-parameters needs); `path` names the file in errors.
    public func validate(expecting expected: [(String, SafeTensorsDType, Shape)], path: String) throws {
        let have = Dictionary(tensors.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        for (name, dtype, shape) in expected {
            guard let t = have[name] else { throw SafeTensorsError(path: path, tensor: name, reason: "missing from the model file") }
            guard t.dtype == dtype, t.shape == shape else {
                throw SafeTensorsError(path: path, tensor: name, reason: "is \(t.dtype.rawValue) \(t.shape), the model needs \(dtype.rawValue) \(shape)")
            }
        }
        let expectedNames = Set(expected.map(\.0))
        if let extra = tensors.first(where: { !expectedNames.contains($0.0) }) {
            throw SafeTensorsError(path: path, tensor: extra.0, reason: "not a tensor of this model (unexpected in the file)")
        }
    }

    /// The tensor `name` as T.
    public func tensor<T: TensorScalar>(_ name: String, as type: T.Type = T.self) -> Tensor<T>? {
        switch tensors.first(where: { $0.0 == name })?.1 {
        case let .float(t)?: return T.self == Float.self ? (t as! Tensor<T>) : t.converted()
        case let .double(t)?: return T.self == Double.self ? (t as! Tensor<T>) : t.converted()
        case nil: return nil
        }
    }
}
