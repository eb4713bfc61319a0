#!/usr/bin/env bash
# Build a reference force dataset with md itself: solvated X-ray proteins, minimised and
# thermal frames, each with its classical (ff14SB/TIP3P, PME) forces, split by protein.
#
#   bash scripts/make_dataset.sh [options] [PDB_ID ...]
#
# With no PDB ids, the --count smallest proteins of index.csv (by n_residues) are built.
# Output (OUT, default trajectories/):
#   OUT/dataset.json          manifest ("md-dataset 1"; paths relative to OUT)
#   OUT/proteins.csv          per protein: split, size, ions, boxes, minimisation, timings
#   OUT/splits.csv            the split of every protein in index.csv (the rule below)
#   OUT/ID/ID.prmtop          tleap topology (ff14SB + TIP3P, Na+/Cl-)
#   OUT/ID/leap.in            the tleap input that made it (from scripts/prepare_protein.py)
#   OUT/ID/minimized.nc       1 frame: the minimised structure with its forces
#   OUT/ID/thermal.nc         --frames frames of 300 K NVT dynamics with forces
#
# Per protein (scripts/prepare_protein.py, tleap, then md):
#   1. clean the chain (first altloc, MSE->MET, HIS->HIE, CYX disulfides, TER at breaks),
#      tleap: ff14SB, alignAxes, solvateBox TIP3PBOX BUFFER, addIons Na+/Cl- to neutral;
#   2. md simulate --minimize N --steps 0 --out minimized.nc --save-forces: FIRE until no
#      force exceeds 1 kcal/mol/A (at most N iterations), then bonds to H and waters are
#      constrained (SETTLE/SHAKE) and the frame is written with its forces;
#   3. NPT: Langevin 300 K, 1/ps, 2 fs, Monte Carlo barostat 1 bar every 10 steps, --npt-ps;
#   4. NVT: Langevin 300 K from the NPT restart, a frame with forces every --interval-ps,
#      the first one --interval-ps after the NPT stage.
# md's defaults otherwise: PME 9 A, tolerance 2e-4, dispersion correction, mixed precision,
# AMBER's Coulomb constant, H-bond constraints, rigid water.
#
# Splits (scripts/dataset_tools.py): proteins ordered by n_residues (ties by id), blocks of
# four consecutive proteins, within a block ranked by sha256("SEED:ID") -> train, train,
# validation, test. Deterministic, by protein, identical for every subset, exactly 2:1:1 for
# the first 4k proteins and 100/50/50 for all 200.
#
# Intermediate files live in WORK/ID/ (default: OUT/.work); a stage whose outputs exist is
# not run again with the same settings, and a longer --frames continues the NVT run from its
# restart (md restarts reproduce the uninterrupted run), so a larger dataset reuses a
# smaller one's work. Delete WORK to start from scratch.
#
# Options:
#   --out DIR             output folder (default trajectories/ in the repository)
#   --work DIR            intermediate files (default OUT/.work)
#   --count N             build the N smallest proteins when no ids are given (default 8)
#   --frames N            thermal frames per protein (default 10); 0 builds minimised structures
#                         only (no NPT or NVT stage): the paper's setting, one structure per protein
#   --interval-ps P       ps between thermal frames (default 1)
#   --npt-ps P            NPT equilibration (default 10)
#   --minimize N          FIRE iterations at most (default 5000)
#   --buffer A            solvateBox buffer in A (default 8)
#   --seed S              split seed (default 2020)
#   --md-seed S           md's velocity/noise seed (default 1)
#   --proteins DIR        input structures + index.csv (default /work/shared/data/proteins if
#                         present, else scripts/inputs/proteins)
#   --save-inputs         copy index.csv, README.md and the used XXXX.pdb.gz to scripts/inputs/proteins
#   --md PATH             md binary (default .build/release/md)
#   --md-commit LABEL     the commit md was built from, for the notes (default: HEAD, +uncommitted
#                         when Sources/ or Package.swift differ from it now)
#   --venv DIR            AmberTools/netCDF4 venv (default /work/venv)
#   --cpu N               pin md to CPU N with taskset (md then runs one thread)
#   --nice N              niceness of md (default 10)
#   --budget-min M        start a new block of four proteins only if it is expected to end within
#                         M minutes of the start (estimate: 4.4x the last protein's time; default: none)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/trajectories"; WORK=""; COUNT=8; FRAMES=10; INTERVAL_PS=1; NPT_PS=10
MINIMIZE=5000; BUFFER=8; SEED=2020; MD_SEED=1; PROTEINS=""; SAVE_INPUTS=0
MD="$ROOT/.build/release/md"; MD_COMMIT=""; VENV=/work/venv; CPU=""; NICE=10; BUDGET=""
IDS=()
ARGS_GIVEN="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --count) COUNT="$2"; shift 2 ;;
    --frames) FRAMES="$2"; shift 2 ;;
    --interval-ps) INTERVAL_PS="$2"; shift 2 ;;
    --npt-ps) NPT_PS="$2"; shift 2 ;;
    --minimize) MINIMIZE="$2"; shift 2 ;;
    --buffer) BUFFER="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --md-seed) MD_SEED="$2"; shift 2 ;;
    --proteins) PROTEINS="$2"; shift 2 ;;
    --save-inputs) SAVE_INPUTS=1; shift ;;
    --md) MD="$2"; shift 2 ;;
    --md-commit) MD_COMMIT="$2"; shift 2 ;;
    --venv) VENV="$2"; shift 2 ;;
    --cpu) CPU="$2"; shift 2 ;;
    --nice) NICE="$2"; shift 2 ;;
    --budget-min) BUDGET="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make_dataset.sh: unknown option $1" >&2; exit 2 ;;
    *) IDS+=("$1"); shift ;;
  esac
