import Foundation

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/tensorcore")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A fresh empty directory for files a test writes.
    static func scratchDirectory() -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("md-tensorcore-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}
