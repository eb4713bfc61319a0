import AmberIO
import Foundation
import Integrators
import MDCore

/// What a simulation writes: trajectory frames, the energy log and restarts. Each frame and log line is
/// flushed as it is written, and restarts replace the old one atomically, so a run killed at any point
/// leaves readable files.
final class RunOutputs {
    private let trajectory: AmberNetCDFTrajectoryWriter?
    private let log: FileHandle?
    private let restartPath: String?
    private let title: String
    private let saveForces: Bool
    private let saveVelocities: Bool
    private let restartAttributes: () -> [String: Double]

    init(arguments: ParsedArguments, atomCount: Int, state: SimulationState, dynamics: Dynamics, title: String,
         restartAttributes: @escaping () -> [String: Double] = { [:] }) throws {
        self.restartAttributes = restartAttributes
        let overwrite = arguments.flag("overwrite"), append = arguments.flag("append")
        self.title = title
        saveForces = arguments.flag("save-forces")
        saveVelocities = arguments.flag("save-velocities")
        restartPath = arguments.string("restart-out")
        let contents = AmberNetCDF.Contents(velocities: saveVelocities, forces: saveForces, box: state.box != nil)
        if let out = arguments.string("out") {
            if append && FileManager.default.fileExists(atPath: out) {
                trajectory = try AmberNetCDFTrajectoryWriter(appendingTo: out, atomCount: atomCount, contents: contents)
            } else {
                trajectory = try AmberNetCDFTrajectoryWriter(creating: out, atomCount: atomCount, contents: contents, title: title, overwrite: overwrite)
            }
        } else {
            trajectory = nil
        }
        if let path = arguments.string("log") {
            let exists = FileManager.default.fileExists(atPath: path)
            if !(append && exists) {
                guard FileManager.default.createFile(atPath: path, contents: Data(RunOutputs.logHeader.utf8)) else {
                    throw FileAccessError(file: path, "cannot be written")
                }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw FileAccessError(file: path, "cannot be written") }
            handle.seekToEndOfFile()
            log = handle
        } else {
            log = nil
        }
    }

    static let logHeader = "step,time_ps,potential_kcal_mol,kinetic_kcal_mol,total_kcal_mol,temperature_K,volume_A3\n"

    func record(_ state: SimulationState, _ dynamics: Dynamics) throws {
        if let trajectory {
            var frame = Frame(positions: state.positions, box: state.box, time: state.time)
            if saveForces { frame.forces = dynamics.forces }
            if saveVelocities { frame.velocities = state.velocities }
            try trajectory.append(frame)
        }
        if let log {
            let kinetic = dynamics.kineticEnergy(state)
            let potential = dynamics.potentialEnergy ?? .nan
            let line = String(format: "%d,%.6f,%.6f,%.6f,%.6f,%.4f,%.3f\n", state.step, state.time, potential, kinetic,
                              potential + kinetic, dynamics.temperature(state), state.box?.volume ?? 0)
            log.write(Data(line.utf8))
        }
    }

    /// Writes a restart and makes the running state exactly what a run continued from it will start
    /// from: velocities rounded as the file rounds them, neighbour lists rebuilt, forces recomputed.
    func checkpoint(_ state: inout SimulationState, _ dynamics: Dynamics) throws {
        guard let restartPath else { return }
        for k in 0..<state.velocities.count {
            state.velocities[k] = state.velocities[k] / Units.amberVelocityScale * Units.amberVelocityScale
        }
        let frame = Frame(positions: state.positions, velocities: state.velocities, box: state.box, time: state.time)
        if restartPath.hasSuffix(".rst7") {
            try Rst7.write(frame, to: restartPath, title: title, overwrite: true)
        } else {
            try AmberNetCDFRestart.write(frame, to: restartPath, title: title, overwrite: true, attributes: restartAttributes())
        }
        dynamics.provider.resetCaches()
        try dynamics.updateForces(state)
    }

    func close() {
        trajectory?.close()
        try? log?.close()
    }
}