done
if [ -z "$PROTEINS" ]; then
  if [ -f /work/shared/data/proteins/index.csv ]; then PROTEINS=/work/shared/data/proteins
  else PROTEINS="$ROOT/scripts/inputs/proteins"; fi
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="${WORK:-$OUT/.work}"
mkdir -p "$WORK"
PY="$VENV/bin/python"; TLEAP="$VENV/bin/tleap"; TOOLS="$ROOT/scripts/dataset_tools.py"
for x in "$PY" "$TLEAP" "$MD"; do [ -x "$x" ] || { echo "make_dataset.sh: $x not found" >&2; exit 1; }; done
[ -f "$PROTEINS/index.csv" ] || { echo "make_dataset.sh: $PROTEINS/index.csv not found" >&2; exit 1; }

RUN=(/usr/bin/time -a -f "%U %S" -o "/dev/null" nice -n "$NICE")  # -o is replaced per stage below
[ -n "$CPU" ] && RUN+=(taskset -c "$CPU")
[ -x /usr/bin/time ] || RUN=("${RUN[@]:6}")
run_md() {  # STAGE md-args...: run md, appending its user and sys CPU seconds to WORK/ID/STAGE.cpu.raw
  local stage="$1"; shift
  if [ "${RUN[0]}" = /usr/bin/time ]; then
    local cmd=("${RUN[@]}"); cmd[5]="$W/$stage.cpu.raw"
    "${cmd[@]}" "$MD" "$@"
  else
    "${RUN[@]}" "$MD" "$@"
  fi
}
cpu_of() {  # total CPU seconds recorded for a stage, "" when unknown
  [ -f "$W/$1.cpu.raw" ] && awk '{s += $1 + $2} END {printf "%.1f", s}' "$W/$1.cpu.raw" || echo ""
}
DT_PS=0.002
steps() { awk -v p="$1" -v dt="$DT_PS" 'BEGIN { printf "%d", p / dt + 0.5 }'; }
NPT_STEPS=$(steps "$NPT_PS"); INTERVAL=$(steps "$INTERVAL_PS")
log() { echo "[$(date '+%F %T')] $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
frames_of() {  # frame count of a trajectory, 0 if missing/unreadable
  [ -f "$1" ] || { echo 0; return; }
  "$MD" info "$1" --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["frames"])' 2>/dev/null || echo 0
}

if [ -z "$MD_COMMIT" ]; then
  MD_COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null)" ]; then MD_COMMIT="$MD_COMMIT+uncommitted"; fi
