/// Shared option groups, so every subcommand spells them the same way.
enum CommonOptions {
    /// --first, --last, --stride: which frames of a file a command takes ("analysed", "written").
    static func frameRange(_ participle: String, each: String = "") -> [OptionSpec] {
        [OptionSpec("first", value: "N", help: "First frame \(participle)\(each), 0-based; negative counts from the end (default 0)."),
         OptionSpec("last", value: "N", help: "Last frame \(participle), inclusive; negative counts from the end (default the last)."),
         OptionSpec("stride", value: "N", help: "Take every Nth frame from --first (default 1).")]
    }
    static let forces = OptionSpec("forces", value: "classical|learned[=MODEL]",
                                   help: "Force provider: classical, the AMBER force field of the prmtop (default); learned, the trained network (models/default.safetensors or MODEL), which drives only the atoms its model was trained on (protein atoms for the paper's models) while classical AMBER drives the rest (water, ions).")
    static let coordinates = OptionSpec("coordinates", value: "FILE", help: "Coordinates when SYSTEM is a prmtop (default: the .rst7 beside it with the same stem).")
    static let json = OptionSpec("json", help: "Print the result as JSON.")
    static let overwrite = OptionSpec("overwrite", help: "Replace output files that already exist (never done otherwise).")
    static let quiet = OptionSpec("quiet", help: "No progress line on standard error.")
    static let systemArgument = PositionalSpec("SYSTEM", help: "A folder holding one .prmtop and one .rst7, or a .prmtop path.")
}
