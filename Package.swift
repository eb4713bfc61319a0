// swift-tools-version:5.9
import PackageDescription

// Modules follow DESIGN.md: data flows files → System + State → ForceProvider → Integrator → files.
let package = Package(
    name: "md",
    products: [
        .executable(name: "md", targets: ["md"]),
        .executable(name: "md-bench", targets: ["md-bench"]),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNetCDF", pkgConfig: "netcdf", providers: [.apt(["libnetcdf-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),

        .target(name: "MDCore"),
        .target(name: "TensorCore", dependencies: ["MDCore", "COpenBLAS"]),
        // Haswell (AVX2 + FMA, 2013 on) for the network's per-edge channel loops.
        .target(name: "Equivariant", dependencies: ["MDCore", "TensorCore"], swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"])]),
        .target(name: "AmberIO", dependencies: ["MDCore", "CNetCDF"]),
        .target(name: "ClassicalFF", dependencies: ["MDCore", "AmberIO", "CFFTW"]),
        .target(name: "Integrators", dependencies: ["MDCore", "AmberIO"]),
        .target(name: "LearnedFF", dependencies: ["MDCore", "AmberIO", "TensorCore", "Equivariant"]),
        .target(name: "Analysis", dependencies: ["MDCore", "AmberIO"]),
        // Structure-refinement targets (paper Section 4.4): PDB matching and Algorithm 1's local alignments.
        .target(name: "Refinement", dependencies: ["MDCore", "AmberIO", "Analysis", "Equivariant", "TensorCore", "LearnedFF"]),
        .target(name: "MDCommand", dependencies: ["MDCore", "AmberIO", "ClassicalFF", "Integrators", "TensorCore", "Equivariant",
                                                  "LearnedFF", "Analysis", "Refinement"]),
        .executableTarget(name: "md", dependencies: ["MDCommand", "TensorCore"]),
        .executableTarget(name: "md-bench", dependencies: ["MDCore", "AmberIO", "ClassicalFF", "TensorCore", "Equivariant", "LearnedFF"]),

        .testTarget(name: "MDCoreTests", dependencies: ["MDCore"]),
        .testTarget(name: "AmberIOTests", dependencies: ["AmberIO", "MDCore"]),
        .testTarget(name: "ClassicalFFTests", dependencies: ["ClassicalFF", "AmberIO", "MDCore"]),
        .testTarget(name: "IntegratorsTests", dependencies: ["Integrators", "ClassicalFF", "AmberIO", "MDCore"]),
        .testTarget(name: "MDCommandTests", dependencies: ["MDCommand", "AmberIO", "MDCore", "ClassicalFF", "TensorCore", "Equivariant", "LearnedFF"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "MDCore"]),
        .testTarget(name: "EquivariantTests", dependencies: ["Equivariant", "MDCore", "TensorCore"]),
        .testTarget(name: "LearnedFFTests", dependencies: ["LearnedFF", "Equivariant", "TensorCore", "AmberIO", "ClassicalFF", "MDCore"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "AmberIO", "MDCore"]),
        .testTarget(name: "RefinementTests", dependencies: ["Refinement", "Analysis", "AmberIO", "MDCore", "Equivariant", "LearnedFF", "TensorCore"]),
    ]
)
