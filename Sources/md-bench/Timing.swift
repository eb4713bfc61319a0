import Foundation

/// Best-of-N wall time in seconds (the minimum is the least noisy estimate of what the code costs).
func bestTime(repeats: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

func printRow(_ cells: [String]) { print("| " + cells.joined(separator: " | ") + " |") }
