#!/usr/bin/env python3
"""Check that AMBER files WRITTEN by `md convert` are read correctly by independent tools.

    /work/venv/bin/python scripts/check_amber_io.py [--md PATH_TO_md] [--keep DIR]

Writes, with `md convert`, a NetCDF trajectory, a NetCDF restart, an ASCII restart and a PDB of the
committed fixtures (ala2-water: 5 frames with coordinates, velocities, forces and an orthorhombic box;
ala2-vacuum: 22 atoms, no box) and of systems/protein-octahedron (truncated octahedron), then reads
every file back with cpptraj, MDAnalysis, MDTraj and ParmEd (plus a netCDF4 check of the AMBER
NetCDF conventions) and compares frames, time, coordinates, velocities, forces, box and (PDB) names
with the source values, which are read straight from the input fixtures with netCDF4 or a small rst7
parser in this script -- never through md.

Cell legend: OK/FAIL followed by the max abs difference (time in ps, lengths in A, velocities in
A/ps, forces in kcal/mol/A, angles in degrees; frames: count read), "OK none" = the tool correctly
reports the quantity as absent, "n/a" = the tool does not read that quantity from this format,
"-" = the format cannot hold it. Exit status 0 only if no cell is FAIL.

Dev tool only (needs the AmberTools/OpenMM venv); not a runtime dependency of md.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
import netCDF4  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "Tests" / "Fixtures"
OCT = ROOT / "systems" / "protein-octahedron"
VENV_BIN = Path(sys.executable).parent  # not resolved: the venv python is a symlink
AMBER_VEL = 20.455  # (A/ps) per AMBER internal velocity unit

NA = "n/a"   # tool does not read this quantity
NOFMT = "-"  # format cannot hold this quantity
QUANTITIES = ["frames", "time", "coords", "vel", "forces", "box", "names", "layout"]


# ---------------------------------------------------------------------------------------------
# Reference values, read from the INPUT fixtures without md.

def ref_from_netcdf(path):
    with netCDF4.Dataset(path) as nc:
        nc.set_auto_maskandscale(False)
        v = nc.variables

        def scaled(name):
            if name not in v:
                return None
            a = np.asarray(v[name][:], dtype=np.float64)
            if "scale_factor" in v[name].ncattrs():
                a = a * float(v[name].getncattr("scale_factor"))
            return a

        box = None
        if "cell_lengths" in v:
            box = np.concatenate([scaled("cell_lengths"), scaled("cell_angles")], axis=-1)
        return dict(
            coords=scaled("coordinates"),
            vel=scaled("velocities"),
            forces=scaled("forces"),
            box=box,
            time=np.atleast_1d(scaled("time")) if "time" in v else np.zeros(len(v["coordinates"])),
            title=str(nc.getncattr("title")) if "title" in nc.ncattrs() else "",
        )


def ref_from_rst7(path):
    """Minimal independent rst7 parser: title, NATOM [TIME], 12-character fields, 6 per line."""
    lines = Path(path).read_text().splitlines()
    head = lines[1].split()
    n = int(head[0])
    time = float(head[1]) if len(head) > 1 else 0.0
    vals = []
    for line in lines[2:]:
        line = line.rstrip("\n")
        vals.extend(float(line[i:i + 12]) for i in range(0, len(line.rstrip()), 12))
    vals = np.array(vals)
    nv = len(vals)
    if nv not in (3 * n, 3 * n + 6, 6 * n, 6 * n + 6):
        raise ValueError(f"{path}: {nv} numbers for {n} atoms")
    coords = vals[:3 * n].reshape(1, n, 3)
    vel = vals[3 * n:6 * n].reshape(1, n, 3) * AMBER_VEL if nv >= 6 * n else None
    box = vals[-6:].reshape(1, 6) if nv in (3 * n + 6, 6 * n + 6) else None
    return dict(coords=coords, vel=vel, forces=None, box=box, time=np.array([time]),
                title=lines[0].strip())


def prmtop_names(path):
    """Atom and residue names per atom from a prmtop (independent tiny parser)."""
    sections, cur = {}, None
    for line in Path(path).read_text().splitlines():
        if line.startswith("%FLAG"):
            cur = line.split()[1]
            sections[cur] = []
        elif line.startswith("%") or cur is None:
            continue
        else:
            sections[cur].append(line)

    def a4(key):
        s = "".join(sections[key])
        return [s[i:i + 4].strip() for i in range(0, len(s), 4)]

    def ints(key):
        return [int(x) for x in " ".join(sections[key]).split()]

    names = a4("ATOM_NAME")
    labels = a4("RESIDUE_LABEL")
    ptr = ints("RESIDUE_POINTER") + [len(names) + 1]
    resn = []
    for r, lab in enumerate(labels):
        resn += [lab] * (ptr[r + 1] - ptr[r])
    return names, resn


def select(ref, index):
    """Frames of a reference dict: index None = all, else one (python) index."""
    out = dict(ref)
    for k in ("coords", "vel", "forces", "box", "time"):
        if ref[k] is not None and index is not None:
            out[k] = ref[k][index:index + 1] if index != -1 else ref[k][-1:]
    out["frames"] = len(out["coords"])
    return out


# ---------------------------------------------------------------------------------------------
# Cases: what md writes and what it should contain.

class Case:
    def __init__(self, out, src, index, prmtop, ref):
        self.out, self.src, self.index, self.prmtop = out, src, index, prmtop
        self.fmt = out.rsplit(".", 1)[1]
        self.expect = ref
        self.path = None


def build_cases():
    wnc = FIX / "ala2-water.openmm.nc"
    wtop = FIX / "ala2-water.prmtop"
    vrst = FIX / "ala2-vacuum.rst7"
    vtop = FIX / "ala2-vacuum.prmtop"
    orst = OCT / "protein-octahedron.rst7"
    otop = OCT / "protein-octahedron.prmtop"
    w = ref_from_netcdf(wnc)
    v = ref_from_rst7(vrst)
    o = ref_from_rst7(orst)
    cases = [
        # (output name, input, frame index for md (None = md's default), prmtop, expected)
        Case("ala2-water.nc", wnc, None, wtop, select(w, None)),
        Case("ala2-water.frame2.ncrst", wnc, 2, wtop, select(w, 2)),
        Case("ala2-water.last.rst7", wnc, None, wtop, select(w, -1)),   # restart default: last
        Case("ala2-water.frame0.pdb", wnc, 0, wtop, select(w, 0)),
        Case("ala2-water.pdb", wnc, None, wtop, select(w, None)),       # 5 MODEL records
        Case("ala2-vacuum.nc", vrst, None, vtop, select(v, None)),
        Case("ala2-vacuum.rst7", vrst, None, vtop, select(v, None)),
        Case("protein-octahedron.nc", orst, None, otop, select(o, None)),
        Case("protein-octahedron.ncrst", orst, None, otop, select(o, None)),
        Case("protein-octahedron.rst7", orst, None, otop, select(o, None)),
    ]
    for c in cases:
        if c.fmt == "pdb":
            c.expect["names"] = prmtop_names(c.prmtop)
    return cases


# Tolerances (absolute) per output format, before the tool's own precision is added.
def file_tol(fmt, qty, scale):
    if fmt == "nc":  # float32 coordinates/velocities/forces/time, double box
        if qty == "box":
            return 1e-9
        return 1e-6 * max(scale, 1.0)
    if fmt == "ncrst":  # all double
        return 1e-9 * max(scale, 1.0)
    if fmt == "rst7":  # F12.7 (velocities in AMBER units, x 20.455), time E15.7
        return {"vel": 1e-6 * AMBER_VEL, "time": 1e-6}.get(qty, 1e-6)
    if fmt == "pdb":  # %8.3f coordinates, CRYST1 %9.3f lengths / %7.2f angles
        return 6e-4
    raise ValueError(fmt)


FLOAT32_TOOLS = {"MDAnalysis", "MDTraj"}


def compare(fmt, tool, qty, got, exp):
    """Return (status, text) for one cell."""
    if isinstance(got, str):  # NA / NOFMT / error text
        return (got, got) if got in (NA, NOFMT) else ("FAIL", "FAIL")
    if exp is None:
        if got is None:
            return "OK", "OK none"
        return "FAIL", "FAIL extra"
    if got is None:
        return "FAIL", "FAIL missing"
    got = np.asarray(got, dtype=np.float64)
    exp = np.asarray(exp, dtype=np.float64)
    if got.shape != exp.shape:
        return "FAIL", f"FAIL shape{got.shape}"
    if not np.all(np.isfinite(got)):
        return "FAIL", "FAIL nan"
    diff = np.abs(got - exp)
    scale = float(np.max(np.abs(exp))) if exp.size else 0.0
    if qty == "box":
        tl = file_tol(fmt, "box", 0)
        tol = np.array([tl] * 3 + [tl * 10 if fmt == "pdb" else tl] * 3)
        tol = np.broadcast_to(tol, exp.shape)
        if tool in FLOAT32_TOOLS:
            tol = tol + 5e-7 * np.abs(exp)
    else:
        tol = file_tol(fmt, qty, scale)
        if tool in FLOAT32_TOOLS:
            tol = tol + 5e-7 * scale
    md = float(diff.max()) if diff.size else 0.0
    ok = bool(np.all(diff <= tol))
    return ("OK" if ok else "FAIL"), f"{'OK' if ok else 'FAIL'} {md:.1e}"


# ---------------------------------------------------------------------------------------------
# Readers: each returns a dict with frames/time/coords/vel/forces/box(/names), in A, A/ps,
# kcal/mol/A, ps, degrees; None = tool says absent; NA = tool does not read it; NOFMT = format
# cannot hold it.

def boxrows(lengths, angles):
    return np.concatenate([np.atleast_2d(lengths), np.atleast_2d(angles)], axis=1)


def read_cpptraj(case, work):
    d = Path(work) / f"cpptraj.{case.out}"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    lines = [f"parm {case.prmtop}", f"trajin {case.path}", "list trajin"]
    if case.fmt != "pdb":
        lines.append(f"trajout {d}/out.ncrst ncrestart multi")
    else:
        lines.append(f"trajout {d}/out.ncrst ncrestart multi novelocity noforce")
    lines += ["run", "quit"]
    (d / "cpptraj.in").write_text("\n".join(lines) + "\n")
    p = subprocess.run([str(VENV_BIN / "cpptraj"), "-i", str(d / "cpptraj.in")],
                       capture_output=True, text=True)
    log = p.stdout + p.stderr
    (d / "cpptraj.log").write_text(log)
    errs = [l.strip() for l in log.splitlines() if re.search(r"\bError\b", l)]
    if p.returncode != 0 or errs:
        raise RuntimeError(f"cpptraj rc={p.returncode}: " + " | ".join(errs[:3]))
    m = re.search(r"\(reading (\d+) of (\d+)\)", log)
    if not m:
        raise RuntimeError("cpptraj did not report a frame count")
    nread = int(m.group(2))
    files = sorted(glob.glob(f"{d}/out.ncrst*"),
                   key=lambda f: int(f.rsplit(".", 1)[1]) if f[-1].isdigit() else 0)
    if len(files) != nread:
        raise RuntimeError(f"cpptraj read {nread} frames but wrote {len(files)} restarts")
    fr = [ref_from_netcdf(f) for f in files]
    out = dict(frames=nread,
               coords=np.concatenate([f["coords"][None] for f in fr]),
               time=np.concatenate([f["time"] for f in fr]) if case.fmt != "pdb" else NOFMT,
               vel=None if fr[0]["vel"] is None else np.concatenate([f["vel"][None] for f in fr]),
               forces=None if fr[0]["forces"] is None else np.concatenate(
                   [f["forces"][None] for f in fr]),
               box=None if fr[0]["box"] is None else np.concatenate([f["box"][None] for f in fr]))
    if case.fmt in ("rst7",):
        out["forces"] = NOFMT
    if case.fmt == "pdb":
        out["vel"] = out["forces"] = NOFMT
        out["names"] = cpptraj_names(case, d)
    return out


def cpptraj_names(case, d):
    (d / "names.in").write_text(f"parm {case.path}\natominfo *\nquit\n")
    p = subprocess.run([str(VENV_BIN / "cpptraj"), "-i", str(d / "names.in")],
                       capture_output=True, text=True)
    names, resn = [], []
    started = False
    for l in p.stdout.splitlines():
        if l.startswith("#Atom"):
            started = True
            continue
        if started:
            f = l.split()
            if len(f) < 4 or not f[0].isdigit():
                break
            names.append(f[1])
            resn.append(f[3])
    return names, resn


def read_mdanalysis(case, work):
    import MDAnalysis as mda
    if case.fmt == "ncrst":
        try:
            mda.Universe(str(case.prmtop), str(case.path))
        except Exception as e:
            if "NCRST" in str(e) or "Unknown coordinate trajectory format" in str(e):
                return {q: NA for q in QUANTITIES if q != "layout"}  # MDAnalysis has no NetCDF restart reader
            raise
        raise RuntimeError("MDAnalysis unexpectedly opened an .ncrst; update this checker")
    if case.fmt == "pdb":
        u = mda.Universe(str(case.path))
    elif case.fmt == "rst7":
        u = mda.Universe(str(case.prmtop), str(case.path), format="RESTRT")
    else:
        u = mda.Universe(str(case.prmtop), str(case.path))
    co, ve, fo, bx, tm = [], [], [], [], []
    for ts in u.trajectory:
        co.append(ts.positions.copy())
        ve.append(ts.velocities.copy() if ts.has_velocities else None)
        fo.append(ts.forces.copy() if ts.has_forces else None)
        bx.append(None if ts.dimensions is None else ts.dimensions.copy())
        tm.append(ts.time)
    stack = lambda a: None if a[0] is None else np.array(a, dtype=np.float64)  # noqa: E731
    fo = stack(fo)
    if fo is not None:  # MDAnalysis converts forces to its base unit kJ/(mol*A); undo with its own units
        fo = mda.units.convert(fo, mda.units.MDANALYSIS_BASE_UNITS["force"], "kcal/(mol*Angstrom)")
    out = dict(frames=len(u.trajectory), coords=np.array(co), time=np.array(tm),
               vel=stack(ve), forces=fo, box=stack(bx))
    if case.fmt == "rst7":  # MDAnalysis' INPReader reads positions and time only
        out.update(vel=NA, box=NA, forces=NOFMT)
    if case.fmt == "pdb":
        out.update(vel=NOFMT, forces=NOFMT, time=NOFMT,
                   names=(list(u.atoms.names), list(u.atoms.resnames)))
    return out


def read_mdtraj(case, work):
    import mdtraj
    if case.fmt == "pdb":
        t = mdtraj.load(str(case.path), standard_names=False)
    else:
        t = mdtraj.load(str(case.path), top=str(case.prmtop))
    box = None
    if t.unitcell_lengths is not None:
        box = boxrows(t.unitcell_lengths.astype(np.float64) * 10.0, t.unitcell_angles)
    out = dict(frames=t.n_frames, coords=t.xyz.astype(np.float64) * 10.0, time=t.time, box=box,
               vel=NA, forces=NA)
    if case.fmt == "pdb":
        out.update(vel=NOFMT, forces=NOFMT, time=NOFMT,
                   names=([a.name for a in t.topology.atoms],
                          [a.residue.name for a in t.topology.atoms]))
    elif case.fmt == "rst7":
        out["forces"] = NOFMT
    return out


def read_parmed(case, work):
    import parmed
    from parmed.amber import AmberAsciiRestart, NetCDFRestart, NetCDFTraj
    obj = parmed.load_file(str(case.path))  # format auto-detection is part of the test
    want = {"nc": NetCDFTraj, "ncrst": NetCDFRestart, "rst7": AmberAsciiRestart,
            "pdb": parmed.Structure}[case.fmt]
    if not isinstance(obj, want):
        raise RuntimeError(f"parmed.load_file identified it as {type(obj).__name__}, "
                           f"not {want.__name__}")
    if case.fmt == "pdb":
        xyz = obj.get_coordinates()  # all MODELs
        return dict(frames=len(xyz), coords=xyz, box=None if obj.box is None
                    else np.tile(np.asarray(obj.box), (len(xyz), 1)), time=NOFMT, vel=NOFMT, forces=NOFMT,
                    names=([a.name for a in obj.atoms], [a.residue.name for a in obj.atoms]))
    # cross-check the user-facing path too: load_file(prmtop, xyz=file) must give the same coords
    s = parmed.load_file(str(case.prmtop), xyz=str(case.path))
    coords = np.asarray(obj.coordinates).reshape(-1, s.coordinates.shape[0], 3)
    last = coords[-1] if case.fmt != "nc" else coords[0]
    if np.max(np.abs(np.asarray(s.coordinates) - last)) > 1e-9:
        raise RuntimeError("load_file(prmtop, xyz=...) coordinates differ from the reader's")
    if case.fmt == "nc":
        nfr = obj.frame
        time = np.atleast_1d(obj.time)
        box = np.asarray(obj.box).reshape(-1, 6) if obj.hasbox else None
        vel = np.asarray(obj.velocities) if obj.hasvels else None
        frc = np.asarray(obj.forces) if obj.hasfrcs else None
    else:
        nfr = coords.shape[0]
        time = np.atleast_1d(obj.time)
        box = np.asarray(obj.box).reshape(-1, 6) if obj.hasbox else None
        vel = np.asarray(obj.velocities).reshape(coords.shape) if obj.hasvels else None
        frc = NA if case.fmt == "ncrst" else NOFMT  # ParmEd's NetCDFRestart ignores forces
    return dict(frames=nfr, coords=coords, time=time, box=box, vel=vel, forces=frc)


def read_netcdf4_spec(case, work):
    """AMBER NetCDF convention check (ambermd.org/netcdf/nctraj.xhtml) plus values via netCDF4."""
    if case.fmt not in ("nc", "ncrst"):
        return {q: NOFMT for q in QUANTITIES}
    traj = case.fmt == "nc"
    problems = []
    with netCDF4.Dataset(case.path) as nc:
        nc.set_auto_maskandscale(False)
        ga = {k: nc.getncattr(k) for k in nc.ncattrs()}
        conv = "AMBER" if traj else "AMBERRESTART"
        if conv not in str(ga.get("Conventions", "")).split():
            problems.append(f"Conventions={ga.get('Conventions')!r}, want {conv!r}")
        if ga.get("ConventionVersion") != "1.0":
            problems.append(f"ConventionVersion={ga.get('ConventionVersion')!r}")
        for a in ("program", "programVersion"):
            if a not in ga:
                problems.append(f"missing global attribute {a}")
        if nc.data_model not in ("NETCDF3_64BIT_OFFSET", "NETCDF3_CLASSIC"):
            problems.append(f"data model {nc.data_model} (AMBER readers expect NetCDF3)")
        dims = nc.dimensions
        if traj and not ("frame" in dims and dims["frame"].isunlimited()):
            problems.append("frame dimension missing or not unlimited")
        if not traj and "frame" in dims:
            problems.append("restart has a frame dimension")
        if len(dims.get("spatial", [])) != 3:
            problems.append("spatial dimension != 3")
        v = nc.variables
        lead = ("frame",) if traj else ()
        fdt = np.float32 if traj else np.float64
        spec = {"coordinates": (lead + ("atom", "spatial"), fdt, "angstrom"),
                "velocities": (lead + ("atom", "spatial"), fdt, "angstrom/picosecond"),
                "forces": (lead + ("atom", "spatial"), fdt, "kilocalorie/mole/angstrom"),
                "time": (lead, fdt, "picosecond"),
                "cell_lengths": (lead + ("cell_spatial",), np.float64, "angstrom"),
                "cell_angles": (lead + ("cell_angular",), np.float64, "degree")}
        for name, (dd, dt, units) in spec.items():
            if name not in v:
                continue
            var = v[name]
            if tuple(var.dimensions) != dd:
                problems.append(f"{name} dims {var.dimensions}, want {dd}")
            if var.dtype != dt:
                problems.append(f"{name} dtype {var.dtype}, want {np.dtype(dt)}")
            if getattr(var, "units", None) != units:
                problems.append(f"{name} units {getattr(var, 'units', None)!r}, want {units!r}")
        if "velocities" in v and abs(float(getattr(v["velocities"], "scale_factor", 1.0))
                                     - AMBER_VEL) > 1e-12:
            problems.append("velocities scale_factor is not 20.455")
        lab = lambda n: b"".join(np.asarray(v[n][:]).ravel()).decode()  # noqa: E731
        if "spatial" not in v or lab("spatial") != "xyz":
            problems.append("spatial label variable missing or not 'xyz'")
        if "cell_lengths" in v:
            if "cell_spatial" not in v or lab("cell_spatial") != "abc":
                problems.append("cell_spatial label missing or not 'abc'")
            if "cell_angular" not in v or lab("cell_angular").replace("\0", " ") != "alphabeta gamma":
                problems.append("cell_angular labels missing or not alpha/beta /gamma")
        natom = len(dims["atom"]) if "atom" in dims else -1
        if natom != case.expect["coords"].shape[1]:
            problems.append(f"atom dimension {natom}")
    r = ref_from_netcdf(case.path)
    shape = (-1,) + case.expect["coords"].shape[1:]
    out = dict(frames=len(r["coords"]) if traj else 1,
               coords=r["coords"].reshape(shape), time=r["time"],
               vel=None if r["vel"] is None else r["vel"].reshape(shape),
               forces=None if r["forces"] is None else r["forces"].reshape(shape),
               box=None if r["box"] is None else r["box"].reshape(-1, 6),
               layout=problems)
    return out


TOOLS = [("cpptraj", read_cpptraj), ("MDAnalysis", read_mdanalysis), ("MDTraj", read_mdtraj),
         ("ParmEd", read_parmed), ("netCDF4-spec", read_netcdf4_spec)]


# ---------------------------------------------------------------------------------------------

def run_md(md, case, outdir):
    case.path = Path(outdir) / case.out
    src = f"{case.src}:{case.index}" if case.index is not None else str(case.src)
    cmd = [str(md), "convert", src, "--out", str(case.path), "--prmtop", str(case.prmtop),
           "--overwrite"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0 or not case.path.exists():
        raise RuntimeError(f"md convert failed (rc={p.returncode}): "
                           f"{(p.stderr or p.stdout).strip()[:300]}")


def check_case(case, tool, reader, work):
    """List of (qty, status, text, message)."""
    rows = []
    exp = case.expect
    try:
        got = reader(case, work)
    except Exception as e:
        msg = f"{type(e).__name__}: {e}".strip().splitlines()[0][:400]
        if os.environ.get("CHECK_AMBER_IO_TRACE"):
            traceback.print_exc()
        return [("read", "FAIL", "FAIL error", msg)]
    for q in QUANTITIES:
        g = got.get(q, NA if q != "layout" else NOFMT)
        if q == "layout":
            if isinstance(g, str):
                rows.append((q, g, g, None))
            elif g:
                rows.append((q, "FAIL", "FAIL", "; ".join(g)))
            else:
                rows.append((q, "OK", "OK", None))
            continue
        if q == "names":
            if case.fmt != "pdb":
                g = NOFMT
            if isinstance(g, str):
                rows.append((q, g, g, None))
                continue
            en, er = exp["names"]
            gn, gr = list(map(str.strip, g[0])), list(map(str.strip, g[1]))
            bad = sum(a != b for a, b in zip(gn, en)) + sum(a != b for a, b in zip(gr, er))
            bad += abs(len(gn) - len(en)) + abs(len(gr) - len(er))
            if bad:
                first = next((i for i, (a, b) in enumerate(zip(gn, en)) if a != b), None)
                rows.append((q, "FAIL", f"FAIL {bad}",
                             f"{bad} name mismatches; first atom {first}: "
                             f"{gn[first] if first is not None else '?'} vs "
                             f"{en[first] if first is not None else '?'}"))
            else:
                rows.append((q, "OK", "OK", None))
            continue
        if q == "frames":
            if isinstance(g, str):
                rows.append((q, g, g, None))
            elif int(g) == exp["frames"]:
                rows.append((q, "OK", f"OK {int(g)}", None))
            else:
                rows.append((q, "FAIL", f"FAIL {int(g)}", f"read {g} frames, want {exp['frames']}"))
            continue
        e = exp.get(q)
        if q == "forces" and case.fmt in ("rst7", "pdb"):
            e = None
        if q in ("vel", "time") and case.fmt == "pdb":
            e = None
        st, text = compare(case.fmt, tool, q, g, e)
        msg = None
        if st == "FAIL":
            if text == "FAIL extra":
                msg = f"{q}: tool reports a value, source has none"
            elif text == "FAIL missing":
                msg = f"{q}: tool reports none, source has it"
            else:
                msg = f"{q}: {text}"
        rows.append((q, st, text, msg))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--md", default=str(ROOT / ".build" / "debug" / "md"),
                    help="md executable (default: .build/debug/md)")
    ap.add_argument("--keep", metavar="DIR", help="write (and keep) all files in DIR")
    args = ap.parse_args()
    md = Path(args.md)
    if not md.exists():
        sys.exit(f"no md executable at {md}; run `swift build` first or pass --md")
    if not (VENV_BIN / "cpptraj").exists():
        sys.exit(f"cpptraj not found next to {sys.executable}; run with the AmberTools venv")

    if args.keep:
        work = Path(args.keep)
        work.mkdir(parents=True, exist_ok=True)
        tmp = None
    else:
        tmp = tempfile.mkdtemp(prefix="check_amber_io.")
        work = Path(tmp)
    try:
        cases = build_cases()
        results = []  # (file, tool, {qty: text}, [messages])
        failed = False
        for case in cases:
            try:
                run_md(md, case, work)
            except Exception as e:
                results.append((case.out, "md convert", {"read": "FAIL"}, [str(e)]))  # no file
                failed = True
                continue
            for tool, reader in TOOLS:
                rows = check_case(case, tool, reader, work)
                cells = {q: text for q, st, text, msg in rows}
                msgs = [msg for q, st, text, msg in rows if msg]
                failed |= any(st == "FAIL" for q, st, text, msg in rows)
                results.append((case.out, tool, cells, msgs))
        print_table(results)
        print()
        print(f"files in {work}" + ("" if args.keep else " (deleted)"))
        print("RESULT:", "FAIL" if failed else "all checks passed")
        return 1 if failed else 0
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def print_table(results):
    fw = max(len(r[0]) for r in results)
    tw = max(len(r[1]) for r in results)
    cw = 13
    head = f"{'file':<{fw}}  {'tool':<{tw}}  " + "".join(f"{q:<{cw}}" for q in QUANTITIES)
    print(head)
    print("-" * len(head.rstrip()))
    notes = []
    last = None
    for f, tool, cells, msgs in results:
        if "read" in cells:
            line = f"{f if f != last else '':<{fw}}  {tool:<{tw}}  FAIL (error, see below)"
        else:
            line = f"{f if f != last else '':<{fw}}  {tool:<{tw}}  " + "".join(
                f"{cells.get(q, ''):<{cw}}" for q in QUANTITIES)
        print(line.rstrip())
        last = f
        for m in msgs:
            notes.append(f"  {f} / {tool}: {m}")
    if notes:
        print("\nFailures:")
        print("\n".join(notes))


if __name__ == "__main__":
    sys.exit(main())
