#!/usr/bin/env bash
# Build the ready-to-run AMBER inputs under systems/ with tleap (AmberTools).
#
#   bash scripts/make_systems.sh [VENV]        # VENV defaults to /work/venv
#
# Every system is systems/NAME/{NAME.prmtop,NAME.rst7,leap.in,README.md}.
# leap.in is written by this script and run by tleap from inside systems/NAME/,
# so `cd systems/NAME && tleap -f leap.in` reproduces it by hand.
# Force field: ff14SB + TIP3P (+ Joung-Cheatham ions from leaprc.water.tip3p).
# Output is deterministic (ions are placed with addIons2, not the time-seeded
# addIonsRand); an existing prmtop is kept when the new one differs only in the
# DATE stamp of its %VERSION line, so reruns leave the files byte-identical.
# The AmberTools venv is a development tool only, not a runtime dependency.
set -euo pipefail

VENV="${1:-/work/venv}"
TLEAP="$VENV/bin/tleap"
PY="$VENV/bin/python"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SYS="$ROOT/systems"
INPUTS="$ROOT/scripts/inputs"
PROTEINS="${PROTEINS_DIR:-/work/shared/data/proteins}"
LOGDIR="$(mktemp -d)"
trap 'rm -rf "$LOGDIR"' EXIT

[ -x "$TLEAP" ] || { echo "tleap not found at $TLEAP" >&2; exit 1; }
mkdir -p "$SYS" "$INPUTS"

HEADER='source leaprc.protein.ff14SB
source leaprc.water.tip3p'

# --- bench-30k input: T4 lysozyme 2LZM, cleaned to protein heavy atoms ------
# Keeps ATOM records of chain A only (no HETATM/waters), first altloc, no H,
# HIS -> HIE (tleap's default for ff14SB, made explicit). Checks for
# disulfides (SG-SG < 2.5 A): 2LZM has none (Cys54/Cys97 are free).
if [ -f "$PROTEINS/2LZM.pdb.gz" ]; then
  "$PY" - "$PROTEINS/2LZM.pdb.gz" "$INPUTS/2LZM.clean.pdb" <<'EOF'
import gzip, sys, math
src, dst = sys.argv[1], sys.argv[2]
out, seen, sg = [], set(), []
with gzip.open(src, "rt") as f:
    lines = f.read().splitlines()
for l in lines:
    if not l.startswith("ATOM"):
        continue
    if l[21] != "A":
        continue
    alt, name, elem = l[16], l[12:16], l[76:78].strip()
    if elem == "H" or (not elem and name.strip().startswith("H")):
        continue
    key = (l[22:27], name)
    if key in seen:              # keep first altloc only
        continue
    if alt not in (" ", "A"):
        continue
    seen.add(key)
    res = l[17:20]
    if res == "HIS":
        res = "HIE"
    l = l[:16] + " " + res + l[20:]
    out.append(l)
    if name.strip() == "SG":
        sg.append((l[22:26].strip(), [float(l[30:38]), float(l[38:46]), float(l[46:54])]))
for i in range(len(sg)):
    for j in range(i + 1, len(sg)):
        d = math.dist(sg[i][1], sg[j][1])
        if d < 2.5:
            sys.exit(f"disulfide Cys{sg[i][0]}-Cys{sg[j][0]} ({d:.2f} A): not handled")
with open(dst, "w") as f:
    f.write("REMARK   1 2LZM chain A (T4 lysozyme, X-ray 1.7 A) from /work/shared/data/proteins/2LZM.pdb.gz\n")
    f.write("REMARK   1 cleaned by scripts/make_systems.sh: protein ATOM only, first altloc, no H, HIS->HIE\n")
    f.write("\n".join(out) + "\nTER\nEND\n")
print(f"2LZM.clean.pdb: {len(out)} atoms, {len(sg)} Cys, no disulfides")
EOF
else
  echo "note: $PROTEINS/2LZM.pdb.gz not found, using committed $INPUTS/2LZM.clean.pdb"
