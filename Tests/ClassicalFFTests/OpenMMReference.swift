import AmberIO
import Foundation
@testable import ClassicalFF
import MDCore

/// The OpenMM 8.6.1 reference values in Tests/Fixtures/reference (made by
/// scripts/make_openmm_reference.py on the Reference platform, double precision).
struct OpenMMReference {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("Tests/Fixtures/reference")
    static let index: [String: Any] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("index.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    let name: String
    let json: [String: Any]
    let prmtop: Prmtop
    let frame: Frame

    init(_ name: String) throws {
        self.name = name
        json = (OpenMMReference.index["cases"] as! [String: Any])[name] as! [String: Any]
        prmtop = try Prmtop(contentsOf: OpenMMReference.root.appendingPathComponent(json["prmtop"] as! String).path)
        frame = try Rst7.read(OpenMMReference.root.appendingPathComponent(json["coordinates"] as! String).path).frame
    }

    var energies: [String: Double] { json["energies"] as! [String: Double] }

    func forces(_ term: String) throws -> [Double] {
        let entry = (json["forces"] as! [String: Any])[term] as! [String: Any]
        let data = try Data(contentsOf: OpenMMReference.directory.appendingPathComponent(entry["file"] as! String))
        let rows = data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        guard let atoms = entry["atoms"] as? [Int] else { return rows }
        var full = [Double](repeating: 0, count: 3 * prmtop.atomCount)
        for (k, atom) in atoms.enumerated() { for d in 0..<3 { full[3 * atom + d] = rows[3 * k + d] } }
        return full
    }

    /// ‖a − b‖ / ‖b‖ over all components: the relative RMS error of a force field.
    static func relativeRMS(_ a: [Double], _ b: [Double]) -> Double {
        var diff = 0.0, norm = 0.0
        for (x, y) in zip(a, b) { diff += (x - y) * (x - y); norm += y * y }
        return (diff / norm).squareRoot()
    }
}

extension ClassicalForceField {
    /// Total energy and forces for a frame, for tests.
    func evaluate(_ positions: [Double], box: Box?) throws -> (energy: Double, forces: [Double]) {
        var forces = [Double](repeating: 0, count: positions.count)
        let e = try positions.withUnsafeBufferPointer { x in
            try forces.withUnsafeMutableBufferPointer { f in try compute(positions: x, box: box, forces: f) }
        }
        return (e!, forces)
    }
}
