#!/usr/bin/env python3
"""Check the forces an md dataset stores against OpenMM on the same frames.

    /work/venv/bin/python scripts/check_dataset_forces.py [DATASET_DIR] [--id ID] [--platform Reference]
                                                          [--tolerance 2e-4 1e-6] [--json OUT]

DATASET_DIR holds dataset.json (default trajectories/). For one protein (--id, default the
first in the manifest) every frame of every trajectory is read with netCDF4 (coordinates,
box, md's stored forces); OpenMM builds the system from the same prmtop with PME, a 9 A
cutoff, no switching, and each --tolerance (2e-4 is md's default, so alpha and grid match
md's by OpenMM's rule; 1e-6 is close to converged Ewald), and evaluates the forces at the
stored coordinates. Printed per frame: relative RMS difference
sqrt(sum |F_md - F_mm|^2 / sum |F_mm|^2) over all atoms and over protein atoms, and the
largest per-atom difference. OpenMM's Coulomb constant is 35 ppm above AMBER's (md's
default), a 3.5e-5 relative effect at most. The stored coordinates are Float (AMBER
NetCDF), so OpenMM sees positions rounded by ~1e-6 A, which md did not; that alone moves
stiff bond forces by ~1e-5 relative. Exits 1 if any relative RMS difference at tolerance
2e-4 exceeds 1e-3.
"""
import argparse
import json
import os
import sys

import netCDF4
import numpy as np
import openmm
import openmm.app as app
import openmm.unit as u

KJ_NM_TO_KCAL_A = 1 / 41.84  # kJ/mol/nm -> kcal/mol/A


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "trajectories"))
    ap.add_argument("--id")
    ap.add_argument("--platform", default="Reference")
    ap.add_argument("--tolerance", type=float, nargs="+", default=[2e-4, 1e-6])
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()

    man = json.load(open(os.path.join(a.dataset, "dataset.json")))
    prots = man["proteins"]
    p = next((x for x in prots if x["id"] == a.id), None) if a.id else prots[0]
    if p is None:
        sys.exit(f"no protein {a.id} in {a.dataset}/dataset.json")
    prmtop = app.AmberPrmtopFile(os.path.join(a.dataset, p["prmtop"]))
    protein = [i for i, atom in enumerate(prmtop.topology.atoms()) if atom.residue.name not in ("WAT", "HOH", "Na+", "Cl-")]
    print(f"{p['id']} ({p['split']}): {p['atoms']} atoms, {len(protein)} protein atoms; OpenMM {openmm.__version__}, {a.platform} platform")

    results = []
    ok = True
    for tol in a.tolerance:
        system = prmtop.createSystem(nonbondedMethod=app.PME, nonbondedCutoff=0.9 * u.nanometer,
                                     ewaldErrorTolerance=tol, constraints=None, rigidWater=False)
        nb = next(f for f in system.getForces() if isinstance(f, openmm.NonbondedForce))
        for t in p["trajectories"]:
            with netCDF4.Dataset(os.path.join(a.dataset, t["path"])) as d:
                xyz = np.asarray(d["coordinates"][:], dtype=np.float64)
                fmd = np.asarray(d["forces"][:], dtype=np.float64)
                box = np.asarray(d["cell_lengths"][:], dtype=np.float64)
                ang = np.asarray(d["cell_angles"][:], dtype=np.float64)
            for k in range(xyz.shape[0]):
                if not np.allclose(ang[k], 90.0):
                    sys.exit(f"{t['path']}: frame {k} is not orthorhombic; this check handles rectangular boxes only")
                # OpenMM sizes the PME grid from the default box when the context is made, as md
                # does from the box it starts with: so one context per frame, with that frame's box
                vecs = [openmm.Vec3(box[k][0] / 10, 0, 0), openmm.Vec3(0, box[k][1] / 10, 0), openmm.Vec3(0, 0, box[k][2] / 10)]
                system.setDefaultPeriodicBoxVectors(*vecs)
                integ = openmm.VerletIntegrator(0.001)
                ctx = openmm.Context(system, integ, openmm.Platform.getPlatformByName(a.platform))
                ctx.setPeriodicBoxVectors(*vecs)
                ctx.setPositions(xyz[k] / 10)
                st = ctx.getState(getForces=True)
                fmm = np.asarray(st.getForces(asNumpy=True).value_in_unit(u.kilojoule_per_mole / u.nanometer)) * KJ_NM_TO_KCAL_A
                alpha, gx, gy, gz = nb.getPMEParametersInContext(ctx)
                del ctx, integ
                diff = fmd[k] - fmm
                rel = float(np.sqrt((diff ** 2).sum() / (fmm ** 2).sum()))
                relp = float(np.sqrt((diff[protein] ** 2).sum() / (fmm[protein] ** 2).sum()))
                worst = float(np.linalg.norm(diff, axis=1).max())
                meanf = float(np.linalg.norm(fmm[protein], axis=1).mean())
                if tol == a.tolerance[0] == 2e-4 and rel > 1e-3:
                    ok = False
                r = {"id": p["id"], "trajectory": t["path"], "kind": t["kind"], "frame": k, "tolerance": tol,
                     "box_A": [float(x) for x in box[k]], "alpha_per_A": alpha / 10, "grid": [gx, gy, gz],
                     "rel_rms_all": rel, "rel_rms_protein": relp, "max_atom_diff": worst,
                     "mean_protein_force": meanf}
                results.append(r)
                print(f"  tol {tol:.0e} (alpha {r['alpha_per_A']:.6f}/A, grid {gx}x{gy}x{gz})  "
                      f"{t['kind']:9s} frame {k}: rel RMS diff all {rel:.2e}, protein {relp:.2e}; "
                      f"max |dF| {worst:.4f} kcal/mol/A; mean |F| protein {meanf:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"protein": p["id"], "openmm": openmm.__version__, "platform": a.platform, "results": results}, f, indent=1)
    print("OK" if ok else "FAIL: relative RMS difference above 1e-3 at tolerance 2e-4")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