fi

# --- leap.in writers ----------------------------------------------------------
write_leap() {  # name, body
  local name="$1" body="$2"
  mkdir -p "$SYS/$name"
  printf '%s\n%s\nsaveAmberParm m %s.prmtop %s.rst7\nquit\n' \
    "$HEADER" "$body" "$name" "$name" > "$SYS/$name/leap.in"
}

write_leap ala2-vacuum 'm = sequence { ACE ALA NME }
check m'

write_leap ala2-water 'm = sequence { ACE ALA NME }
check m
# net charge 0: no counter-ions needed
solvateBox m TIP3PBOX 10.0'

write_leap chignolin-water '# chignolin GYDPETGTWG, PDB 1UAO model 1 heavy atoms (see scripts/inputs/)
m = loadPdb ../../scripts/inputs/chignolin-1uao.pdb
check m
# net charge -2: neutralise with Na+ (addIons2: deterministic grid placement,
# done before solvation; addIonsRand is seeded per invocation)
addIons2 m Na+ 0
solvateBox m TIP3PBOX 10.0'

write_leap protein-octahedron 'm = sequence { ACE ALA NME }
check m
# truncated octahedron: tleap writes a triclinic box with angles 109.4712190
solvateOct m TIP3PBOX 10.0'

write_leap bench-30k '# T4 lysozyme, PDB 2LZM chain A, cleaned by scripts/make_systems.sh
m = loadPdb ../../scripts/inputs/2LZM.clean.pdb
check m
# net charge +8: neutralise with Cl- (addIons2: deterministic grid placement,
# done before solvation; addIonsRand is seeded per invocation)
addIons2 m Cl- 0
solvateBox m TIP3PBOX 11.0'

# --- run tleap ------------------------------------------------------------------
NAMES="ala2-vacuum ala2-water chignolin-water protein-octahedron bench-30k"
for name in $NAMES; do
  d="$SYS/$name"
  [ -f "$d/$name.prmtop" ] && mv "$d/$name.prmtop" "$LOGDIR/$name.prmtop.old"
  rm -f "$d/$name.rst7"
  ( cd "$d" && "$TLEAP" -f leap.in > "$LOGDIR/$name.out" 2>&1 ) || true
  [ -f "$d/leap.log" ] && mv "$d/leap.log" "$LOGDIR/$name.leap.log"
  if [ ! -s "$d/$name.prmtop" ] || [ ! -s "$d/$name.rst7" ]; then
    echo "tleap failed for $name:" >&2; tail -30 "$LOGDIR/$name.out" >&2; exit 1
  fi
  # keep the previous prmtop if only the %VERSION DATE stamp changed
  if [ -f "$LOGDIR/$name.prmtop.old" ] && \
     cmp -s <(tail -n +2 "$LOGDIR/$name.prmtop.old") <(tail -n +2 "$d/$name.prmtop"); then
    mv "$LOGDIR/$name.prmtop.old" "$d/$name.prmtop"
  fi
  echo "== $name: $(grep 'Exiting LEaP' "$LOGDIR/$name.out" | tail -1)"
  grep -A3 -E '^(WARNING|Warning|ERROR|Error)|Warning!' "$LOGDIR/$name.out" | sed 's/^/   | /' | head -20 || true
done

# --- check with ParmEd + OpenMM, write READMEs --------------------------------
"$PY" - "$SYS" $NAMES <<'EOF'
import sys, os, math
import parmed
import openmm.app as app
import openmm.unit as u

