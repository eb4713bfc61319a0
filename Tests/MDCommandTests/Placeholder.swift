import XCTest
final class PlaceholderMDCommandTests: XCTestCase { func testNothing() {} }
