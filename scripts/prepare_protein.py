#!/usr/bin/env python3
"""Clean one X-ray protein chain for tleap and write the leap.in that solvates it.

    python scripts/prepare_protein.py PDB.gz CHAIN OUTDIR [--id XXXX] [--buffer 8.0]

Writes OUTDIR/XXXX.clean.pdb and OUTDIR/leap.in (run by tleap from inside OUTDIR;
it writes XXXX.prmtop / XXXX.rst7) and prints one JSON line describing the cleanup.

Cleanup (the same rules as the tleap check in /work/shared/data/proteins/README.md):
  - first model only; ATOM records of CHAIN, and HETATM records of MSE;
  - altlocs: for each residue, the first altloc label that occurs in it is kept
    (atoms with a blank label are always kept), so a residue never mixes
    conformers or, for microheterogeneity, residue types;
  - hydrogens dropped (tleap adds them);
  - MSE -> MET (HETATM -> ATOM, SE -> SD, element S);
  - residues missing N, CA or C are dropped;
  - residues renumbered from 1; a TER record is written at every C(i)-N(i+1)
    gap longer than 2.0 A (tleap then caps both sides as charged termini);
  - cysteines whose SG atoms are closer than 2.5 A become CYX with explicit
    `bond` commands in leap.in;
  - HIS -> HIE (neutral, N-epsilon protonated; tleap's ff14SB default, made
    explicit). No pKa prediction: ASP/GLU/LYS/ARG are charged.
Missing side-chain heavy atoms are left for tleap to build.

leap.in: ff14SB + TIP3P (Joung-Cheatham ions from leaprc.water.tip3p); the protein
is first rotated onto its principal axes (alignAxes, which makes the rectangular
box smaller for elongated proteins), solvated with solvateBox TIP3PBOX BUFFER and
neutralised with Na+ or Cl- via addIons after solvation (ions on a Coulomb grid
around the solute, each replacing the water it overlaps). addIons is deterministic;
addIonsRand is reseeded on every tleap run, so it would not rebuild the same system.
"""
import argparse
import gzip
import json
import math
import os
import sys

BACKBONE = ("N", "CA", "C")


def read_atoms(path, chain):
    opener = gzip.open if path.endswith(".gz") else open
    atoms = []
    with opener(path, "rt") as f:
        for line in f:
            rec = line[:6]
            if rec.startswith("ENDMDL"):
                break  # first model only
            if rec not in ("ATOM  ", "HETATM"):
                continue
            resname = line[17:20].strip()
            if rec == "HETATM" and resname != "MSE":
                continue
            if line[21] != chain:
                continue
            name = line[12:16].strip()
            elem = line[76:78].strip().upper() if len(line) >= 78 else ""
            if not elem:
                elem = name.lstrip("0123456789")[:1]
            if elem in ("H", "D"):
                continue
            atoms.append({
                "name": name, "alt": line[16], "resname": resname,
                "resid": (int(line[22:26]), line[26]),
                "xyz": (float(line[30:38]), float(line[38:46]), float(line[46:54])),
                "elem": elem,
            })
    if not atoms:
        sys.exit(f"{path}: no atoms for chain {chain}")
    return atoms