sysdir, names = sys.argv[1], sys.argv[2:]
what = {
    "ala2-vacuum": "alanine dipeptide ACE-ALA-NME in vacuum (no box)",
    "ala2-water": "alanine dipeptide ACE-ALA-NME in TIP3P water (solvateBox 10 A)",
    "chignolin-water": "chignolin GYDPETGTWG (folded, PDB 1UAO model 1 heavy atoms + tleap H) in TIP3P (solvateBox 10 A), 2 Na+",
    "protein-octahedron": "alanine dipeptide ACE-ALA-NME in TIP3P, truncated octahedron (solvateOct 10 A, triclinic 109.47 deg)",
    "bench-30k": "T4 lysozyme (PDB 2LZM chain A, X-ray 1.7 A; protein ATOM records only, first altloc, no H, HIS31->HIE, Cys54/Cys97 free, no disulfides) in TIP3P (solvateBox 11 A), 8 Cl-",
}
rows = []
for n in names:
    d = os.path.join(sysdir, n)
    top, crd = os.path.join(d, n + ".prmtop"), os.path.join(d, n + ".rst7")
    s = parmed.load_file(top, crd)
    nat, nres = len(s.atoms), len(s.residues)
    nwat = sum(r.name == "WAT" for r in s.residues)
    ions = {k: sum(r.name == k for r in s.residues) for k in ("Na+", "Cl-")}
    q = sum(a.charge for a in s.atoms)
    prm = app.AmberPrmtopFile(top)
    if s.box is None:
        system = prm.createSystem(nonbondedMethod=app.NoCutoff, constraints=app.HBonds)
        box, kind = "none", "vacuum"
    else:
        system = prm.createSystem(nonbondedMethod=app.PME, nonbondedCutoff=0.9 * u.nanometer,
                                  constraints=app.HBonds)
        a, b, c, al, be, ga = s.box
        if abs(al - 90) < 1e-3 and abs(be - 90) < 1e-3 and abs(ga - 90) < 1e-3:
            kind = "orthorhombic"
            box = f"{a:.3f} x {b:.3f} x {c:.3f} A"
        else:
            kind = "truncated octahedron"
            box = f"triclinic {a:.3f} x {b:.3f} x {c:.3f} A, angles {al:.4f}/{be:.4f}/{ga:.4f} deg"
    assert system.getNumParticles() == nat
    ionstr = ", ".join(f"{v} {k}" for k, v in ions.items() if v) or "no ions"
    print(f"{n:20s} atoms={nat:6d} residues={nres:5d} waters={nwat:5d} {ionstr:8s} "
          f"charge={q:+.4f} box={kind}: {box}  (parmed+OpenMM ok)")
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(f"{n}: {what[n]}; {nat} atoms, {nres} residues ({nwat} WAT, {ionstr}), "
                f"box {kind}{'' if box == 'none' else ' ' + box}; ff14SB + TIP3P, built by scripts/make_systems.sh.\n")
    rows.append((n, nat, nres, kind, box, what[n]))

with open(os.path.join(sysdir, "README.md"), "w") as f:
    f.write("# systems/\n\nReady-to-run AMBER inputs (prmtop + rst7) built with tleap, "
            "ff14SB (`leaprc.protein.ff14SB`) + TIP3P (`leaprc.water.tip3p`), neutralised with Na+/Cl-.\n"
            "Each folder holds `NAME.prmtop`, `NAME.rst7`, the `leap.in` that made them and a one-line `README.md`.\n\n")
    f.write("| name | atoms | residues | box | what |\n|---|---:|---:|---|---|\n")
    for n, nat, nres, kind, box, w in rows:
        f.write(f"| `{n}` | {nat} | {nres} | {kind}{'' if box == 'none' else ' (' + box + ')'} | {w} |\n")
    f.write("\n## Regenerate\n\n```\nbash scripts/make_systems.sh [/path/to/venv]   # default /work/venv (AmberTools, ParmEd, OpenMM)\n```\n\n"
            "Inputs: `scripts/inputs/chignolin-1uao.pdb` (committed; PDB 1UAO model 1 heavy atoms) and "
            "`scripts/inputs/2LZM.clean.pdb` (regenerated from `/work/shared/data/proteins/2LZM.pdb.gz` when present). "
            "Reruns are byte-identical (an existing prmtop is kept when only the DATE stamp of its `%VERSION` line would change).\n")
EOF
echo "done: $SYS"
