#!/usr/bin/env python3
"""What limits refinement models on held-out targets, and what averaging models gains.

For every candidate of one split of a refinement dataset (format "md-refinement-dataset 1"), runs
`md refine CANDIDATE --model M --solution SOLUTION --vectors` for each model (its predictions on
the candidate as given, beside Algorithm 1's vectors) and prints, over the split's atoms pooled:
- each model's Table 2 figures: magnitude error (and its ratio to the mean-magnitude baseline),
  angle, tensor error relative to the zero vector, Pearson r of |p| against |t|;
- where its Pearson r is lost: r within candidates (mean over candidates), r of the candidates'
  mean |p| against their mean |t|, r when each candidate's mean |p| is replaced by its true mean
  |t| (an oracle of candidate quality), r without the atoms whose |t| exceeds 20 A, Spearman r;
- two averages of the models: the mean of the vector models' vectors, and the same directions
  with the mean of every model's lengths (order-0 models included).

Usage: scripts/refinement_model_analysis.py REFINE_DATA MODEL [MODEL ...] [--split test]
       [--md .build/release/md] [--threads 2] [--json OUT.json]
Needs NumPy. About 3 minutes per model for the RNA-Puzzles test split on 2 cores.
"""
import argparse, csv, json, os, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import refinement_manifest

def field(md, model, candidate, solution, out):
    subprocess.run([md, "refine", candidate, "--model", model, "--solution", solution, "--vectors", out, "--threads", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    rows = list(csv.DictReader(line for line in open(out) if not line.startswith("#")))
    target = np.array([[float(r["vx"]), float(r["vy"]), float(r["vz"])] for r in rows])
    if "px" in rows[0]:
        return np.array([[float(r["px"]), float(r["py"]), float(r["pz"])] for r in rows]), target
    return np.array([float(r["predicted_length"]) for r in rows]), target

def pearson(a, b):
    return float(np.corrcoef(a, b)[0, 1])

def figures(t, p, candidate):
    """Table 2 figures and the Pearson diagnostics; p is (n, 3) vectors or (n,) lengths."""
    tl = np.linalg.norm(t, axis=1)
    pl = np.linalg.norm(p, axis=1) if p.ndim == 2 else np.abs(p)
    out = {"magnitude": float(np.mean(np.abs(pl - tl))), "magnitude_ratio": float(np.mean(np.abs(pl - tl)) / np.mean(np.abs(tl - tl.mean()))),
           "pearson": pearson(pl, tl)}
    if p.ndim == 2:
        cosine = np.sum(p * t, 1) / np.maximum(pl * tl, 1e-12)
        out["angle"] = float(np.degrees(np.arccos(np.clip(cosine, -1, 1))).mean())
        out["tensor_ratio"] = float(np.linalg.norm(p - t, axis=1).mean() / tl.mean())
    ids = np.unique(candidate)
    index = np.searchsorted(ids, candidate)
    mean_t = np.bincount(index, tl) / np.bincount(index)
    mean_p = np.bincount(index, pl) / np.bincount(index)
    out["pearson_within_candidates"] = float(np.mean([pearson(pl[index == k], tl[index == k]) for k in range(len(ids))]))
    out["pearson_of_candidate_means"] = pearson(mean_p, mean_t)
    out["pearson_true_candidate_means"] = pearson(pl - mean_p[index] + mean_t[index], tl)
    small = tl < 20
    out["pearson_without_t_over_20A"] = pearson(pl[small], tl[small])
    out["spearman"] = pearson(np.argsort(np.argsort(pl)), np.argsort(np.argsort(tl)))
    return out

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data")
    parser.add_argument("models", nargs="+")
    parser.add_argument("--split", default="test")
    parser.add_argument("--md", default=refinement_manifest.DEFAULT_MD)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the figures as JSON")
    args = parser.parse_args()
    root, dataset = refinement_manifest.load(args.data)
    pairs = [(os.path.join(root, c), os.path.join(root, t["solution"])) for t in dataset["targets"] if t["split"] == args.split
             for c in t["candidates"]]
    if not pairs:
        sys.exit(f"{args.data}: no candidates in split {args.split}")
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(args.threads) as pool:
        jobs = [[pool.submit(field, args.md, m, c, s, os.path.join(scratch, f"{i}-{k}.csv")) for k, (c, s) in enumerate(pairs)]
                for i, m in enumerate(args.models)]
        results = [[job.result() for job in model] for model in jobs]
    target = np.concatenate([t for _, t in results[0]])
    candidate = np.concatenate([np.full(len(t), k) for k, (_, t) in enumerate(results[0])])
    predictions = [np.concatenate([p for p, _ in model]) for model in results]
    names = [os.path.basename(m) for m in args.models]
    rows = {name: figures(target, p, candidate) for name, p in zip(names, predictions)}
    vectors = [p for p in predictions if p.ndim == 2]
    if vectors and len(predictions) > 1:
        mean = np.mean(vectors, 0)
        if len(vectors) > 1:
            rows["mean of the vector models"] = figures(target, mean, candidate)
        lengths = np.mean([np.linalg.norm(p, axis=1) if p.ndim == 2 else np.abs(p) for p in predictions], 0)
        direction = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
        rows["their directions, every model's mean length"] = figures(target, direction * lengths[:, None], candidate)
    print(f"{args.split}: {len(pairs)} candidates, {len(target)} atoms, mean |t| {np.linalg.norm(target, axis=1).mean():.3f} A")
    keys = ["magnitude", "magnitude_ratio", "angle", "tensor_ratio", "pearson", "pearson_within_candidates", "pearson_of_candidate_means",
            "pearson_true_candidate_means", "pearson_without_t_over_20A", "spearman"]
    print("| predictor | " + " | ".join(keys) + " |\n|" + " --- |" * (len(keys) + 1))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[k]:.3f}" if k in row else "—" for k in keys) + " |")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1, sort_keys=True)

if __name__ == "__main__":
    main()
