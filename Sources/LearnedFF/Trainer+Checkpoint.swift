import Foundation
import TensorCore

/// Checkpoints that resume exactly: current and best parameters, Adam's moments and step count,
/// the learning-rate schedule's state and the early-stopping count, in one safetensors file.
/// The data order is a function of (seed, step), so nothing else is needed.
extension Trainer {
    public static let checkpointFormat = "md-checkpoint 1"

    // The schedule's best loss is +∞ until a first validation: JSON needs it spelled out.
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    public func writeCheckpoint(to path: String) throws {
        var tensors: [(String, AnyTensor)] = []
        for name in model.parameters.names { tensors.append(("current." + name, .float(model.parameters[name]!))) }
        for name in best.parameters.names { tensors.append(("best." + name, .float(best.parameters[name]!))) }
        for (name, t) in optimizerState.tensors { tensors.append(("adam." + name, .float(t))) }
        let schedule = String(decoding: try Trainer.encoder.encode(self.schedule), as: UTF8.self)
        let options = String(decoding: try Trainer.encoder.encode(self.options), as: UTF8.self)
        let metadata = ["md.format": Trainer.checkpointFormat, "step": "\(step)", "adam_steps": "\(optimizerState.steps)",
                        "best_validation_loss": "\(bestValidationLoss)", "stale_validations": "\(staleValidations)",
                        "schedule": schedule, "options": options]
        try SafeTensors.write(tensors, metadata: metadata, to: path)
    }

    /// Restores a checkpoint written by a trainer over the same model and data; the options must
    /// match except `steps` (a resumed run may go further).
    public func restoreCheckpoint(from path: String) throws {
        let file = try SafeTensorsFile(contentsOf: path)
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(path: path, tensor: nil, reason: reason) }
        guard file.metadata["md.format"] == Trainer.checkpointFormat else { throw fail("not an md training checkpoint") }
        guard let step = Int(file.metadata["step"] ?? ""), let adamSteps = Int(file.metadata["adam_steps"] ?? ""),
              let bestLoss = Double(file.metadata["best_validation_loss"] ?? ""), let stale = Int(file.metadata["stale_validations"] ?? ""),
              let scheduleText = file.metadata["schedule"], let optionsText = file.metadata["options"] else {
            throw fail("checkpoint metadata is incomplete")
        }
        let schedule = try Trainer.decoder.decode(LearningRateSchedule.self, from: Data(scheduleText.utf8))
        var saved = try Trainer.decoder.decode(TrainingOptions.self, from: Data(optionsText.utf8))
        saved.steps = options.steps
        guard saved == options else { throw fail("was made with other training options (\(optionsText))") }
        var current = model.parameters, bestParameters = best.parameters
        for name in model.parameters.names {
            let expected = model.parameters[name]!.shape
            for (prefix, target) in [("current.", 0), ("best.", 1)] {
                let t: Tensor<Float> = try file.tensor(prefix + name)
                guard t.shape == expected else { throw fail("tensor \(prefix + name) is \(t.shape), the model needs \(expected)") }
                if target == 0 { current[name] = t } else { bestParameters[name] = t }
            }
        }
        var adam: [String: Tensor<Float>] = [:]
        for name in file.names where name.hasPrefix("adam.") { adam[String(name.dropFirst(5))] = try file.tensor(name) }
        restore(step: step, parameters: current, best: bestParameters, adamSteps: adamSteps, adam: adam,
                bestValidationLoss: bestLoss, staleValidations: stale, schedule: schedule)
    }
}
