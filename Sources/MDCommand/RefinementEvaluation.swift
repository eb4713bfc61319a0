import AmberIO
import Foundation
import LearnedFF
import MDCore
import Refinement

/// `md evaluate` on a refinement dataset: the paper's Table 2 and Figure 5 (§4.4) over the
/// candidates of a split, and what refining them does: each candidate's all-atom RMSD to its
/// solution (one global superposition) and mean local |v| before and after the `StructureRefiner`
/// move of every vector model, beside the oracle that moves every atom by its whole true −v once.
struct RefinementEvaluation {
    /// One predictor's refinement of every candidate.
    struct Outcome: Encodable {
        var predictor: String
        var meanGlobalRMSD: Double
        var meanLocalVector: Double
        /// Candidates whose global RMSD went down.
        var improved: Int
    }
    struct Summary: Encodable {
        var candidates: Int
        var step: Double
        var iterations: Int
        var before: Outcome
        var models: [Outcome]
        var oracle: Outcome
    }

    /// Adds every candidate of `dataset` to `evaluation` and refines it; returns the report's description lines and the summary.
    static func run(dataset: RefinementDataset, manifest: String, split: String, limit: Int?, models: [LearnedModel],
                    infos: [ForceEvaluation.Model], step: Double, iterations: Int, threads: Int, evaluation: inout ForceEvaluation,
                    console: Console, quiet: Bool) throws -> (description: [String], summary: Summary) {
        let total = dataset.targets.reduce(0) { $0 + min($1.candidates.count, limit ?? .max) }
        guard total > 0 else { throw FileFormatError(file: manifest, "selects no candidates (split \"\(split)\")") }
        let progress = Progress(console: console, total: total, label: "evaluate", quiet: quiet) { String(format: "%.2f candidates/s", $0) }
        let refiners = models.map { $0.configuration.predictsVectors ? StructureRefiner(model: $0, step: step, iterations: iterations, threads: threads) : nil }
        var before: [StructureRefiner.Deviation] = [], oracle: [StructureRefiner.Deviation] = []
        var after = models.map { _ in [StructureRefiner.Deviation]() }
        var index = 0
        try dataset.samples(limit: limit, threads: threads) { sample in
            let solution = sample.solutionPositions
            // A vector model's Table 2 prediction is its refiner's first one (the network on the candidate as given).
            let predicted = try zip(models, refiners).enumerated().map { m, pair -> [Double] in
                let (model, refiner) = pair
                guard let refiner else { return model.predictedForces(try sample.example(model: model), threads: threads) }
                let refined = try refiner.refine(sample.candidatePositions, elements: sample.elements, sequence: sample.sequence, source: sample.candidate)
                after[m].append(StructureRefiner.deviation(refined.path.last!, solution: solution, threads: threads))
                return refined.predictions[0]
            }
            let target = sample.vectors.flatMap { [$0.x, $0.y, $0.z] }
            evaluation.add(source: sample.candidate, system: sample.target, kind: "candidate", index: index, time: 0, target: target,
                           protein: [], predicted: predicted)
            before.append(StructureRefiner.deviation(sample.candidatePositions, solution: solution, threads: threads))
            // The oracle moves each atom by the whole true −v, once: onto its locally aligned solution position.
            oracle.append(StructureRefiner.deviation(zip(sample.candidatePositions, sample.vectors).map { $0 - $1 },
                                                     solution: solution, threads: threads))
            index += 1
            progress.update(index, detail: sample.target)
        }
        progress.finish()
        func outcome(_ name: String, _ d: [StructureRefiner.Deviation]) -> Outcome {
            let n = Double(max(d.count, 1))
            return Outcome(predictor: name, meanGlobalRMSD: d.reduce(0) { $0 + $1.globalRMSD } / n,
                           meanLocalVector: d.reduce(0) { $0 + $1.meanLocalVector } / n,
                           improved: zip(d, before).filter { $0.globalRMSD < $1.globalRMSD }.count)
        }
        let summary = Summary(candidates: index, step: step, iterations: iterations, before: outcome("candidates as given", before),
                              models: zip(infos, after).filter { !$0.1.isEmpty }.map { outcome($0.0.label, $0.1) },
                              oracle: outcome("oracle: true vectors, one whole move", oracle))
        let ids = dataset.targets.map(\.id)
        return (["Data: `\(manifest)`, split \(split): \(ids.count) target\(ids.count == 1 ? "" : "s") (\(ids.joined(separator: ", "))); "
                 + "\(index) candidate\(index == 1 ? "" : "s")" + (limit.map { " (at most \($0) per target)" } ?? "")
                 + ". Reference vectors: Algorithm 1 against each target's solution (50-atom neighbourhoods, matched heavy atoms)."],
                summary)
    }

    static func markdown(_ s: Summary) -> String {
        let header = ["structures", "mean all-atom RMSD to solution (Å)", "mean local vector length (Å)", "RMSD lowered"]
        let rows = ([s.before] + s.models + [s.oracle]).map { o in
            ForceEvaluation.line(["`\(o.predictor)`", String(format: "%.3f", o.meanGlobalRMSD), String(format: "%.3f", o.meanLocalVector),
                                  o.predictor == s.before.predictor ? "—" : "\(o.improved) of \(s.candidates)"])
        }
        return "## Refinement (md refine --model on every candidate)\n\n"
            + "Each model moves every atom by −\(s.step)·v (its predicted vector), \(s.iterations) iteration\(s.iterations == 1 ? "" : "s"); "
            + "RMSD after one optimal superposition over the matched heavy atoms; the local vector length is the mean |v| of Algorithm 1 on the moved structure.\n\n"
            + ([ForceEvaluation.line(header), ForceEvaluation.line(header.map { _ in "---" })] + rows).joined(separator: "\n")
    }
}
