#!/usr/bin/env python3
"""Write the small external I/O fixtures in Tests/Fixtures/.

    /work/venv/bin/python scripts/make_io_fixtures.py [--venv /work/venv]

Needs systems/ala2-vacuum and systems/ala2-water (bash scripts/make_systems.sh).
Uses OpenMM + ParmEd + netCDF4 + cpptraj from the AmberTools venv (development
tools only). Everything is deterministic (prmtop copies that differ only in the
%VERSION DATE stamp are left alone): OpenMM runs on the Reference platform
with fixed seeds; cpptraj conversions have no random input.

Outputs (all in Tests/Fixtures/):
  ala2-vacuum.prmtop / .rst7        copies of systems/ala2-vacuum (tleap)
  ala2-water.prmtop / .rst7         copies of systems/ala2-water (tleap)
  ala2-water.openmm.nc              5 frames (every 10 steps) written by
                                    parmed.openmm.reporters.NetCDFReporter,
                                    coordinates + velocities + forces
  ala2-water.openmm.json            reference values read back with netCDF4
                                    (+ OpenMM's own State values, same frames)
  ala2-water.cpptraj.nc             cpptraj `trajout ... netcdf noforce` of
                                    frames 1 and 5 of the OpenMM file:
                                    coordinates + velocities (2 frames, no
                                    forces, to keep the fixtures small)
  ala2-water.cpptraj.json
  ala2-water.cpptraj.ncrst          cpptraj `trajout ... ncrestart noforce` of
                                    frame 5: double coordinates + velocities
  ala2-water.cpptraj.ncrst.json
  ala2-vacuum.cpptraj.rst7          cpptraj `trajout ... restart` of the tleap
                                    ala2-vacuum.rst7 (ASCII formatting check)
Frame indices in the JSON files are 0-based.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import netCDF4
import openmm as mm
import openmm.app as app
import openmm.unit as u
from parmed.openmm.reporters import NetCDFReporter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYS = os.path.join(ROOT, "systems")
FIX = os.path.join(ROOT, "Tests", "Fixtures")
NATOM_SAMPLE = 3          # first atoms recorded in the JSON sidecars
SEED = 2024


def f(x):
    """numpy scalar/array -> plain JSON (floats keep the exact stored value)."""
    a = np.asarray(x)
    if a.dtype.kind in "fc":
        return np.asarray(a, dtype=np.float64).tolist()
    if a.dtype.kind in "iu":
        return a.tolist()
    if a.dtype.kind in "SU":
        return b"".join(np.asarray(a, dtype="S").ravel().tolist()).decode()
    return a.tolist()


def attr_value(v):
    if isinstance(v, (bytes, str)):
        return v.decode() if isinstance(v, bytes) else v
    a = np.asarray(v)
    return {"dtype": str(a.dtype), "value": f(a)}


def describe(path, frames):
    """Independent read-back of an AMBER NetCDF file with netCDF4."""
    ds = netCDF4.Dataset(path, "r")
    ds.set_auto_maskandscale(False)       # raw stored values
    out = {
        "file": os.path.basename(path),
        "data_model": ds.data_model,
        "global_attributes": {k: attr_value(ds.getncattr(k)) for k in ds.ncattrs()},
        "dimensions": {k: {"size": len(d), "unlimited": d.isunlimited()}
                       for k, d in ds.dimensions.items()},
        "variables": {k: {"dtype": str(v.dtype), "dimensions": list(v.dimensions),
                          "attributes": {a: attr_value(v.getncattr(a)) for a in v.ncattrs()}}
                      for k, v in ds.variables.items()},
    }
    is_traj = "frame" in ds.dimensions
    out["kind"] = "trajectory" if is_traj else "restart"
    out["n_atoms"] = len(ds.dimensions["atom"])
    out["n_frames"] = len(ds.dimensions["frame"]) if is_traj else 1
    for k in ("spatial", "cell_spatial", "cell_angular"):
        if k in ds.variables:
            out[k + "_labels"] = [f(row) for row in ds.variables[k][:]] \
                if ds.variables[k].ndim == 2 else list(f(ds.variables[k][:]))
    out["frames"] = []
    for i in frames:
        if i < 0:
            i += out["n_frames"]
        fr = {"index": i}
        sel = (lambda v: v[i]) if is_traj else (lambda v: v[...])
        if "time" in ds.variables:
            fr["time_ps"] = f(sel(ds.variables["time"]))
        for k in ("cell_lengths", "cell_angles"):
            if k in ds.variables:
                fr[k] = f(sel(ds.variables[k]))
        for k in ("coordinates", "velocities", "forces"):
            if k not in ds.variables:
                continue
            v = ds.variables[k]
            raw = np.asarray(v[i, :NATOM_SAMPLE, :] if is_traj else v[:NATOM_SAMPLE, :])
            fr[k + "_raw"] = f(raw)
            if "scale_factor" in v.ncattrs():
                sf = np.float64(v.getncattr("scale_factor"))
                fr[k + "_scaled"] = f(raw.astype(np.float64) * sf)
        out["frames"].append(fr)
    ds.close()
    out["notes"] = ("*_raw are the stored values (netCDF4 with set_auto_maskandscale(False)); "
                    "*_scaled = float64(raw) * float64(scale_factor) where the variable has a "
                    "scale_factor attribute. Only the first %d atoms are listed; frame index is 0-based."
                    % NATOM_SAMPLE)
    return out


def dump(obj, path):
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=1)
        fh.write("\n")


class StateRecorder:
    """Captures OpenMM's own State at the same steps as the NetCDFReporter."""

    def __init__(self, interval):
        self.interval, self.frames = interval, []

    def describeNextReport(self, simulation):
        steps = self.interval - simulation.currentStep % self.interval
        return (steps, True, True, True, False)

    def report(self, simulation, state):
        pos = state.getPositions(asNumpy=True).value_in_unit(u.angstrom)
        vel = state.getVelocities(asNumpy=True).value_in_unit(u.angstrom / u.picosecond)
        frc = state.getForces(asNumpy=True).value_in_unit(u.kilocalorie_per_mole / u.angstrom)
        a, b, c = state.getPeriodicBoxVectors(asNumpy=True).value_in_unit(u.angstrom)
        self.frames.append({
            "step": simulation.currentStep,
            "time_ps": state.getTime().value_in_unit(u.picosecond),
            "box_vectors_A": f(np.array([a, b, c])),
            "positions_A": f(pos[:NATOM_SAMPLE]),
            "velocities_A_per_ps": f(vel[:NATOM_SAMPLE]),
            "forces_kcal_per_mol_A": f(frc[:NATOM_SAMPLE]),
        })


