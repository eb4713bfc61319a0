import Foundation

/// Best-of-N wall time in seconds (the minimum is the least noisy estimate of what the code costs).
func bestTime(repeats: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = wallSeconds()
        try body()
        best = min(best, wallSeconds() - start)
    }
    return best
}

/// Monotonic wall-clock seconds, for timing one step at a time.
func wallSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func printRow(_ cells: [String]) { print("| " + cells.joined(separator: " | ") + " |") }

/// CPU seconds used by the whole process so far (all threads): on a busy machine, what the work cost.
func processCPUTime() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
