"""OpenMM CPU-platform MD speed (ns/day) with md simulate's defaults, for BENCHMARKS.md.

    /work/venv/bin/python Benchmarks/openmm_simulate.py [--steps N] [--tolerance 2e-4] [SYSTEM ...]
Same settings as `md simulate SYSTEM`: PME 9 Å with dispersion correction, bonds to hydrogen
constrained and rigid water, LangevinMiddle 2 fs, 300 K, 1/ps, 2 threads. Times `steps` steps after
a short warm-up, with no reporters.
"""
import argparse
import time

import openmm as mm
import openmm.unit as u
from openmm_setup import cpu_context


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("systems", nargs="*", default=["ala2-water", "bench-30k"])
    ap.add_argument("--steps", type=int, default=0, help="default: 2000 below 10k atoms, else 200")
    ap.add_argument("--tolerance", type=float, default=2e-4)
    ap.add_argument("--threads", default="2")
    args = ap.parse_args()
    print("| system | atoms | steps/s | ns/day |")
    print("| --- | --- | --- | --- |")
    for name in args.systems:
        integrator = mm.LangevinMiddleIntegrator(300 * u.kelvin, 1 / u.picosecond, 0.002 * u.picoseconds)
        system, _, context = cpu_context(name, integrator, args.tolerance, args.threads, rigid=True)
        context.setVelocitiesToTemperature(300 * u.kelvin, 1)
        steps = args.steps or (2000 if system.getNumParticles() < 10000 else 200)
        integrator.step(20)
        start = time.perf_counter()
        integrator.step(steps)
        context.getState(getEnergy=True)
        rate = steps / (time.perf_counter() - start)
        print(f"| {name} | {system.getNumParticles()} | {rate:.1f} | {rate * 0.002 * 86400 / 1000:.2f} |")


if __name__ == "__main__":
    main()