def run_openmm(prmtop, rst7, out_nc):
    prm = app.AmberPrmtopFile(prmtop)
    crd = app.AmberInpcrdFile(rst7)
    system = prm.createSystem(nonbondedMethod=app.PME, nonbondedCutoff=0.9 * u.nanometer,
                              constraints=app.HBonds)
    integ = mm.LangevinMiddleIntegrator(300 * u.kelvin, 1 / u.picosecond, 0.002 * u.picoseconds)
    integ.setRandomNumberSeed(SEED)
    sim = app.Simulation(prm.topology, system, integ, mm.Platform.getPlatformByName("Reference"))
    sim.context.setPositions(crd.positions)
    sim.context.setPeriodicBoxVectors(*crd.boxVectors)
    # short deterministic relaxation of the raw tleap box before dynamics
    sim.minimizeEnergy(maxIterations=100)
    sim.context.setVelocitiesToTemperature(300 * u.kelvin, SEED)
    if os.path.exists(out_nc):
        os.remove(out_nc)
    rep = NetCDFReporter(out_nc, 10, crds=True, vels=True, frcs=True)
    rec = StateRecorder(10)
    sim.reporters += [rep, rec]
    sim.step(50)
    rep.finalize()
    return rec.frames, {
        "platform": "Reference", "nonbondedMethod": "PME", "cutoff_nm": 0.9,
        "constraints": "HBonds", "integrator": "LangevinMiddleIntegrator",
        "temperature_K": 300, "friction_per_ps": 1.0, "timestep_ps": 0.002,
        "seed": SEED, "minimize_maxIterations": 100, "steps": 50, "report_interval": 10,
        "reporter": "parmed.openmm.reporters.NetCDFReporter(crds=True, vels=True, frcs=True)",
        "openmm_version": mm.__version__,
    }


