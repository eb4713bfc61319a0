"""Shared set-up of the OpenMM benchmarks: a shipped system as an OpenMM CPU context with md's
nonbonded settings (PME, 9 Å cutoff, dispersion correction)."""
import openmm as mm
import openmm.app as app
import openmm.unit as u


def cpu_context(name, integrator, tolerance, threads, rigid):
    """Context for systems/NAME; `rigid` constrains bonds to hydrogen and water as md simulate does."""
    prm = app.AmberPrmtopFile(f"systems/{name}/{name}.prmtop")
    crd = app.AmberInpcrdFile(f"systems/{name}/{name}.rst7")
    system = prm.createSystem(nonbondedMethod=app.PME, nonbondedCutoff=0.9 * u.nanometer,
                              constraints=app.HBonds if rigid else None, rigidWater=rigid,
                              ewaldErrorTolerance=tolerance, removeCMMotion=rigid)
    context = mm.Context(system, integrator, mm.Platform.getPlatformByName("CPU"), {"Threads": threads})
    context.setPeriodicBoxVectors(*crd.boxVectors)
    context.setPositions(crd.positions)
    return system, crd, context
