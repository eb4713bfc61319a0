#!/usr/bin/env python3
"""Merge force-dataset manifests ("md-dataset 1") by protein id into one manifest.

    python3 scripts/merge_datasets.py A/dataset.json B/dataset.json[:KIND,...] ... --out MERGED.json

A manifest followed by ":KIND,..." contributes only trajectories of those kinds (thermal, minimized).

A protein present in several manifests keeps one prmtop (the first) and gains the other
manifests' trajectories; its prmtops must agree apart from the %VERSION line (tleap's date) and
its split must be the same everywhere, otherwise the merge stops naming the protein. Paths in
the output are absolute, so it may be written anywhere. Typical use: the minimised structures of
many proteins (make_dataset.sh --frames 0) together with the thermal frames of a few.
"""
import argparse
import json
import os
import sys

FORMAT = "md-dataset 1"


def prmtop_body(path):
    with open(path) as f:
        lines = f.readlines()
    return [l for l in lines if not l.startswith("%VERSION")]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("manifests", nargs="+", help="PATH or PATH:KIND,...")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    merged, sources = {}, []
    for spec in a.manifests:
        path, _, kinds = spec.partition(":")
        kinds = set(kinds.split(",")) if kinds else None
        with open(path) as f:
            m = json.load(f)
        if m.get("format") != FORMAT:
            sys.exit(f"{path}: format is {m.get('format')!r}, expected {FORMAT!r}")
        base = os.path.dirname(os.path.abspath(path))
        sources.append(os.path.abspath(path))
        for protein in m["proteins"]:
            pid = protein["id"]
            prmtop = os.path.join(base, protein["prmtop"])
            trajectories = [dict(t, path=os.path.join(base, t["path"])) for t in protein["trajectories"]
                            if kinds is None or t["kind"] in kinds]
            if not trajectories:
                continue
            if pid not in merged:
                merged[pid] = dict(protein, prmtop=prmtop, trajectories=trajectories)
                continue
            first = merged[pid]
            if first["split"] != protein["split"]:
                sys.exit(f"{path}: protein {pid} is in split {protein['split']!r} here, {first['split']!r} in an earlier manifest")
            if prmtop_body(first["prmtop"]) != prmtop_body(prmtop):
                sys.exit(f"{path}: protein {pid}: {prmtop} differs from {first['prmtop']}")
            known = {t["path"] for t in first["trajectories"]}
            first["trajectories"] += [t for t in trajectories if t["path"] not in known]

    out = {"format": FORMAT, "proteins": list(merged.values()),
           "notes": "Merged by scripts/merge_datasets.py from " + ", ".join(sources)}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    counts = {}
    for protein in merged.values():
        c = counts.setdefault(protein["split"], {"proteins": 0})
        c["proteins"] += 1
        for t in protein["trajectories"]:
            c[t["kind"]] = c.get(t["kind"], 0) + t.get("frames", 0)
    for split, c in counts.items():
        print(f"{split}: " + ", ".join(f"{v} {k}" for k, v in c.items()))


if __name__ == "__main__":
    main()
