"""Benchmark: a 24 h what-if scenario on the demo hall at 1-minute steps.

Three ways through the same FiPy discretisation (0.25 m cells, heat + moisture), in one run:

* project: ``simulation.climate`` as the project uses it (engine "cached": FiPy builds the matrix
  at each schedule change and solves that step; scipy's ``splu`` factorises FiPy's own matrix once
  and the other steps are back-substitutions; every step also updates all sources, the HVAC
  controller, thermal mass, buffers and cases, and records probes and snapshots);
* limit: FiPy's two matrices factorised once, then one back-substitution per field per step and
  nothing else (the anchor);
* FiPy rebuilding its matrix every step (engine "fipy", ``eq.solve``), timed over a few steps and
  extrapolated to the day.

Prints the three times (best of three runs each, the machine being shared) and the ratio
project / limit. Targets (issue 7): ratio <= 2 and project
<= 5 s. Needs only the repository (scenes/demo_hall); no data from ../shared.

PETSc/MPI for large halls: FiPy runs the same equations on PETSc when ``FIPY_SOLVERS=petsc`` and
petsc4py is installed; pass ``engine="fipy"`` and a PETSc solver (``fipy.solvers.petsc.
LinearGMRESSolver(precon="ilu")``) to ``build_model``. Under ``mpirun -n 2`` FiPy partitions the
Grid2D itself; the model's per-cell numpy source terms then have to be written on the local
cells (``var.value`` is local) — not done yet, see the report. This script says whether petsc4py
imports here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse.linalg as sla

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation import climate  # noqa: E402
from simulation.scenario import build_run, load_scenario  # noqa: E402
from simulation.scene import load_scene  # noqa: E402

SCENARIO = ROOT / "scenes" / "demo_hall" / "scenarios" / "hvac_failure_summer.toml"
FIPY_STEPS = 10
REPEATS = 3  # best of: the machine is shared, the minimum is the least disturbed run


def project(sc, scene) -> tuple[float, climate.HallModel]:
    model, state, forcing = build_run(sc, scene, cell_m=0.25)
    t0 = time.perf_counter()
    climate.simulate(model, state, forcing, 24 * 3600.0, record_every_s=sc.record_every_s,
                     snapshot_every_s=sc.snapshot_every_s)
    return time.perf_counter() - t0, model


def limit(sc, scene) -> float:
    """Same matrices (built by FiPy once), factorised once, one back-substitution per field per step."""
    model, state, forcing = build_run(sc, scene, cell_m=0.25)
    climate.step(model, state, forcing(0.0))  # FiPy builds both matrices
    ins = model.cells["inside"]
    mats = [model.equations[k].matrix.matrix.tocsr()[ins][:, ins].tocsc() for k in ("t", "w")]
    area, dt = model.grid.cell_m**2, model.dt_s
    t0 = time.perf_counter()
    lus = [sla.splu(m, **climate.SPLU_OPTIONS) for m in mats]
    x = [state.t[ins].copy(), state.w[ins].copy()]
    b = [np.full(len(ins), 1e-4), np.full(len(ins), 1e-6)]
    for _ in range(24 * 60):
        for k in (0, 1):
            x[k] = lus[k].solve(area * (x[k] / dt + b[k]))
    return time.perf_counter() - t0


def fipy_every_step(sc, scene) -> float:
    model, state, forcing = build_run(sc, scene, cell_m=0.25, engine="fipy")
    state = climate.step(model, state, forcing(0.0))  # warm-up
    t0 = time.perf_counter()
    for _ in range(FIPY_STEPS):
        state = climate.step(model, state, forcing(state.time_s))
    return (time.perf_counter() - t0) / FIPY_STEPS * 24 * 60


def main() -> int:
    sc = load_scenario(SCENARIO)
    scene = load_scene(sc.scene_path)
    runs = [project(sc, scene) for _ in range(REPEATS)]
    t_project, model = min(runs, key=lambda r: r[0])
    t_limit = min(limit(sc, scene) for _ in range(REPEATS))
    t_fipy = fipy_every_step(sc, scene)
    n = int(model.grid.inside.sum())
    print(f"demo hall, {n} cells of 0.25 m, heat + moisture, 1440 steps of 60 s (24 h)")
    print(f"project (FiPy matrix reused, {model.factorisations} factorisations): {t_project:7.2f} s")
    print(f"limit   (factorised once, back-substitution only):  {t_limit:7.2f} s")
    print(f"FiPy rebuilding every step (from {FIPY_STEPS} steps):     {t_fipy:7.2f} s")
    print(f"ratio project / limit: {t_project / t_limit:.2f}   (target <= 2, and project <= 5 s)")
    print(f"ratio FiPy-every-step / project: {t_fipy / t_project:.1f}")
    try:
        import petsc4py  # noqa: F401

        print("petsc4py: available (FIPY_SOLVERS=petsc to use it)")
    except ImportError:
        print("petsc4py: not installed here; FiPy's PETSc/MPI path not measured")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
