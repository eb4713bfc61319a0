#!/usr/bin/env python3
"""Writes Tests/Fixtures/rna/: trimmed RNA-Puzzles rp14_free PDB files and an independent NumPy/SciPy
reference of the structure-refinement vectors (Townshend et al. 2020, Algorithm 1) that md's
Refinement module is tested against.

Usage: /work/venv/bin/python scripts/make_rna_fixtures.py [--data /work/shared/data/rna-puzzles]

Trimming: chain A residues 16-35 of each file (every other ATOM/HETATM record dropped, TER records
dropped, REMARK/END kept); atom lines are copied byte for byte. The reference matches atoms by exact
(chain, residue number + insertion code, residue name, atom name), hydrogens excluded (these files
have none), takes N(a) as the 50 nearest matched candidate atoms by scipy's cKDTree (the atom itself
first), and aligns with Kabsch's SVD (reflection corrected): v_a = p_c(a) - T_a(p_t(a)).
"""
import argparse
import gzip
import json
import os

import numpy as np
from scipy.spatial import cKDTree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "rna")
PUZZLE = "rp14_free"
FILES = [  # (source inside the puzzle folder, original name, fixture name)
    ("solution.pdb.gz", "14_solution_free_0_rpr.pdb", "14_solution_free_0_rpr.res16-35.pdb"),
    ("candidates/14_DasPreExp_1_rpr.pdb.gz", "14_DasPreExp_1_rpr.pdb", "14_DasPreExp_1_rpr.res16-35.pdb"),
    ("candidates/14_BujnickiPostExp_1_rpr.pdb.gz", "14_BujnickiPostExp_1_rpr.pdb", "14_BujnickiPostExp_1_rpr.res16-35.pdb"),
]
FIRST, LAST = 16, 35
K = 50


def trim(source, target):
    with gzip.open(source, "rt") as f:
        lines = f.read().splitlines(keepends=True)
    kept = []
    for line in lines:
        if line.startswith(("ATOM  ", "HETATM")):
            if line[21] == "A" and FIRST <= int(line[22:26]) <= LAST:
                kept.append(line)
        elif not line.startswith("TER"):
            kept.append(line)
    with open(target, "w") as f:
        f.writelines(kept)


def atoms(path):
    out = []
    for line in open(path):
        if line.startswith(("ATOM  ", "HETATM")):
            key = (line[21].strip(), int(line[22:26]), line[26].strip(), line[17:21].strip(), line[12:16].strip())
            out.append((key, np.array([float(line[30:38]), float(line[38:46]), float(line[46:54])])))
    keys = [k for k, _ in out]
    assert len(set(keys)) == len(keys), path
    return out


def kabsch(mobile, reference):
    """R, t with R @ x + t ~ y (proper rotation)."""
    mx, my = mobile.mean(0), reference.mean(0)
    h = (mobile - mx).T @ (reference - my)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    r = vt.T @ np.diag([1, 1, d]) @ u.T
    return r, my - r @ mx


def describe(key):
    chain, number, icode, residue, name = key
    return f"{chain or '_'}:{number}{icode}:{residue}:{name}"


def reference(candidate_path, solution_path):
    c, s = atoms(candidate_path), atoms(solution_path)
    sdict = dict(s)
    matched = [(k, p, sdict[k]) for k, p in c if k in sdict]
    pc = np.array([m[1] for m in matched])
    pt = np.array([m[2] for m in matched])
    _, neighbours = cKDTree(pc).query(pc, k=min(K, len(pc)))
    vectors = []
    for a in range(len(pc)):
        idx = neighbours[a]
        assert idx[0] == a
        r, t = kabsch(pt[idx], pc[idx])
        vectors.append(pc[a] - (r @ pt[a] + t))
    vectors = np.array(vectors)
    r, t = kabsch(pt, pc)
    rmsd = float(np.sqrt((((pt @ r.T + t) - pc) ** 2).sum(1).mean()))
    lengths = np.linalg.norm(vectors, axis=1)
    return {
        "candidateRecords": len(c), "solutionRecords": len(s), "matched": len(matched),
        "globalRMSD": rmsd, "meanVectorLength": float(lengths.mean()), "maxVectorLength": float(lengths.max()),
        "atoms": [describe(m[0]) for m in matched], "vectors": vectors.round(10).tolist(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/work/shared/data/rna-puzzles")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    for source, _, name in FILES:
        trim(os.path.join(args.data, PUZZLE, source), os.path.join(OUT, name))
    solution = os.path.join(OUT, FILES[0][2])
    result = {"neighbors": K, "solution": FILES[0][2], "candidates": {}}
    for _, _, name in FILES[1:]:
        result["candidates"][name] = reference(os.path.join(OUT, name), solution)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(result, f, sort_keys=True)
        f.write("\n")
    for name, r in result["candidates"].items():
        print(f"{name}: matched {r['matched']}/{r['candidateRecords']} (solution {r['solutionRecords']}), "
              f"global RMSD {r['globalRMSD']:.4f} A, mean |v| {r['meanVectorLength']:.4f} A")


if __name__ == "__main__":
    main()
