import AmberIO
import Foundation
import MDCore

/// File-format speed: reading every shipped prmtop and rst7, and writing/reading NetCDF frames.
enum IOBenchmark {
    static func run() throws {
        let systems = ["ala2-water", "chignolin-water", "bench-30k"]
        printRow(["system", "atoms", "prmtop read+decode (ms)", "rst7 read (ms)", "NetCDF write 100 frames (ms/frame)", "NetCDF read (ms/frame)"])
        printRow(Array(repeating: "---", count: 6))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("md-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for name in systems {
            let prmtopPath = "systems/\(name)/\(name).prmtop"
            var prmtop: Prmtop!
            let readPrmtop = try bestTime { prmtop = try Prmtop(contentsOf: prmtopPath) }
            var frame: Frame!
            let readRst7 = try bestTime { frame = try Rst7.read("systems/\(name)/\(name).rst7").frame }
            frame.velocities = frame.positions
            frame.forces = frame.positions
            let path = "\(scratch)/\(name).nc"
            let frames = 100
            let write = try bestTime(repeats: 3) {
                let writer = try AmberNetCDFTrajectoryWriter(creating: path, atomCount: prmtop.atomCount, contents: .init(of: frame), overwrite: true)
                for _ in 0..<frames { try writer.append(frame) }
                writer.close()
            }
            let read = try bestTime(repeats: 3) {
                let reader = try AmberNetCDFReader(path)
                for i in 0..<frames { _ = try reader.frame(i) }
            }
            printRow([name, "\(prmtop.atomCount)", String(format: "%.1f", readPrmtop * 1e3), String(format: "%.1f", readRst7 * 1e3),
                      String(format: "%.2f", write * 1e3 / Double(frames)), String(format: "%.2f", read * 1e3 / Double(frames))])
        }
    }
}