fi
MD_SUM="$(sha256sum "$MD" | cut -c1-12)"
# Settings that change a stage's result; a stage is redone when its stamp differs.
STAMP_BUILD="buffer=$BUFFER prepare=$(sha256sum "$ROOT/scripts/prepare_protein.py" | cut -c1-12)"
STAMP_MIN="$STAMP_BUILD minimize=$MINIMIZE md_seed=$MD_SEED md=$MD_SUM"
STAMP_NPT="$STAMP_MIN npt_steps=$NPT_STEPS barostat=1bar/10"
STAMP_NVT="$STAMP_NPT interval=$INTERVAL"

mapfile -t CHOSEN < <("$PY" "$TOOLS" select "$PROTEINS/index.csv" "${IDS[@]}" --seed "$SEED" --count "$COUNT")
"$PY" "$TOOLS" splits "$PROTEINS/index.csv" --seed "$SEED" --out "$OUT/splits.csv"
log "make_dataset: ${#CHOSEN[@]} proteins -> $OUT (work $WORK); md $MD_COMMIT ($MD), ${FRAMES} thermal frames every ${INTERVAL_PS} ps after ${NPT_PS} ps NPT; buffer ${BUFFER} A; ${RUN[*]}"

if [ "$SAVE_INPUTS" = 1 ]; then
  DEST="$ROOT/scripts/inputs/proteins"; mkdir -p "$DEST"
  if [ "$(cd "$PROTEINS" && pwd)" != "$(cd "$DEST" && pwd)" ]; then
    install -m 644 "$PROTEINS/index.csv" "$DEST/index.csv"
    { echo "<!-- Copy of $PROTEINS/README.md; only the XXXX.pdb.gz files used by trajectories/ are copied here (scripts/make_dataset.sh --save-inputs). -->"; cat "$PROTEINS/README.md"; } > "$DEST/README.md"
    for line in "${CHOSEN[@]}"; do set -- $line; install -m 644 "$PROTEINS/$1.pdb.gz" "$DEST/"; done
  fi
fi

