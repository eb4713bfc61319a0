import Foundation
import XCTest

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/tensorcore")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A fresh empty directory for files a test writes, removed when the test ends.
    static func scratchDirectory(for test: XCTestCase) -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("md-tensorcore-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }
}
