import XCTest
final class PlaceholderMDCoreTests: XCTestCase { func testNothing() {} }
