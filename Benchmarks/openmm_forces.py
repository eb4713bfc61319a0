"""OpenMM CPU-platform force evaluations per second on md's shipped systems, for BENCHMARKS.md.

Run beside `md-bench forces` on the same machine:
    /work/venv/bin/python Benchmarks/openmm_forces.py [--tolerance 2e-4] [--threads 2] [SYSTEM ...]
Same physics as md's defaults: PME, 9 Å cutoff, dispersion correction, no constraints.
Two figures per system: (a) setPositions + getState(energy, forces) per evaluation, as md-bench does
(positions jittered by up to 0.01 Å); (b) steps of a VerletIntegrator (1 fs, flexible), where OpenMM
keeps everything inside the platform: the cost of one force evaluation without host transfers.
"""
import argparse
import time

import numpy as np
import openmm as mm
import openmm.unit as u
from openmm_setup import cpu_context


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("systems", nargs="*", default=["ala2-water", "bench-30k"])
    ap.add_argument("--tolerance", type=float, default=2e-4)
    ap.add_argument("--threads", default="2")
    args = ap.parse_args()
    print("| system | atoms | PME grid | getState evaluations/s | integrator steps/s (1 force each) |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.systems:
        integrator = mm.VerletIntegrator(0.001)
        system, crd, context = cpu_context(name, integrator, args.tolerance, args.threads, rigid=False)
        x = np.array(crd.positions.value_in_unit(u.nanometer))
        nb = [f for f in system.getForces() if isinstance(f, mm.NonbondedForce)][0]
        _, nx, ny, nz = nb.getPMEParametersInContext(context)
        rng = np.random.default_rng(0)
        count = 20 if system.getNumParticles() > 10000 else 200
        context.getState(getEnergy=True, getForces=True)
        start = time.perf_counter()
        for _ in range(count):
            x = x + rng.uniform(-0.001, 0.001, x.shape)
            context.setPositions(x)
            context.getState(getEnergy=True, getForces=True)
        evaluations = count / (time.perf_counter() - start)
        context.setVelocitiesToTemperature(300 * u.kelvin, 1)
        integrator.step(10)
        start = time.perf_counter()
        integrator.step(count)
        context.getState(getEnergy=True)
        steps = count / (time.perf_counter() - start)
        print(f"| {name} | {system.getNumParticles()} | {nx}×{ny}×{nz} | {evaluations:.1f} | {steps:.1f} |")


if __name__ == "__main__":
    main()
