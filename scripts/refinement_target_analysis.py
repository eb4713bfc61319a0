#!/usr/bin/env python3
"""Where refinement targets vary: the numbers behind md's sequence-separation option.

For every candidate of a refinement dataset (format "md-refinement-dataset 1"), runs
`md refine CANDIDATE --solution SOLUTION --targets` (Algorithm 1 vectors v) and prints, per split:
- the share of the variance of |v| that lies between candidates (the rest is within a candidate),
  which is also the Pearson r^2 of the oracle that knows each candidate's mean |v|;
- the Pearson r of |v| with the fraction of an atom's 49 nearest matched atoms that are more than
  4 residues away along the chain or in another chain (a tertiary contact), which elements and
  distances alone, the paper's inputs, do not show.

Usage: scripts/refinement_target_analysis.py REFINE_DATA [--md .build/release/md] [--threads 2]
Needs NumPy and SciPy (e.g. /work/venv/bin/python). About a minute for RNA-Puzzles on 2 cores.
"""
import argparse, csv, os, subprocess, tempfile
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import refinement_manifest
from scipy.spatial import cKDTree

def targets(md, candidate, solution, out):
    subprocess.run([md, "refine", candidate, "--solution", solution, "--targets", out, "--threads", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    rows = list(csv.DictReader(line for line in open(out) if not line.startswith("#")))
    xyz = np.array([[float(r["x"]), float(r["y"]), float(r["z"])] for r in rows])
    length = np.array([float(r["length"]) for r in rows])
    chain = np.array([r["chain"] for r in rows])
    residue = np.array([int("".join(c for c in r["residue"] if c.isdigit() or c == "-")) for r in rows])
    _, neighbours = cKDTree(xyz).query(xyz, 50)
    others = neighbours[:, 1:]
    distant = (chain[others] != chain[:, None]) | (np.abs(residue[others] - residue[:, None]) > 4)
    return length, distant.mean(1)

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data")
    parser.add_argument("--md", default=refinement_manifest.DEFAULT_MD)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    root, dataset = refinement_manifest.load(args.data)
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(args.threads) as pool:
        jobs = []
        for target in dataset["targets"]:
            solution = os.path.join(root, target["solution"])
            for k, candidate in enumerate(target["candidates"]):
                out = os.path.join(scratch, f"{target['id']}-{k}.csv")
                jobs.append((target["split"], pool.submit(targets, args.md, os.path.join(root, candidate), solution, out)))
        results = {}
        for split, job in jobs:
            results.setdefault(split, []).append(job.result())
    print("split       candidates  atoms    mean|v|  between-candidate variance  r(|v|, distant-neighbour fraction)")
    for split in ("train", "validation", "test"):
        if split not in results:
            continue
        lengths = np.concatenate([l for l, _ in results[split]])
        candidate_means = np.concatenate([np.full(len(l), l.mean()) for l, _ in results[split]])
        distant = np.concatenate([d for _, d in results[split]])
        between = candidate_means.var() / lengths.var()
        print(f"{split:<11} {len(results[split]):>10} {len(lengths):>7} {lengths.mean():>9.3f} {between:>27.3f} "
              f"{np.corrcoef(lengths, distant)[0, 1]:>36.3f}")

if __name__ == "__main__":
    main()
