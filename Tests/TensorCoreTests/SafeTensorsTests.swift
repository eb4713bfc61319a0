import Foundation
import XCTest
@testable import TensorCore

final class SafeTensorsTests: XCTestCase {
    /// The tensors of md-written.safetensors (also described in md-written.json for the Python check).
    static var mdWrittenModel: ModelFile {
        let w = Tensor<Float>(shape: Shape(2, 3), scalars: [1, -2.5, 0.1, 3.4e38, -1e-30, 0])
        let b = Tensor<Float>(shape: Shape(3), scalars: [0.25, 0.5, 0.75])
        let r = Tensor<Double>(shape: Shape(2, 2), scalars: [Double.pi, -Double.ulpOfOne, 1e300, 6.02214076e23])
        let cg = Tensor<Float>(shape: Shape(3, 1, 2), scalars: (0..<6).map { Float($0) / 7 })
        return ModelFile(tensors: [("layer0.weight", .float(w)), ("layer0.bias", .float(b)), ("radial.scale", .double(r)),
                                   ("cg.l1", .float(cg)), ("empty", .float(Tensor(zeros: Shape(0, 4))))],
                         hyperParameters: ["order": "2", "channels": "16", "radial_basis": "bessel 8"],
                         elements: ["C", "H", "N", "O", "S", "Na+", "Cl-"],
                         units: ["force": "kcal/mol/A", "length": "A"],
                         provenance: ["data": "systems/ala2-water", "steps": "1000", "note": "fixture \"quoted\" ünïcode"])
    }

    static func expectedJSON(_ m: ModelFile) -> [String: Any] {
        var tensors: [String: Any] = [:]
        for (name, t) in m.tensors {
            switch t {
            case let .float(x): tensors[name] = ["dtype": "F32", "shape": x.shape.dims, "values": x.scalars.map(Double.init)]
            case let .double(x): tensors[name] = ["dtype": "F64", "shape": x.shape.dims, "values": x.scalars]
            }
        }
        return ["metadata": m.metadata, "tensors": tensors]
    }