def same_but_date(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        la, lb = fa.read().split(b"\n", 1), fb.read().split(b"\n", 1)
    return la[0].startswith(b"%VERSION") and lb[0].startswith(b"%VERSION") and la[1:] == lb[1:]


def cpptraj(exe, script, cwd):
    r = subprocess.run([exe], input=script, text=True, cwd=cwd,
                       capture_output=True)
    if r.returncode != 0 or "Error" in r.stdout:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit("cpptraj failed")
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--venv", default="/work/venv")
    args = ap.parse_args()
    exe = os.path.join(args.venv, "bin", "cpptraj")
    os.makedirs(FIX, exist_ok=True)

    # 1. copies of the tleap inputs
    for name in ("ala2-vacuum", "ala2-water"):
        for ext in ("prmtop", "rst7"):
            src, dst = os.path.join(SYS, name, f"{name}.{ext}"), os.path.join(FIX, f"{name}.{ext}")
            if ext == "prmtop" and os.path.exists(dst) and same_but_date(src, dst):
                continue      # keep the committed copy: only the %VERSION DATE differs
            shutil.copyfile(src, dst)

    # 2. OpenMM + ParmEd NetCDFReporter trajectory
    nc = os.path.join(FIX, "ala2-water.openmm.nc")
    states, params = run_openmm(os.path.join(FIX, "ala2-water.prmtop"),
                                os.path.join(FIX, "ala2-water.rst7"), nc)
    ref = describe(nc, [0, -1])
    ref["generator"] = params
    ref["openmm_state"] = {
        "notes": "OpenMM State at the same steps, independent of the NetCDF file "
                 "(float64; positions A, velocities A/ps, forces kcal/mol/A). "
                 "Frames 0 and last.",
        "frames": [states[0], states[-1]],
    }
    dump(ref, os.path.join(FIX, "ala2-water.openmm.json"))

    # 3. cpptraj: NetCDF trajectory (frames 1 and 5), NetCDF restart (frame 5),
    #    ASCII restart of ala2-vacuum
    for fn in ("ala2-water.cpptraj.nc", "ala2-water.cpptraj.ncrst", "ala2-vacuum.cpptraj.rst7"):
        p = os.path.join(FIX, fn)
        if os.path.exists(p):
            os.remove(p)
    cpptraj(exe, "parm ala2-water.prmtop\n"
                 "trajin ala2-water.openmm.nc 1 5 4\n"
                 "trajout ala2-water.cpptraj.nc netcdf noforce\n"
                 "run\nquit\n", FIX)
    cpptraj(exe, "parm ala2-water.prmtop\n"
                 "trajin ala2-water.openmm.nc 5 5\n"
                 "trajout ala2-water.cpptraj.ncrst ncrestart noforce\n"
                 "run\nquit\n", FIX)
    cpptraj(exe, "parm ala2-vacuum.prmtop\n"
                 "trajin ala2-vacuum.rst7\n"
                 "trajout ala2-vacuum.cpptraj.rst7 restart\n"
                 "run\nquit\n", FIX)
    src = {"source": "ala2-water.openmm.nc", "cpptraj": subprocess.run(
        [exe, "--version"], capture_output=True, text=True).stdout.strip()}
    d = describe(os.path.join(FIX, "ala2-water.cpptraj.nc"), [0, -1])
    d["generator"] = dict(src, command="trajin ala2-water.openmm.nc 1 5 4; trajout ala2-water.cpptraj.nc netcdf noforce",
                          source_frames_0based=[0, 4])
    dump(d, os.path.join(FIX, "ala2-water.cpptraj.json"))
    d = describe(os.path.join(FIX, "ala2-water.cpptraj.ncrst"), [0])
    d["generator"] = dict(src, command="trajin ala2-water.openmm.nc 5 5; trajout ala2-water.cpptraj.ncrst ncrestart noforce",
                          source_frames_0based=[4])
    dump(d, os.path.join(FIX, "ala2-water.cpptraj.ncrst.json"))

    total = 0
    for fn in sorted(os.listdir(FIX)):
        sz = os.path.getsize(os.path.join(FIX, fn))
        total += sz
        print(f"{sz:9d}  Tests/Fixtures/{fn}")
    print(f"{total:9d}  total")


if __name__ == "__main__":
    main()
