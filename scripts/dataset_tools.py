#!/usr/bin/env python3
"""Helpers for scripts/make_dataset.sh: protein order and splits, and the manifest.

    python scripts/dataset_tools.py select INDEX.csv --seed S [--count N] [ID ...]
        One line per chosen protein: "ID CHAIN N_RESIDUES SPLIT", smallest first.
    python scripts/dataset_tools.py splits INDEX.csv --seed S --out FILE.csv
        The split of every protein in INDEX.csv.
    python scripts/dataset_tools.py record WORKDIR --id ID --chain C --split S --order K [--times ...]
        One JSON line for a finished protein (checks prmtop charge, atom counts, forces).
    python scripts/dataset_tools.py manifest OUTDIR --made-by CMD --notes TEXT --records FILE
        Write OUTDIR/dataset.json and OUTDIR/proteins.csv from the per-protein
        records (one JSON object a line) that make_dataset.sh collected.

Order and splits. Proteins are ordered by n_residues (index.csv), ties by PDB id.
Consecutive groups of four in that order form blocks; within a block the four are
ranked by sha256("SEED:ID") and get train, train, validation, test. So the split is
by protein, deterministic, the same whichever subset is built, exactly 2:1:1 for
any prefix of 4k proteins (100/50/50 for all 200, as in the paper), and each split
spans the whole size range.
"""
import argparse
import csv
import hashlib
import json
import os
import sys

SPLIT_PATTERN = ("train", "train", "validation", "test")


def ordered(index_csv):
    with open(index_csv) as f:
        rows = [r for r in csv.DictReader(f)]
    rows.sort(key=lambda r: (int(r["n_residues"]), r["pdb_id"]))
    return rows


def assign_splits(rows, seed):
    split = {}
    for b in range(0, len(rows), 4):
        block = rows[b:b + 4]
        ranked = sorted(block, key=lambda r: hashlib.sha256(f"{seed}:{r['pdb_id']}".encode()).hexdigest())
        for r, s in zip(ranked, SPLIT_PATTERN):
            split[r["pdb_id"]] = s
    return split


def cmd_select(a):
    rows = ordered(a.index)
    split = assign_splits(rows, a.seed)
    if a.ids:
        want = [i.upper() for i in a.ids]
        byid = {r["pdb_id"]: r for r in rows}
        missing = [i for i in want if i not in byid]
        if missing:
            sys.exit(f"{a.index}: no such PDB id: {' '.join(missing)}")
        chosen = sorted((byid[i] for i in dict.fromkeys(want)), key=lambda r: (int(r["n_residues"]), r["pdb_id"]))
    else:
        chosen = rows[:a.count] if a.count else rows
    for r in chosen:
        print(r["pdb_id"], r["chain"], r["n_residues"], split[r["pdb_id"]])


def cmd_splits(a):
    rows = ordered(a.index)
    split = assign_splits(rows, a.seed)
    with open(a.out, "w") as f:
        f.write("order,pdb_id,chain,n_residues,split\n")
        for k, r in enumerate(rows):
            f.write(f"{k + 1},{r['pdb_id']},{r['chain']},{r['n_residues']},{split[r['pdb_id']]}\n")