    func testMdWrittenFixtureIsWhatMdWritesToday() throws {
        let model = Self.mdWrittenModel
        let bytes = try SafeTensors.encode(model.tensors, metadata: model.metadata)
        if ProcessInfo.processInfo.environment["MD_WRITE_FIXTURES"] == "1" {
            try model.write(to: Fixtures.path("md-written.safetensors"))
            let json = try JSONSerialization.data(withJSONObject: Self.expectedJSON(model), options: [.prettyPrinted, .sortedKeys])
            try json.write(to: URL(fileURLWithPath: Fixtures.path("md-written.json")))
        }
        // Deterministic output: the committed fixture (checked by scripts/check_safetensors.py) is byte for byte today's.
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("md-written.safetensors")))), bytes)
    }

    func testRoundTripThroughAFile() throws {
        let model = Self.mdWrittenModel
        let path = Fixtures.scratchDirectory(for: self) + "/model.safetensors"
        try model.write(to: path)
        let back = try ModelFile.read(path)
        XCTAssertEqual(back.hyperParameters, model.hyperParameters)
        XCTAssertEqual(back.elements, model.elements)
        XCTAssertEqual(back.units, model.units)
        XCTAssertEqual(back.provenance, model.provenance)
        XCTAssertEqual(Set(back.tensors.map(\.0)), Set(model.tensors.map(\.0)))
        for (name, t) in model.tensors {
            switch t {
            case let .float(x): XCTAssertEqual(back.tensor(name, as: Float.self), x, name)
            case let .double(x): XCTAssertEqual(back.tensor(name, as: Double.self), x, name)
            }
        }
        try back.validate(expecting: model.tensors.map { ($0.0, $0.1.dtype, $0.1.shape) }, path: path)
        XCTAssertThrowsError(try back.validate(expecting: [("layer0.weight", .F32, Shape(3, 2))], path: path)) {
            XCTAssertEqual("\($0)", "\(path): tensor 'layer0.weight': is F32 [2, 3], the model needs F32 [3, 2]")
        }
        XCTAssertThrowsError(try back.validate(expecting: model.tensors.map { ($0.0, $0.1.dtype, $0.1.shape) } + [("extra", .F32, Shape(1))], path: path)) {
            XCTAssertEqual("\($0)", "\(path): tensor 'extra': missing from the model file")
        }
    }

    func testReadsAFileWrittenByPythonSafetensors() throws {
        let file = try SafeTensorsFile(contentsOf: Fixtures.path("python-written.safetensors"))
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("python-written.json")))) as! [String: Any]
        XCTAssertEqual(file.metadata, expected["metadata"] as! [String: String])
        let tensors = expected["tensors"] as! [String: [String: Any]]
        XCTAssertEqual(Set(file.names), Set(tensors.keys))
        for (name, want) in tensors {
            let shape = want["shape"] as! [Int], values = want["values"] as! [Double]
            switch want["dtype"] as! String {
            case "F32":
                let t = try file.tensor(name, as: Float.self)
                XCTAssertEqual(t.shape.dims, shape, name)
                XCTAssertEqual(t.scalars, values.map(Float.init), name)
            default:
                let t = try file.tensor(name, as: Double.self)
                XCTAssertEqual(t.shape.dims, shape, name)
                XCTAssertEqual(t.scalars, values, name)
            }
        }
    }

    // MARK: broken files

    private func header(_ json: String, data: Int, extra: [UInt8] = []) -> [UInt8] {
        var h = Array(json.utf8)
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { out.append(contentsOf: $0) }
        out += h
        h.removeAll()
        return out + [UInt8](repeating: 0, count: data) + extra
    }

    private func assertRejects(_ bytes: [UInt8], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(bytes: bytes, path: "bad.safetensors"), file: file, line: line) { error in
            XCTAssertEqual("\(error)", "bad.safetensors: " + message, file: file, line: line)
        }
    }

    func testBrokenFilesAreRejectedNamingFileAndTensor() throws {
        let good = try SafeTensors.encode([("a", .float(Tensor(zeros: Shape(2, 3)))), ("b", .double(Tensor(zeros: Shape(2))))])
        XCTAssertNoThrow(try SafeTensorsFile(bytes: good, path: "good"))
        let a = #"{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}"#
        assertRejects(Array(good.prefix(5)), "truncated: 5 bytes, shorter than the 8-byte header length")
        assertRejects(Array(good.prefix(30)), "truncated: header length \(good.count - 8 - 40) bytes but only 22 bytes follow the length")
        assertRejects(Array(good.dropLast(4)), "tensor 'a': truncated: data ends at byte 40 of the data section but the file holds only 36")
        assertRejects(good + [1, 2, 3], "3 bytes after the last tensor's data (header covers 40 of 43)")
        assertRejects([255, 255, 255, 255, 0, 0, 0, 0] + good, "header length 4294967295 bytes is implausible (limit 100 MB); not a safetensors file?")
        assertRejects(header("[1]     ", data: 0), "header does not start with '{'; not a safetensors file?")
        assertRejects(header(#"{"a":\#(a),"a":\#(a)}"#, data: 24), "header JSON: duplicate key \"a\" at header byte 57")
        assertRejects(header(#"{"a":{"dtype":"F33","shape":[2,3],"data_offsets":[0,24]}}"#, data: 24), "tensor 'a': unknown dtype \"F33\"")
        assertRejects(header(#"{"a":{"dtype":"F32","shape":[3,3],"data_offsets":[0,24]}}"#, data: 24),
                      "tensor 'a': data_offsets [0, 24] hold 24 bytes but F32 [3, 3] needs 36")
        assertRejects(header(#"{"a":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,24]}}"#, data: 24),
                      "tensor 'a': shape [2,-3] has a non-integer or negative dimension")
        assertRejects(header(#"{"a":{"dtype":"F32","shape":[2,3]}}"#, data: 24), "tensor 'a': data_offsets must be [begin, end]")
        assertRejects(header(#"{"a":\#(a),"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}"#, data: 24),
                      "tensor 'b': data overlaps the previous tensor (starts at byte 16, previous ends at 24)")
        assertRejects(header(#"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}"#, data: 32),
                      "tensor 'a': gap in the data before byte 8 (previous tensor ends at 0)")
        assertRejects(header(#"{"__metadata__":{"k":1}}"#, data: 0), "__metadata__ value for \"k\" is not a string")
        assertRejects(header(#"{"a":\#(a)"#, data: 24), "header JSON: expected '}' at header byte 56")

        let file = try SafeTensorsFile(bytes: good, path: "good")
        XCTAssertThrowsError(try file.tensor("a", as: Double.self)) { XCTAssertEqual("\($0)", "good: tensor 'a': dtype is F32, expected F64") }
        XCTAssertThrowsError(try file.tensor("c", as: Float.self)) { XCTAssertEqual("\($0)", "good: tensor 'c': no such tensor (file has b, a)") }

        let dir = Fixtures.scratchDirectory(for: self)
        try SafeTensors.write([("w", .float(Tensor(zeros: Shape(1))))], to: dir + "/plain.safetensors")
        XCTAssertThrowsError(try ModelFile.read(dir + "/plain.safetensors")) {
            XCTAssertEqual("\($0)", "\(dir)/plain.safetensors: no \"md.format\" metadata: not an md model file")
        }
        XCTAssertThrowsError(try ModelFile.read(dir + "/missing.safetensors")) {
            XCTAssertEqual("\($0)", "\(dir)/missing.safetensors: cannot read the file")
        }
    }

    func testDuplicateNamesAreRefusedWhenWriting() {
        XCTAssertThrowsError(try SafeTensors.encode([("a", .float(Tensor(zeros: Shape(1)))), ("a", .float(Tensor(zeros: Shape(1))))]))
    }
}
