import AmberIO
import ClassicalFF
import MDCore

/// The classical force field's forces on given frames: the reference where a trajectory stores no
/// forces, or only a learned model's (md evaluate), and the labels for training on configurations
/// that classical MD never visited, such as a learned run's (md convert --forces classical).
struct ClassicalReference {
    let options: ClassicalOptions
    let forceField: ClassicalForceField

    /// The classical options (`ClassicalOptionsParser`) come from the command line.
    init(prmtop: Prmtop, arguments: ParsedArguments, periodic: Bool, threads: Int) throws {
        var options = try ClassicalOptionsParser.parse(arguments, periodic: periodic)
        options.threads = threads
        self.options = options
        forceField = try ClassicalForceField(prmtop: prmtop, options: options)
    }

    /// Forces (kcal/mol/Å) at the frame's positions, in its box.
    func forces(_ frame: Frame) throws -> [Double] {
        var forces = [Double](repeating: 0, count: 3 * forceField.atomCount)
        let box = options.nonbonded == .noCutoff ? nil : frame.box
        _ = try frame.positions.withUnsafeBufferPointer { x in
            try forces.withUnsafeMutableBufferPointer { try forceField.compute(positions: x, box: box, forces: $0) }
        }
        return forces
    }

    var description: String { EnergyCommand.describe(options, forceField) }
}