def cmd_manifest(a):
    recs = []
    with open(a.records) as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    seen = {}
    for r in recs:  # a rerun of a protein replaces its earlier record
        seen[r["id"]] = r
    recs = sorted(seen.values(), key=lambda r: r["order"])
    proteins = []
    for r in recs:
        proteins.append({
            "id": r["id"],
            "split": r["split"],
            "residues": r["residues"],
            "atoms": r["atoms"],
            "prmtop": f"{r['id']}/{r['id']}.prmtop",
            "trajectories": ([{"path": f"{r['id']}/thermal.nc", "kind": "thermal", "frames": r["thermal_frames"]}]
                             if r["thermal_frames"] else [])
                            + [{"path": f"{r['id']}/minimized.nc", "kind": "minimized", "frames": r["minimized_frames"]}],
        })
        for t in proteins[-1]["trajectories"]:
            p = os.path.join(a.outdir, t["path"])
            if not os.path.isfile(p):
                sys.exit(f"manifest: {p} is missing")
    manifest = {
        "format": "md-dataset 1",
        "forcefield": "ff14SB/TIP3P",
        "proteins": proteins,
        "made_by": a.made_by,
        "notes": a.notes,
    }
    tmp = os.path.join(a.outdir, "dataset.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(tmp, os.path.join(a.outdir, "dataset.json"))

    cols = ["id", "chain", "split", "residues", "atoms", "ions", "disulfides", "altloc_residues", "mse",
            "chain_breaks", "dropped_residues", "box_start_A", "box_npt_A", "min_iterations", "min_max_force",
            "min_protein_mean_force", "thermal_frames", "seconds_tleap", "seconds_minimize", "seconds_npt",
            "seconds_nvt", "seconds_total", "cpu_seconds_md"]
    with open(os.path.join(a.outdir, "proteins.csv"), "w") as f:
        f.write(",".join(cols) + "\n")
        for r in recs:
            f.write(",".join(str(r.get(c, "")).replace(",", ";") for c in cols) + "\n")
    counts = {}
    for p in proteins:
        c = counts.setdefault(p["split"], [0, 0, 0, 0])
        c[0] += 1
        for t in p["trajectories"]:
            c[1 if t["kind"] == "thermal" else 2] += t["frames"]
        c[3] += p["atoms"]
    for s in ("train", "validation", "test"):
        if s in counts:
            n, th, mi, at = counts[s]
            print(f"  {s:10s} {n:3d} proteins, {th:4d} thermal + {mi:3d} minimised frames, {at:8d} atoms")


def read_prmtop_flags(path, wanted):
    """The %FLAG sections named in wanted, as lists of strings (fixed-width fields)."""
    out, flag, fmt_width = {}, None, None
    with open(path) as f:
        for line in f:
            if line.startswith("%FLAG"):
                flag = line.split()[1]
                fmt_width = None
                if flag in wanted:
                    out[flag] = []
                continue
            if line.startswith("%FORMAT"):
                spec = line[line.index("(") + 1:line.index(")")]
                fmt_width = int(spec.split(".")[0].lstrip("0123456789").lstrip("aAiIeEfF") or 0)
                continue
            if flag in wanted and fmt_width:
                body = line.rstrip("\n")
                out[flag] += [body[k:k + fmt_width].strip() for k in range(0, len(body), fmt_width)]
    return out


def cmd_record(a):
    """One JSON line describing a finished protein (read by `manifest`)."""
    import netCDF4
    import numpy as np
    w, pid = a.workdir, a.id
    prep = json.load(open(os.path.join(w, "prepare.json")))
    prm = read_prmtop_flags(os.path.join(w, "system", f"{pid}.prmtop"),
                            {"POINTERS", "CHARGE", "RESIDUE_LABEL", "RESIDUE_POINTER"})
    natom = int(prm["POINTERS"][0])
    charge = sum(float(q) for q in prm["CHARGE"]) / 18.2223
    if abs(charge) > 1e-3:
        sys.exit(f"{pid}: prmtop net charge {charge:+.4f} e, expected 0")
    labels, ptrs = prm["RESIDUE_LABEL"], [int(x) - 1 for x in prm["RESIDUE_POINTER"]]
    solvent = next((k for k, l in enumerate(labels) if l in ("WAT", "HOH", "Na+", "Cl-")), len(labels))
    nprot = ptrs[solvent] if solvent < len(labels) else natom
    if solvent != prep["residues"]:
        sys.exit(f"{pid}: {solvent} protein residues in the prmtop, {prep['residues']} prepared")
    ions = {l: labels.count(l) for l in ("Na+", "Cl-") if labels.count(l)}

    def frames(path):
        with netCDF4.Dataset(path) as d:
            n = d.dimensions["frame"].size
            if "forces" not in d.variables:
                sys.exit(f"{path}: no forces")
            if d.dimensions["atom"].size != natom:
                sys.exit(f"{path}: {d.dimensions['atom'].size} atoms, prmtop has {natom}")
            f = np.asarray(d["forces"][:], dtype=np.float64)
            if not np.isfinite(f).all():
                sys.exit(f"{path}: non-finite forces")
            box = np.asarray(d["cell_lengths"][-1]) if "cell_lengths" in d.variables else None
            return n, f, box

    # --frames 0 builds minimised structures only: no NPT or thermal stage
    thermal = a.thermal_frames > 0
    nth = frames(os.path.join(w, "thermal.nc"))[0] if thermal else 0
    nmin, fmin, box0 = frames(os.path.join(w, "minimized.nc"))
    box1 = None
    if thermal:
        with netCDF4.Dataset(os.path.join(w, "npt.ncrst")) as d:
            box1 = np.asarray(d["cell_lengths"][:])
    minline = open(os.path.join(w, "minimize.log")).read()
    import re
    m = re.search(r"in (\d+) iterations, largest force ([0-9.]+)", minline)
    times = dict(kv.split("=") for kv in a.times.split(",")) if a.times else {}
    rec = {
        "id": pid, "chain": a.chain, "split": a.split, "order": a.order,
        "residues": prep["residues"], "atoms": natom, "protein_atoms": nprot,
        "ions": " ".join(f"{v} {k}" for k, v in ions.items()) or "none",
        "disulfides": len(prep["disulfides"]), "altloc_residues": prep["altloc_residues"], "mse": prep["mse"],
        "chain_breaks": prep["breaks"], "dropped_residues": " ".join(prep["dropped_residues"]),
        "box_start_A": "x".join(f"{x:.2f}" for x in box0),
        "box_npt_A": "x".join(f"{x:.2f}" for x in box1) if box1 is not None else "",
        "min_iterations": int(m.group(1)) if m else "", "min_max_force": float(m.group(2)) if m else "",
        "min_protein_mean_force": round(float(np.linalg.norm(fmin[0, :nprot], axis=1).mean()), 3),
        "thermal_frames": nth, "minimized_frames": nmin,
    }
    for k in ("tleap", "minimize", "npt", "nvt", "total"):
        if k in times:
            rec[f"seconds_{k}"] = round(float(times[k]), 1)
    cpu = dict(kv.split("=") for kv in a.cpu.split(",")) if a.cpu else {}
    stages = ("minimize", "npt", "nvt") if thermal else ("minimize",)
    if cpu and all(cpu.get(k) for k in stages):
        rec["cpu_seconds_md"] = round(sum(float(cpu[k]) for k in stages), 1)
    print(json.dumps(rec))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("select")
    s.add_argument("index")
    s.add_argument("--seed", default="2020")
    s.add_argument("--count", type=int, default=0)
    s.add_argument("ids", nargs="*")
    s = sub.add_parser("splits")
    s.add_argument("index")
    s.add_argument("--seed", default="2020")
    s.add_argument("--out", required=True)
    s = sub.add_parser("manifest")
    s.add_argument("outdir")
    s.add_argument("--records", required=True)
    s.add_argument("--made-by", required=True)
    s.add_argument("--notes", required=True)
    s = sub.add_parser("record")
    s.add_argument("workdir")
    s.add_argument("--id", required=True)
    s.add_argument("--chain", required=True)
    s.add_argument("--split", required=True)
    s.add_argument("--order", type=int, required=True)
    s.add_argument("--thermal-frames", type=int, required=True, help="0: minimised structure only")
    s.add_argument("--times", default="", help="wall seconds: tleap=S,minimize=S,npt=S,nvt=S,total=S")
    s.add_argument("--cpu", default="", help="CPU seconds of md: minimize=S,npt=S,nvt=S")
    a = ap.parse_args()
    {"select": cmd_select, "splits": cmd_splits, "manifest": cmd_manifest, "record": cmd_record}[a.cmd](a)


if __name__ == "__main__":
    main()
