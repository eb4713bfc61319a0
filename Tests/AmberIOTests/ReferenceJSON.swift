import Foundation

/// Reference values written beside the NetCDF fixtures by scripts/make_io_fixtures.py, read with
/// netCDF4 and OpenMM independently of md.
struct ReferenceFrame {
    var time: Double
    var cellLengths: [Double]
    var cellAngles: [Double]
    /// First three atoms, in engine units (velocities in Å/ps).
    var coordinates: [[Double]]
    var velocities: [[Double]]?
    var forces: [[Double]]?
}

enum ReferenceJSON {
    static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name)))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// The frames a sidecar lists, keyed by 0-based index.
    static func frames(_ name: String) throws -> [Int: ReferenceFrame] {
        let json = try load(name)
        var out: [Int: ReferenceFrame] = [:]
        for f in json["frames"] as! [[String: Any]] {
            out[f["index"] as! Int] = ReferenceFrame(
                time: f["time_ps"] as! Double, cellLengths: f["cell_lengths"] as! [Double], cellAngles: f["cell_angles"] as! [Double],
                coordinates: f["coordinates_raw"] as! [[Double]], velocities: f["velocities_scaled"] as? [[Double]],
                forces: f["forces_raw"] as? [[Double]])
        }
        return out
    }
}