RECORDS="$WORK/records.jsonl"
: > "$RECORDS.new"
START_ALL=$(now)
LAST_T=0
k=0
for line in "${CHOSEN[@]}"; do
  set -- $line; ID=$1; CHAIN=$2; NRES=$3; SPLIT=$4
  k=$((k + 1))
  if [ -n "$BUDGET" ] && [ $(( (k - 1) % 4 )) -eq 0 ] && [ "$k" -gt 1 ]; then
    used=$(since "$START_ALL")
    # the next block of four is estimated at 4.4x the wall time of the last protein (they grow)
    if awk -v u="$used" -v l="$LAST_T" -v b="$BUDGET" 'BEGIN { exit !(u + 4.4 * l > b * 60) }'; then
      log "budget: $used s used, next block of 4 estimated at $(awk -v l="$LAST_T" 'BEGIN { printf "%.0f", 4.4 * l }') s, budget $BUDGET min; stopping before protein $k ($ID)"
      break
    fi
  fi
  W="$WORK/$ID"; S="$W/system"; mkdir -p "$S"
  T0=$(now)
  log "[$k/${#CHOSEN[@]}] $ID chain $CHAIN, $NRES residues, $SPLIT"
  timing() { [ -f "$W/$1.seconds" ] && cat "$W/$1.seconds" || echo 0; }

  # 1. clean + tleap
  if [ "$(cat "$W/build.stamp" 2>/dev/null)" != "$STAMP_BUILD" ]; then
    rm -f "$W"/*.stamp
    t=$(now)
    "$PY" "$ROOT/scripts/prepare_protein.py" "$PROTEINS/$ID.pdb.gz" "$CHAIN" "$W" --id "$ID" --buffer "$BUFFER" > "$W/prepare.json"
    rm -f "$W/$ID.prmtop" "$W/$ID.rst7" "$W/leap.log"
    ( cd "$W" && "$TLEAP" -f leap.in > tleap.out 2>&1 ) || true
    rm -f "$W/leap.log"
    if ! grep -q "Errors = 0" "$W/tleap.out" || [ ! -s "$W/$ID.prmtop" ] || [ ! -s "$W/$ID.rst7" ]; then
      echo "tleap failed for $ID:" >&2; tail -30 "$W/tleap.out" >&2; exit 1
    fi
    mv "$W/$ID.prmtop" "$W/$ID.rst7" "$S/"
    since "$t" > "$W/tleap.seconds"
    echo "$STAMP_BUILD" > "$W/build.stamp"
  fi
  log "  tleap: $(sed -n 7p "$S/$ID.prmtop" | awk '{print $1}') atoms, $(grep -o '"ions": "[^"]*"' "$W/prepare.json" | cut -d'"' -f4) ions ($(timing tleap) s)"

  # 2. minimise; the frame after minimisation (constraints applied) with its forces
  if [ "$(cat "$W/min.stamp" 2>/dev/null)" != "$STAMP_MIN" ]; then
    rm -f "$W/npt.stamp" "$W/nvt.stamp"
    t=$(now)
    rm -f "$W/minimize.cpu.raw"
    run_md minimize simulate "$S" --minimize "$MINIMIZE" --steps 0 --seed "$MD_SEED" \
      --out "$W/minimized.nc" --save-forces --restart-out "$W/min.ncrst" --overwrite --quiet \
      > "$W/minimize.log" 2>&1 || { cat "$W/minimize.log" >&2; exit 1; }
    since "$t" > "$W/minimize.seconds"
    echo "$STAMP_MIN" > "$W/min.stamp"
  fi
  log "  $(grep -o 'minimised.*' "$W/minimize.log" | head -1) ($(timing minimize) s)"

  # 3–4 only with thermal frames (--frames 0: minimised structures only)
  if [ "$FRAMES" -gt 0 ]; then
    # 3. NPT equilibration from the minimised structure (velocities drawn at 300 K)
    if [ "$(cat "$W/npt.stamp" 2>/dev/null)" != "$STAMP_NPT" ]; then
      rm -f "$W/nvt.stamp"
      t=$(now)
      rm -f "$W/npt.cpu.raw"
      run_md npt simulate "$S" --restart-in "$W/min.ncrst" --steps "$NPT_STEPS" --seed "$MD_SEED" \
        --pressure 1 --barostat-interval 10 --interval "$INTERVAL" --log "$W/npt.csv" \
        --restart-out "$W/npt.ncrst" --restart-interval "$NPT_STEPS" --overwrite --quiet \
        > "$W/npt.log" 2>&1 || { cat "$W/npt.log" >&2; exit 1; }
      since "$t" > "$W/npt.seconds"
      echo "$STAMP_NPT" > "$W/npt.stamp"
    fi
    log "  NPT: $(tail -1 "$W/npt.log") ($(timing npt) s); volume $(sed -n 2p "$W/npt.csv" | cut -d, -f7) -> $(tail -1 "$W/npt.csv" | cut -d, -f7) A^3"

    # 4. NVT sampling with forces; continue an existing shorter run, redo a longer one
    have=0
    [ "$(cat "$W/nvt.stamp" 2>/dev/null)" = "$STAMP_NVT" ] && [ -f "$W/nvt.ncrst" ] && have=$(frames_of "$W/thermal.nc")
    if [ "$have" -ne "$FRAMES" ]; then
      t=$(now)
      rm -f "$W/nvt.stamp"   # rewritten only when this stage finishes
      if [ "$have" -gt 0 ] && [ "$have" -lt "$FRAMES" ]; then
        run_md nvt simulate "$S" --restart-in "$W/nvt.ncrst" --steps $(( (FRAMES - have) * INTERVAL )) --seed "$MD_SEED" \
          --interval "$INTERVAL" --out "$W/thermal.nc" --save-forces --log "$W/nvt.csv" --append \
          --restart-out "$W/nvt.ncrst" --restart-interval "$INTERVAL" --overwrite --quiet \
          > "$W/nvt.log" 2>&1 || { cat "$W/nvt.log" >&2; exit 1; }
        prev=$(timing nvt)
      else
        rm -f "$W/thermal.nc" "$W/nvt.csv" "$W/nvt.ncrst" "$W/nvt.cpu.raw"
        run_md nvt simulate "$S" --restart-in "$W/npt.ncrst" --steps $(( FRAMES * INTERVAL )) --seed "$MD_SEED" \
          --interval "$INTERVAL" --out "$W/thermal.nc" --save-forces --log "$W/nvt.csv" \
          --restart-out "$W/nvt.ncrst" --restart-interval "$INTERVAL" --overwrite --quiet \
          > "$W/nvt.log" 2>&1 || { cat "$W/nvt.log" >&2; exit 1; }
        prev=0
      fi
      awk -v a="$prev" -v b="$(since "$t")" 'BEGIN { printf "%.1f\n", a + b }' > "$W/nvt.seconds"
      echo "$STAMP_NVT" > "$W/nvt.stamp"
      got=$(frames_of "$W/thermal.nc")
      [ "$got" -eq "$FRAMES" ] || { echo "$ID: thermal.nc has $got frames, expected $FRAMES" >&2; exit 1; }
    fi
    log "  NVT: $(tail -1 "$W/nvt.log") ($(timing nvt) s for $FRAMES frames in all)"
  fi

  # 5. publish
  D="$OUT/$ID"; mkdir -p "$D"
  cp "$S/$ID.prmtop" "$D/$ID.prmtop"; cp "$W/leap.in" "$D/leap.in"
  cp "$W/minimized.nc" "$D/minimized.nc"
  if [ "$FRAMES" -gt 0 ]; then cp "$W/thermal.nc" "$D/thermal.nc"; else rm -f "$D/thermal.nc"; fi
  total=$(awk -v a="$(timing tleap)" -v b="$(timing minimize)" -v c="$(timing npt)" -v d="$(timing nvt)" 'BEGIN { print a + b + c + d }')
  "$PY" "$TOOLS" record "$W" --id "$ID" --chain "$CHAIN" --split "$SPLIT" --order "$k" --thermal-frames "$FRAMES" \
    --times "tleap=$(timing tleap),minimize=$(timing minimize),npt=$(timing npt),nvt=$(timing nvt),total=$total" \
    --cpu "minimize=$(cpu_of minimize),npt=$(cpu_of npt),nvt=$(cpu_of nvt)" >> "$RECORDS.new"
  LAST_T=$(since "$T0")
  log "  $ID done: $total s wall in all stages, $(cpu_of minimize)+$(cpu_of npt)+$(cpu_of nvt) s CPU for md (this run: $LAST_T s)"
  # the manifest is rewritten after every protein, so a stopped run leaves a usable dataset
  cp "$RECORDS.new" "$RECORDS"
  NOTES="Built by md $MD_COMMIT (binary sha256 $MD_SUM) from single-chain X-ray structures (index.csv + XXXX.pdb.gz, see scripts/inputs/proteins/README.md). ff14SB + TIP3P, solvateBox TIP3PBOX ${BUFFER} A after alignAxes, neutralised with Na+/Cl- (addIons). minimized: FIRE to max force 1 kcal/mol/A (at most $MINIMIZE iterations), then H-bond/water constraints applied; forces at that frame. thermal: Langevin 300 K, 1/ps, 2 fs, ${NPT_PS} ps NPT (MC barostat 1 bar every 10 steps) then NVT, a frame every ${INTERVAL_PS} ps starting ${INTERVAL_PS} ps after NPT. Forces: classical AMBER, PME 9 A, tolerance 2e-4, dispersion correction, AMBER Coulomb constant, kcal/mol/A; coordinates in A. Splits by protein: ordered by n_residues, blocks of 4 ranked by sha256('${SEED}:ID') -> train, train, validation, test (splits.csv lists all). Per-protein details and timings in proteins.csv."
  "$PY" "$TOOLS" manifest "$OUT" --records "$RECORDS" --made-by "scripts/make_dataset.sh $ARGS_GIVEN" --notes "$NOTES" > "$WORK/summary.txt"
done
# protein folders of earlier runs that are not in this dataset
for d in "$OUT"/*/; do
  d="${d%/}"; name="$(basename "$d")"
  if [[ "$name" =~ ^[0-9][0-9A-Z]{3}$ ]] && [ -f "$d/$name.prmtop" ] && ! grep -q "\"id\": \"$name\"" "$RECORDS"; then
    log "removing $d (not in this dataset)"; rm -rf "$d"
  fi
done
log "make_dataset: finished $(wc -l < "$RECORDS") proteins in $(since "$START_ALL") s wall"
cat "$WORK/summary.txt"
