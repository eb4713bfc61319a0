#!/usr/bin/env bash
# md's classical force field and dynamics beside OpenMM's CPU platform, same machine, same session,
# same settings (PME 9 Å, tolerance 2e-4, dispersion correction, 2 threads; dynamics: H-bond
# constraints, rigid water, LangevinMiddle 2 fs). Needs OpenMM in VENV (default /work/venv).
# Usage: bash Benchmarks/classical_vs_openmm.sh [VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-/work/venv}
swift build -c release --product md --product md-bench >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "## force evaluations: md"
.build/release/md-bench forces
echo "## force evaluations: OpenMM"
"$venv/bin/python" Benchmarks/openmm_forces.py

echo "## dynamics: md (ns/day)"
.build/release/md simulate systems/ala2-water --steps 2000 --quiet 2>/dev/null
# bench-30k needs minimising first (tleap left hydrogen clashes); time the dynamics alone.
.build/release/md simulate systems/bench-30k --minimize 300 --steps 20 --restart-out "$scratch/b.ncrst" --quiet >/dev/null 2>&1
.build/release/md simulate systems/bench-30k --restart-in "$scratch/b.ncrst" --steps 300 --quiet 2>/dev/null
echo "## dynamics: OpenMM"
"$venv/bin/python" Benchmarks/openmm_simulate.py