def group_residues(atoms):
    order, res = [], {}
    for a in atoms:
        key = a["resid"]
        if key not in res:
            res[key] = []
            order.append(key)
        res[key].append(a)
    return [(k, res[k]) for k in order]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdb")
    ap.add_argument("chain")
    ap.add_argument("outdir")
    ap.add_argument("--id", help="name of the outputs (default: file stem)")
    ap.add_argument("--buffer", type=float, default=8.0, help="solvateBox buffer in A (default 8)")
    args = ap.parse_args()
    pid = args.id or os.path.basename(args.pdb).split(".")[0].upper()
    os.makedirs(args.outdir, exist_ok=True)

    stats = {"id": pid, "chain": args.chain, "altloc_residues": 0, "mse": 0,
             "dropped_residues": [], "breaks": 0, "disulfides": [], "his": 0}
    residues = []
    for key, atoms in group_residues(read_atoms(args.pdb, args.chain)):
        labels = [a["alt"] for a in atoms if a["alt"] != " "]
        if labels:
            stats["altloc_residues"] += 1
            first = labels[0]
            atoms = [a for a in atoms if a["alt"] in (" ", first)]
        # one residue name per residue (the kept conformer's)
        names = [a["resname"] for a in atoms]
        resname = names[0]
        atoms = [a for a in atoms if a["resname"] == resname]
        seen, kept = set(), []
        for a in atoms:
            if a["name"] in seen:
                continue
            seen.add(a["name"])
            kept.append(a)
        atoms = kept
        if resname == "MSE":
            stats["mse"] += 1
            resname = "MET"
            for a in atoms:
                if a["name"] == "SE":
                    a["name"], a["elem"] = "SD", "S"
        if not all(n in seen for n in BACKBONE):
            stats["dropped_residues"].append(f"{key[0]}{key[1].strip()}")
            continue
        if resname == "HIS":
            stats["his"] += 1
            resname = "HIE"
        residues.append({"resname": resname, "atoms": atoms, "orig": key})

    def atom(r, name):
        for a in r["atoms"]:
            if a["name"] == name:
                return a["xyz"]
        return None

    # chain breaks
    breaks_after = set()
    for i in range(len(residues) - 1):
        c, n = atom(residues[i], "C"), atom(residues[i + 1], "N")
        if math.dist(c, n) > 2.0:
            breaks_after.add(i)
    stats["breaks"] = len(breaks_after)

    # disulfides
    cys = [i for i, r in enumerate(residues) if r["resname"] in ("CYS", "CYX") and atom(r, "SG")]
    bonds = []
    for x in range(len(cys)):
        for y in range(x + 1, len(cys)):
            i, j = cys[x], cys[y]
            d = math.dist(atom(residues[i], "SG"), atom(residues[j], "SG"))
            if d < 2.5:
                bonds.append((i + 1, j + 1, d))
    in_ss = {b[0] for b in bonds} | {b[1] for b in bonds}
    for k in in_ss:
        residues[k - 1]["resname"] = "CYX"
    stats["disulfides"] = [f"{i}-{j}" for i, j, _ in bonds]

    # write the clean PDB
    lines = [f"REMARK   1 {pid} chain {args.chain}, cleaned by scripts/prepare_protein.py from {os.path.basename(args.pdb)}"]
    serial = 0
    for i, r in enumerate(residues):
        for a in r["atoms"]:
            serial += 1
            nm = a["name"]
            nmf = f" {nm:<3s}" if len(nm) < 4 else nm
            x, y, z = a["xyz"]
            lines.append(f"ATOM  {serial % 100000:5d} {nmf} {r['resname']:>3s} A{(i + 1) % 10000:4d}    "
                         f"{x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00          {a['elem']:>2s}")
        if i in breaks_after:
            lines.append("TER")
    lines += ["TER", "END"]
    with open(os.path.join(args.outdir, f"{pid}.clean.pdb"), "w") as f:
        f.write("\n".join(lines) + "\n")

    # net charge under ff14SB with the rules above: ASP/GLU -1, LYS/ARG +1, HIE/CYX 0;
    # the termini of every segment (+1 N, -1 C) cancel. make_dataset.sh checks it
    # against the prmtop.
    count = lambda *names: sum(r["resname"] in names for r in residues)
    charge = count("LYS", "ARG") - count("ASP", "GLU")
    ion = "Na+" if charge < 0 else "Cl-"
    stats["charge"] = charge
    stats["ions"] = f"{abs(charge)} {ion}" if charge else "none"
    leap = ["source leaprc.protein.ff14SB", "source leaprc.water.tip3p",
            f"# {pid} chain {args.chain}: {len(residues)} residues, cleaned by scripts/prepare_protein.py",
            f"m = loadPdb {pid}.clean.pdb"]
    for i, j, d in bonds:
        leap.append(f"bond m.{i}.SG m.{j}.SG   # SG-SG {d:.2f} A")
    leap += ["check m",
             "# principal axes along x, y, z: a smaller rectangular box for elongated proteins",
             "alignAxes m",
             f"solvateBox m TIP3PBOX {args.buffer:.1f}",
             ] + ([f"# net charge {charge:+d}: neutralise with {ion} (addIons: Coulomb grid around the solute,",
                   "# each ion replaces the water it overlaps; deterministic, unlike addIonsRand)",
                   f"addIons m {ion} 0"] if charge else [f"# net charge 0: no counter-ions"]) + [
             f"saveAmberParm m {pid}.prmtop {pid}.rst7",
             "quit"]
    with open(os.path.join(args.outdir, "leap.in"), "w") as f:
        f.write("\n".join(leap) + "\n")
    stats["residues"] = len(residues)
    stats["heavy_atoms"] = serial
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
