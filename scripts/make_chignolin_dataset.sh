#!/usr/bin/env bash
# A system-specific force dataset for chignolin in water (systems/chignolin-water), made by md's
# classical force field: the data a chemist would train a learned force field on before running
# learned dynamics of this one system (issue #9).
#
#   bash scripts/make_chignolin_dataset.sh OUT [MD]
#
# Stages (each skipped when its output exists):
#   1. minimise (FIRE, 2000 iterations at most) and 20 ps NPT at 300 K, 1 bar (MC barostat every
#      10 steps): equilibrated.ncrst, the start of every run below and of the learned run;
#   2. NVT Langevin (1/ps, 2 fs, H-bond constraints) with forces every 0.2 ps:
#        train: 40 ps at 300 K (seed 21) and 40 ps at 400 K (seed 22): the hot run reaches
#               configurations (side-chain rotations, stretched bonds) that 300 K rarely visits,
#               which learned dynamics must not fall apart in;
#        validation: 10 ps at 300 K (seed 23) and 10 ps at 400 K (seed 24);
#   3. the classical reference for md compare: 100 ps at 300 K (seed 2), a frame with forces
#      every 1 ps (reference.nc), never trained on;
#   4. dataset.json ("md-dataset 1"), one entry a run, split train/validation by run, not frame.
# About 220 ps of classical MD of 4,106 atoms: ~25 min on 2 cores.
set -euo pipefail
OUT=${1:?usage: make_chignolin_dataset.sh OUT [MD]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MD=${2:-$ROOT/.build/release/md}
SYS=$ROOT/systems/chignolin-water
mkdir -p "$OUT"
cd "$OUT"
run() { local name=$1; shift; [ -f "$name.done" ] && return 0; "$MD" simulate "$SYS" --quiet --overwrite "$@" > "$name.log" 2>&1 || { cat "$name.log" >&2; exit 1; }; touch "$name.done"; }

run minimize --minimize 2000 --steps 0 --out minimized.nc --save-forces --restart-out minimized.ncrst
run npt --restart-in minimized.ncrst --steps 10000 --seed 20 --pressure 1 --barostat-interval 10 \
  --interval 500 --log npt.csv --restart-out equilibrated.ncrst --restart-interval 10000

# name temperature seed picoseconds interval-steps
nvt() { run "$1" --restart-in equilibrated.ncrst --temperature "$2" --seed "$3" --steps $(( $4 * 500 )) \
  --interval "$5" --out "$1.nc" --save-forces --log "$1.csv" --restart-out "$1.ncrst" --restart-interval 5000; }
nvt train300 300 21 40 100 & nvt train400 400 22 40 100 & wait
nvt val300 300 23 10 100 & nvt val400 400 24 10 100 & wait
nvt reference 300 2 100 500

frames() { "$MD" info "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])'; }
cp "$SYS/chignolin-water.prmtop" .
cat > dataset.json <<JSON
{
 "format": "md-dataset 1",
 "forcefield": "ff14SB/TIP3P",
 "notes": "chignolin-water (systems/), classical md NVT Langevin 1/ps 2 fs from a 20 ps NPT equilibration; frames every 0.2 ps; made by scripts/make_chignolin_dataset.sh",
 "proteins": [
  {"id": "chignolin-300K", "split": "train", "residues": 10, "atoms": 4106, "prmtop": "chignolin-water.prmtop",
   "trajectories": [{"path": "train300.nc", "kind": "thermal", "frames": $(frames train300.nc)}]},
  {"id": "chignolin-400K", "split": "train", "residues": 10, "atoms": 4106, "prmtop": "chignolin-water.prmtop",
   "trajectories": [{"path": "train400.nc", "kind": "hot", "frames": $(frames train400.nc)}]},
  {"id": "chignolin-300K-validation", "split": "validation", "residues": 10, "atoms": 4106, "prmtop": "chignolin-water.prmtop",
   "trajectories": [{"path": "val300.nc", "kind": "thermal", "frames": $(frames val300.nc)}]},
  {"id": "chignolin-400K-validation", "split": "validation", "residues": 10, "atoms": 4106, "prmtop": "chignolin-water.prmtop",
   "trajectories": [{"path": "val400.nc", "kind": "hot", "frames": $(frames val400.nc)}]}
 ]
}
JSON
echo "make_chignolin_dataset: $OUT/dataset.json"
