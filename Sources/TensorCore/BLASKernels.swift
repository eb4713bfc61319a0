import COpenBLAS
import Foundation

/// OpenBLAS chooses its kernels by CPU detection when the library loads. On some virtual machines
/// (this project's CI kind among them) detection falls back to the generic SSE3 "Prescott"
/// kernels, which run sgemm about 4× slower than the AVX-512 or AVX2 ones the CPU supports. The
/// choice can only be made before the library loads, through OPENBLAS_CORETYPE, so a program
/// calls `ensureOptimized(arguments:)` first thing: when the generic kernels were picked on a CPU
/// with AVX2 or AVX-512, it sets OPENBLAS_CORETYPE and executes itself again, once.
public enum BLASKernels {
    /// The kernel family OpenBLAS is using.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The core type matching this CPU's features (from /proc/cpuinfo), nil when unknown.
    static func bestCoreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    public static func ensureOptimized(arguments: [String] = CommandLine.arguments) {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, coreName.lowercased() == "prescott", let best = bestCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", best, 1)
        var argv = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // execv only returns on failure: carry on with the generic kernels.
    }
}
