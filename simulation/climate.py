"""The hall's air climate as a FiPy model: temperature and water-vapour content.

Two depth-averaged fields over the floor plan (a 2-D masked grid, see
:mod:`simulation.hall_mesh`), each a diffusion equation with an effective
(eddy) diffusivity ``K`` and linear sources, written as FiPy reads them::

    TransientTerm() == DiffusionTerm(K) - ImplicitSourceTerm(a) + b

``T`` in °C, ``a`` in 1/s (the sum of all exchange rates that pull a cell
towards some other temperature), ``b`` in K/s (those rates times the
temperatures they pull towards, plus heat gains / (rho cp)). The
moisture equation is the same with the vapour density ``w`` (g/m³) in
place of ``T``. Heat and moisture are coupled through relative humidity
(Magnus, :mod:`simulation.psychrometrics`): HVAC humidity control,
dehumidifier humidistats, hygroscopic buffers and the outputs all act on
RH.

Sources and sinks: infiltration and open doors/windows (exchange with
outdoor or adjacent air), walls/roof/floor (U-values), HVAC supply at the
vents (setpoints, capacity, failure), visitors and lighting, standalone
dehumidifiers, a thermal-mass node and a hygroscopic buffer per cell, and
display cases as well-mixed volumes with an air-exchange rate.

Speed: FiPy rebuilds its matrix on every ``solve`` (about 20-30 ms on a
4 000-cell grid). The matrix depends only on ``K``, ``a`` and ``dt``, which
change only at schedule events (HVAC fails, a door opens), so the
``"cached"`` engine lets FiPy solve the first step after each change,
keeps FiPy's own matrix, factorises it once (scipy ``splu``) and solves the
following steps by back-substitution with the right-hand side
``V (old / dt + b)`` (FiPy's convention, checked in the tests). The
``"fipy"`` engine calls ``eq.solve`` every step with the given solver; it
is the path for other FiPy solver suites (PETSc, Trilinos), see
:func:`build_model`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import scipy.sparse.linalg as sla
from numpy.typing import NDArray

from simulation import hall_mesh
from simulation.psychrometrics import rh_from_vapour_density, vapour_density

# --- physical constants (each with its source) ------------------------------------------------

RHO_AIR = 1.2  # kg/m³, dry air at 20 °C, 101.325 kPa (ASHRAE Handbook Fundamentals 2017, ch. 1)
CP_AIR = 1006.0  # J/(kg K), dry air at 20 °C (ASHRAE Handbook Fundamentals 2017, ch. 1)
RHO_CP = RHO_AIR * CP_AIR  # J/(m³ K)
H_FG = 2.45e6  # J/kg, latent heat of vaporisation of water near 20 °C (ASHRAE Fundamentals ch. 1)
GRAVITY = 9.81  # m/s²
# Heat from one adult visitor "standing, light work; walking" in a store:
# 75 W sensible + 55 W latent (ASHRAE Handbook Fundamentals 2017, ch. 18, Table 1).
PERSON_SENSIBLE_W = 75.0
PERSON_LATENT_W = 55.0
# Buoyancy-driven two-way flow through a large opening, Q = Cd/3 W sqrt(g H³ dT / T)
# (Brown & Solvason 1962; ASHRAE Fundamentals 2017 ch. 16), with Cd = 0.6.
OPENING_CD = 0.6
# Single-sided wind-driven ventilation Q = 0.025 A U (BS 5925:1991; CIBSE AM10), added to the
# buoyant flow in quadrature (ASHRAE Fundamentals 2017 ch. 16, combining wind and stack).
OPENING_WIND_COEFF = 0.025
OPENING_DEPTH_M = 1.0  # exchanged outdoor air is mixed into the cells within this depth (model choice)
VENT_RADIUS_M = 0.75  # supply air enters the cells within this radius of a supply grille (model choice)
DEHUMIDIFIER_RADIUS_M = 2.0  # a portable dehumidifier draws from this radius (model choice)
DEHUMIDIFIER_BAND_RH = 5.0  # %RH proportional band of a humidistat (typical appliance hysteresis)
# The matrix is symmetric (diffusion + diagonal): a minimum-degree ordering on A + A^T in
# SuperLU's symmetric mode gives about 40 % less fill than the default COLAMD (measured on the
# demo hall, 3 840 cells: 117 k vs 193 k non-zeros in L + U).
SPLU_OPTIONS = {"permc_spec": "MMD_AT_PLUS_A", "options": {"SymmetricMode": True}}
HVAC_INTEGRAL_S = 1800.0  # s, integral time of the PI controller (model choice; slow, no overshoot)


# --- geometry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Aperture:
    """A door or window: wall segment ``a``-``b`` (2,) m, ``height`` m, opening to ``to``."""

    id: str
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    height: float = 2.1
    to: str = "outdoor"


@dataclass(frozen=True)
class VentSpec:
    """An HVAC grille at ``position`` (2,) m; ``kind`` "supply" or "return"."""

    id: str
    position: NDArray[np.float64]
    kind: str = "supply"


@dataclass(frozen=True)
class CaseSpec:
    """A display case at ``position`` (2,) m with ``air_exchange_per_day`` (1/day)."""

    id: str
    position: NDArray[np.float64]
    air_exchange_per_day: float = 1.0


@dataclass(frozen=True)
class Probe:
    """A point whose T/RH is reported (a relic): ``position`` (2,) m, inside ``case`` or None."""

    id: str
    position: NDArray[np.float64]
    case: str | None = None


@dataclass(frozen=True)
class ZoneSpec:
    """A reported floor region: ``polygon`` (k, 2) m."""

    id: str
    polygon: NDArray[np.float64]


@dataclass(frozen=True)
class HallGeometry:
    """What the climate model needs of a hall: floor (k, 2) m, ``height`` m and the rest."""

    floor: NDArray[np.float64]
    height: float
    vents: tuple[VentSpec, ...] = ()
    openings: tuple[Aperture, ...] = ()
    cases: tuple[CaseSpec, ...] = ()
    probes: tuple[Probe, ...] = ()
    zones: tuple[ZoneSpec, ...] = ()


@dataclass(frozen=True)
class Dehumidifier:
    """A standalone dehumidifier: ``capacity_l_per_day`` at ``position`` (2,) m, humidistat ``setpoint_rh``."""

    id: str
    position: NDArray[np.float64]
    capacity_l_per_day: float = 30.0
    setpoint_rh: float = 50.0


def geometry_from_scene(scene: Any) -> HallGeometry:
    """Adapter from :class:`simulation.scene.Scene` to :class:`HallGeometry`."""
    openings = tuple(
        Aperture(id=o.id, a=np.asarray(o.a, float), b=np.asarray(o.b, float), height=float(o.height), to=str(o.to))
        for o in (*scene.doors, *scene.windows)
    )
    return HallGeometry(
        floor=np.asarray(scene.floor, float),
        height=float(scene.wall_height),
        vents=tuple(VentSpec(v.id, np.asarray(v.position, float)[:2], v.kind) for v in scene.vents),
        openings=openings,
        cases=tuple(
            CaseSpec(c.id, np.asarray(c.position, float)[:2], float(c.air_exchange_per_day)) for c in scene.cases
        ),
        probes=tuple(Probe(r.id, np.asarray(r.position, float)[:2], r.case) for r in scene.relics),
        zones=tuple(ZoneSpec(z.id, np.asarray(z.polygon, float)) for z in scene.zones),
    )


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClimateSettings:
    """Everything about the hall's climate that is not geometry. Keys of the ``[climate]`` table.

    Effective parameters (fitted by :mod:`simulation.calibration`) come first.
    """

    eddy_diffusivity_m2_s: float = 0.1  # room-air mixing; 0.01-0.1 m²/s in ventilated rooms (model range)
    infiltration_ach: float = 0.3  # 1/h, tight museum hall (ASHRAE Fundamentals ch. 16: 0.1-0.5 1/h)
    envelope_factor: float = 1.0  # multiplies all U-values (calibration)
    hvac_factor: float = 1.0  # multiplies HVAC capacities (calibration)
    internal_mass_j_m2k: float = 1.5e5  # J/(m² floor K), interior surfaces and contents (medium-weight)
    mass_coupling_w_m2k: float = 15.0  # W/(m² floor K): ~3.5 W/m²K convective x ~4 m² surface/m² floor
    buffer_capacity_g_m2_rh: float = 3.0  # g/(m² floor %RH), hygroscopic finishes and contents
    buffer_coupling_m_s: float = 1e-3  # m/s per m² floor, surface vapour transfer (model range)
    internal_gain_w_m2: float = 0.0  # W/m² floor, constant extra heat (calibration)
    moisture_gain_g_h_m2: float = 0.0  # g/(h m² floor), constant extra moisture (calibration)
    wall_u_w_m2k: float = 0.5  # W/(m² K), insulated masonry wall
    roof_u_w_m2k: float = 0.35  # W/(m² K)
    floor_u_w_m2k: float = 0.3  # W/(m² K), to ground
    ground_c: float = 12.0  # °C, ground under the slab (about the annual mean air temperature)
    adjacent_c: float = 20.0  # °C, air behind doors that open to other rooms
    adjacent_rh: float = 50.0  # %RH
    hvac_setpoint_c: float = 20.0
    hvac_setpoint_rh: float = 50.0
    hvac_supply_m3_h: float = 3000.0  # supply air flow
    hvac_sensible_kw: float = 15.0  # sensible capacity, heating or cooling (small-museum AHU)
    hvac_latent_kg_h: float = 2.0  # (de)humidification capacity
    hvac_gain: float = 4.0  # proportional gain of supply conditions on the room error (-)
    hvac_cooling_factor: float = 1.0  # multiplies the cooling capacity: 0 for a plant that only heats (a house)
    lighting_w_m2: float = 8.0  # W/m² floor while lights are on (LED gallery lighting)
    wind_m_s: float = 2.0  # wind speed at openings when the weather gives none
    dehumidifiers: tuple[Dehumidifier, ...] = ()


def settings_from_mapping(*tables: Mapping[str, Any]) -> ClimateSettings:
    """Build settings from ``[climate]`` tables, later ones overriding; unknown keys raise.

    ``dehumidifiers`` is a list of tables with id, position [x, y], capacity_l_per_day, setpoint_rh.
    """
    known = {f.name for f in fields(ClimateSettings)}
    values: dict[str, Any] = {}
    for t in tables:
        for k, v in t.items():
            if k not in known:
                raise ValueError(f"unknown climate key {k!r}; expected one of {sorted(known)}")
            if k == "dehumidifiers":
                v = tuple(
                    Dehumidifier(
                        id=str(d["id"]), position=np.asarray(d["position"], float)[:2],
                        capacity_l_per_day=float(d.get("capacity_l_per_day", 30.0)),
                        setpoint_rh=float(d.get("setpoint_rh", 50.0)),
                    )
                    for d in v
                )
            else:
                v = float(v)
            values[k] = v
    return ClimateSettings(**values)


# --- forcing (what the schedule says at one instant) ------------------------------------------


@dataclass(frozen=True)
class Forcing:
    """Boundary conditions and schedules at one time.

    people : ((zone id or None for the whole hall, count), ...); open_ids: apertures open now.
    """

    t_out_c: float
    rh_out: float
    wind_m_s: float | None = None
    hvac_on: bool = True
    open_ids: frozenset[str] = frozenset()
    people: tuple[tuple[str | None, float], ...] = ()
    lights_on: bool = False
    dehumidifiers_off: frozenset[str] = frozenset()
    heat_w: float = 0.0  # other measured heat gains over the whole hall (heaters, appliances), W
    moisture_g_h: float = 0.0  # other measured moisture gains over the whole hall, g/h


# --- the equations ----------------------------------------------------------------------------


def heat_equation(temperature, diffusivity, loss_rate, gain):
    """FiPy equation for the air temperature T (°C).

    dT/dt = div(K grad T) - a T + b; diffusivity K: FaceVariable m²/s; loss_rate a: CellVariable 1/s;
    gain b: CellVariable K/s.
    """
    fp = hall_mesh.load_fipy()
    return fp.TransientTerm(var=temperature) == (
        fp.DiffusionTerm(coeff=diffusivity, var=temperature)
        - fp.ImplicitSourceTerm(coeff=loss_rate, var=temperature)
        + gain
    )


def moisture_equation(vapour, diffusivity, loss_rate, gain):
    """FiPy equation for the water-vapour density w (g/m³); as :func:`heat_equation`, b in g/(m³ s)."""
    fp = hall_mesh.load_fipy()
    return fp.TransientTerm(var=vapour) == (
        fp.DiffusionTerm(coeff=diffusivity, var=vapour) - fp.ImplicitSourceTerm(coeff=loss_rate, var=vapour) + gain
    )


# FiPy's solvers stop when the residual of the start value (the old field) is below tolerance x |b|;
# with FiPy's default 1e-5 a step whose change is under about 1e-5 of the field (a slow drift, a short
# step) is skipped, while the thermal mass and buffer, updated explicitly, still take their share:
# heat and water are then made from nothing. A direct solve has no reason to stop early.
SOLVER_TOLERANCE = 1e-12


def default_solver():
    """FiPy's scipy direct solver (sparse LU), made when asked, never at import."""
    return hall_mesh.load_fipy("fipy.solvers.scipy").LinearLUSolver(tolerance=SOLVER_TOLERANCE)


def opening_flow_m3_s(width_m: float, height_m: float, dt_k: float, wind_m_s: float, t_mean_c: float) -> float:
    """Air exchanged through an open door or window, m³/s (stack and wind in quadrature)."""
    stack = OPENING_CD / 3.0 * width_m * np.sqrt(GRAVITY * height_m**3 * abs(dt_k) / (t_mean_c + 273.15))
    wind = OPENING_WIND_COEFF * width_m * height_m * wind_m_s
    return float(np.hypot(stack, wind))


# --- the model --------------------------------------------------------------------------------


@dataclass
class ClimateState:
    """Per-cell state (all (n_cells,) float): air T °C, vapour w g/m³, mass T °C, buffer g/m³ air;
    and per-case vapour (n_cases,) g/m³."""

    t: NDArray[np.float64]
    w: NDArray[np.float64]
    t_mass: NDArray[np.float64]
    w_buffer: NDArray[np.float64]
    w_case: NDArray[np.float64]
    time_s: float = 0.0
    hvac_i_t: float = 0.0  # integral of the hall-mean temperature error, K s
    hvac_i_w: float = 0.0  # integral of the vapour-density error, g s/m³
    w_sat: NDArray[np.float64] | None = None  # saturation vapour density at t, g/m³ (cache)


@dataclass
class HallModel:
    """A built model: grid, FiPy variables and equations, precomputed rates. Made by :func:`build_model`."""

    geometry: HallGeometry
    settings: ClimateSettings
    grid: hall_mesh.HallGrid
    dt_s: float
    engine: str
    solver: Any
    fipy_vars: dict[str, Any]
    equations: dict[str, Any]
    volume: NDArray[np.float64]  # (n,) m³ per cell
    rates: dict[str, NDArray[np.float64]]  # (n,) 1/s arrays
    cells: dict[str, NDArray[np.intp]]  # named cell index sets
    _lu: dict[tuple, Any] = field(default_factory=dict)
    _signature: frozenset[str] | None = None  # apertures open when the rates were last evaluated
    _epoch: int = 0
    _open: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    factorisations: int = 0

    @property
    def inside(self) -> NDArray[np.bool_]:
        return self.grid.inside


def build_model(
    geometry: HallGeometry, settings: ClimateSettings, *, cell_m: float = 0.25, dt_s: float = 60.0,
    engine: str = "cached", solver: Any = None,
) -> HallModel:
    """Mesh the hall and build its heat and moisture equations.

    engine : "cached" (FiPy's matrix reused while coefficients stay constant) or "fipy"
        (``eq.solve`` every step with ``solver``). solver : a FiPy solver instance;
        :func:`default_solver` if None. For large halls, run with FiPy's PETSc suite
        (``FIPY_SOLVERS=petsc``, pass ``fipy.solvers.petsc.LinearLUSolver()`` or an iterative
        ``LinearGMRESSolver`` and ``engine="fipy"``); see benchmarks/simulation.py.
    """
    fp = hall_mesh.load_fipy()
    CellVariable, FaceVariable = fp.CellVariable, fp.FaceVariable
    if engine not in ("cached", "fipy"):
        raise ValueError(f"engine must be 'cached' or 'fipy', got {engine!r}")
    grid = hall_mesh.grid_from_polygon(geometry.floor, cell_m)
    mesh = hall_mesh.fipy_mesh(grid)
    s = settings
    h = geometry.height
    area = cell_m**2
    volume = np.full(grid.n_cells, area * h)
    k_face = FaceVariable(mesh=mesh, value=np.where(hall_mesh.open_face_mask(grid, mesh), s.eddy_diffusivity_m2_s, 0.0))
    v = {
        "t": CellVariable(mesh=mesh, value=20.0, hasOld=True, name="temperature"),
        "w": CellVariable(mesh=mesh, value=8.0, hasOld=True, name="vapour_density"),
        "a_t": CellVariable(mesh=mesh, value=0.0), "b_t": CellVariable(mesh=mesh, value=0.0),
        "a_w": CellVariable(mesh=mesh, value=0.0), "b_w": CellVariable(mesh=mesh, value=0.0),
        "k": k_face,
    }
    eqs = {
        "t": heat_equation(v["t"], k_face, v["a_t"], v["b_t"]),
        "w": moisture_equation(v["w"], k_face, v["a_w"], v["b_w"]),
    }
    inside = grid.inside.astype(float)
    walls = hall_mesh.wall_length(grid)
    env = s.envelope_factor
    rates = {
        "infiltration": inside * s.infiltration_ach / 3600.0,
        # walls: U H L / (rho cp V); roof: U A / (rho cp V)
        "envelope": inside * env * (s.wall_u_w_m2k * h * walls + s.roof_u_w_m2k * area) / (RHO_CP * volume),
        "ground": inside * env * s.floor_u_w_m2k * area / (RHO_CP * volume),
        "mass": inside * (s.mass_coupling_w_m2k if s.internal_mass_j_m2k > 0 else 0.0) / (RHO_CP * h),
        "buffer": inside * (s.buffer_coupling_m_s if s.buffer_capacity_g_m2_rh > 0 else 0.0) / h,
        # constant gains: K/s and g/(m³ s)
        "heat_const": inside * s.internal_gain_w_m2 / (RHO_CP * h),
        "heat_lights": inside * (s.internal_gain_w_m2 + s.lighting_w_m2) / (RHO_CP * h),
        "moisture_const": inside * s.moisture_gain_g_h_m2 / 3600.0 / h,
        "mean_weights": inside / inside.sum(),  # volume-weighted hall mean as a dot product
        "case_exchange": np.array([c.air_exchange_per_day for c in geometry.cases]) / 86400.0,  # 1/s
    }
    cells = {"inside": np.flatnonzero(grid.inside)}
    supply = [hall_mesh.cells_near_point(grid, x.position, VENT_RADIUS_M) for x in geometry.vents if x.kind == "supply"]
    cells["supply"] = np.unique(np.concatenate(supply)) if supply else cells["inside"]
    for o in geometry.openings:
        cells[f"opening:{o.id}"] = hall_mesh.cells_near_segment(grid, o.a, o.b, OPENING_DEPTH_M)
    for z in geometry.zones:
        cells[f"zone:{z.id}"] = hall_mesh.cells_in_polygon(grid, z.polygon)
    for d in s.dehumidifiers:
        cells[f"dehumidifier:{d.id}"] = hall_mesh.cells_near_point(grid, d.position, DEHUMIDIFIER_RADIUS_M)
    cells["probes"] = np.array([grid.cell_at(p.position) for p in geometry.probes], dtype=np.intp)
    cells["cases"] = np.array([grid.cell_at(c.position) for c in geometry.cases], dtype=np.intp)
    return HallModel(
        geometry=geometry, settings=settings, grid=grid, dt_s=float(dt_s), engine=engine,
        solver=solver if solver is not None else default_solver(), fipy_vars=v, equations=eqs,
        volume=volume, rates=rates, cells=cells,
    )


PROBE_START_RADIUS_M = 1.5  # a measured start value of an open-hall probe sets the air within this radius


def initial_state(model: HallModel, t_c: float, rh: float,
                  known: Mapping[str, tuple[float, float]] | None = None) -> ClimateState:
    """Uniform air at ``t_c`` °C / ``rh`` %RH, overridden by ``known`` {id: (T °C, RH %RH)}.

    An id is a zone (its cells), or a probe: a probe in a display case sets that case's air,
    a probe in the open hall the air within :data:`PROBE_START_RADIUS_M`. Zones apply first.
    The thermal mass starts at the air temperature, the buffer in equilibrium with the air RH.
    """
    n = model.grid.n_cells
    t = np.full(n, float(t_c))
    r = np.full(n, float(rh))
    known = dict(known or {})
    probes = {p.id: p for p in model.geometry.probes}
    unknown = [k for k in known if f"zone:{k}" not in model.cells and k not in probes]
    if unknown:
        raise KeyError(f"initial state names unknown zones or probes {unknown}")
    for zid, (tz, rz) in known.items():
        if f"zone:{zid}" in model.cells:
            t[model.cells[f"zone:{zid}"]], r[model.cells[f"zone:{zid}"]] = tz, rz
    case_ids = [c.id for c in model.geometry.cases]
    case_values: dict[int, tuple[float, float]] = {}
    for pid, (tp, rp) in known.items():
        p = probes.get(pid)
        if p is None or f"zone:{pid}" in model.cells:
            continue
        if p.case is not None and p.case in case_ids:
            case_values[case_ids.index(p.case)] = (tp, rp)
        else:
            idx = hall_mesh.cells_near_point(model.grid, p.position, PROBE_START_RADIUS_M)
            t[idx], r[idx] = tp, rp
    w = vapour_density(t, r)
    xi = model.settings.buffer_capacity_g_m2_rh / model.geometry.height  # g/(m³ %RH)
    w_case = w[model.cells["cases"]].copy()
    for j, (_, rp) in case_values.items():
        # the case air holds its own vapour; its temperature follows the room (glass conducts fast)
        w_case[j] = vapour_density(t[model.cells["cases"][j]], rp)
    return ClimateState(t=t, w=w, t_mass=t.copy(), w_buffer=xi * r, w_case=w_case)


def _hvac(model: HallModel, state: ClimateState) -> tuple[float, float, float, float]:
    """HVAC sensible power (W, + heats) and moisture supply (g/s, + humidifies), PI-controlled on the
    hall means, limited by capacity; returns (power, moisture, new integral T, new integral w).

    The supply is an explicit source (the air handler sees the return air of the previous step), so
    the matrix does not change when the HVAC starts or stops. The proportional gain is capped so that
    one step corrects at most half of the error of the hall mean (explicit-feedback stability).
    """
    s = model.settings
    ins = model.cells["inside"]
    dt = model.dt_s
    flow = s.hvac_supply_m3_h / 3600.0  # m³/s
    v_hall = float(np.sum(model.volume[ins]))
    gain = min(1.0 + s.hvac_gain, 0.5 * v_hall / (flow * dt))
    weights = model.rates["mean_weights"]
    w_room = float(np.dot(state.w, weights))
    e_t = s.hvac_setpoint_c - float(np.dot(state.t, weights))
    e_w = float(vapour_density(s.hvac_setpoint_c, s.hvac_setpoint_rh)) - w_room
    q_max = s.hvac_factor * s.hvac_sensible_kw * 1e3
    m_max = s.hvac_factor * s.hvac_latent_kg_h * 1e3 / 3600.0  # g/s
    q_min = -s.hvac_cooling_factor * q_max  # W, the most cooling
    u_t = RHO_CP * flow * gain * (e_t + state.hvac_i_t / HVAC_INTEGRAL_S)
    u_w = flow * gain * (e_w + state.hvac_i_w / HVAC_INTEGRAL_S)
    i_t = state.hvac_i_t + (dt * e_t if q_min < u_t < q_max else 0.0)  # no integration while saturated
    i_w = state.hvac_i_w + (dt * e_w if abs(u_w) < m_max else 0.0)
    power = float(np.clip(u_t, q_min, q_max))
    moisture = float(np.clip(u_w, -m_max, m_max))
    # the supply air leaves the coil at most saturated: a cooling coil dehumidifies by condensation
    t_room = s.hvac_setpoint_c - e_t
    t_sup = t_room + power / (RHO_CP * flow)
    w_sup = min(w_room + moisture / flow, float(vapour_density(t_sup, 100.0)))
    return power, flow * (w_sup - w_room), i_t, i_w


def _implicit_rates(model: HallModel, state: ClimateState, f: Forcing) -> dict[str, NDArray]:
    """Per-signature arrays: loss rates ``a_t``, ``a_w`` (n,) 1/s, the rates towards outdoor air
    ``t_out_rate``, ``w_out_rate`` (n,) 1/s and the constant gains ``const_t`` K/s, ``const_w``
    g/(m³ s) (adjacent rooms, ground). Opening flows are evaluated when the set of open apertures
    changes, then held until it changes again."""
    sig = f.open_ids
    if sig != model._signature or not model._open:
        s, r = model.settings, model.rates
        out = np.zeros(model.grid.n_cells)
        adj = np.zeros(model.grid.n_cells)
        t_in = float(np.dot(state.t, r["mean_weights"]))
        wind = s.wind_m_s if f.wind_m_s is None else f.wind_m_s
        for o in model.geometry.openings:
            if o.id not in f.open_ids:
                continue
            t_other = f.t_out_c if o.to == "outdoor" else s.adjacent_c
            q = opening_flow_m3_s(float(np.linalg.norm(o.b - o.a)), o.height, t_in - t_other,
                                  wind if o.to == "outdoor" else 0.0, 0.5 * (t_in + t_other))
            idx = model.cells[f"opening:{o.id}"]
            target = out if o.to == "outdoor" else adj
            target[idx] += q / float(np.sum(model.volume[idx]))
        base = r["infiltration"] + out + adj
        w_adj = float(vapour_density(s.adjacent_c, s.adjacent_rh))
        model._open = {
            "a_t": base + r["envelope"] + r["ground"] + r["mass"],
            "a_w": base + r["buffer"],
            "t_out_rate": r["infiltration"] + out + r["envelope"],
            "w_out_rate": r["infiltration"] + out,
            "const_t": adj * s.adjacent_c + r["ground"] * s.ground_c,
            "const_w": adj * w_adj,
        }
        model._signature = sig
        model._epoch += 1
    return model._open


def _saturation(state: ClimateState) -> NDArray[np.float64]:
    """(n,) g/m³, saturation vapour density at the air temperature (cached on the state)."""
    return state.w_sat if state.w_sat is not None else vapour_density(state.t, 100.0)


def _buffer_equilibrium(model: HallModel, state: ClimateState) -> NDArray[np.float64]:
    """(n,) g/m³: vapour density in equilibrium with the buffer's moisture content at the air temperature."""
    s = model.settings
    if s.buffer_capacity_g_m2_rh <= 0:
        return state.w
    xi_100 = 100.0 * s.buffer_capacity_g_m2_rh / model.geometry.height  # buffer content at 100 %RH
    return _saturation(state) * np.clip(state.w_buffer / xi_100, 0.0, 1.0)


def buffer_time_constant_s(settings: ClimateSettings, height_m: float, t_c: float) -> float:
    """Time constant (s) of air and hygroscopic buffer settling together in a sealed room at ``t_c`` °C.

    With buffer rate r = buffer_coupling / height (1/s) and k = w_sat(t) / (buffer content at
    100 %RH), air vapour w and buffer B obey dw/dt = -r (w - k B) = -dB/dt, so w - k B decays as
    exp(-r (1 + k) t): tau = 1 / (r (1 + k)). inf without a buffer.
    """
    s = settings
    if s.buffer_capacity_g_m2_rh <= 0 or s.buffer_coupling_m_s <= 0:
        return float("inf")
    r = s.buffer_coupling_m_s / height_m
    k = float(vapour_density(t_c, 100.0)) / (100.0 * s.buffer_capacity_g_m2_rh / height_m)
    return 1.0 / (r * (1.0 + k))


def _explicit_gains(model: HallModel, state: ClimateState, f: Forcing, k: dict[str, NDArray], eq_w: NDArray):
    """Gains b_t (n,) K/s and b_w (n,) g/(m³ s), and the new HVAC integrals."""
    s, r, c, vol = model.settings, model.rates, model.cells, model.volume
    w_out = float(vapour_density(f.t_out_c, f.rh_out))
    b_t = k["t_out_rate"] * f.t_out_c
    b_t += k["const_t"]
    b_t += r["mass"] * state.t_mass
    b_t += r["heat_lights"] if f.lights_on else r["heat_const"]
    b_w = k["w_out_rate"] * w_out
    b_w += k["const_w"]
    b_w += r["buffer"] * eq_w
    b_w += r["moisture_const"]

    def add(idx: NDArray, watts: float, grams_s: float) -> None:
        v_tot = float(np.sum(vol[idx]))
        b_t[idx] += watts / (RHO_CP * v_tot)
        b_w[idx] += grams_s / v_tot

    if f.heat_w or f.moisture_g_h:
        add(c["inside"], f.heat_w, f.moisture_g_h / 3600.0)
    for zone, count in f.people:
        add(c["inside"] if zone is None else c[f"zone:{zone}"], count * PERSON_SENSIBLE_W,
            count * PERSON_LATENT_W / H_FG * 1e3)
    for d in s.dehumidifiers:
        if d.id in f.dehumidifiers_off:
            continue
        idx = c[f"dehumidifier:{d.id}"]
        rh_local = float(np.mean(rh_from_vapour_density(state.t[idx], state.w[idx])))
        removal = d.capacity_l_per_day * 1e3 / 86400.0 * np.clip((rh_local - d.setpoint_rh) / DEHUMIDIFIER_BAND_RH, 0, 1)
        add(idx, removal * 1e-3 * H_FG, -removal)  # condensation heat is released into the room
    i_t = i_w = 0.0  # a stopped air handler forgets its integral
    if f.hvac_on and s.hvac_supply_m3_h > 0:
        power, moisture, i_t, i_w = _hvac(model, state)
        add(c["supply"], power, moisture)
    return b_t, b_w, (i_t, i_w)


def step(model: HallModel, state: ClimateState, f: Forcing) -> ClimateState:
    """Advance ``state`` by ``model.dt_s`` under forcing ``f``; returns a new state."""
    dt = model.dt_s
    k = _implicit_rates(model, state, f)
    eq_w = _buffer_equilibrium(model, state)
    b_t, b_w, (i_t, i_w) = _explicit_gains(model, state, f, k, eq_w)
    key = (model._epoch, dt)
    t_new = _solve(model, "t", state.t, k["a_t"], b_t, key)
    w_new = _solve(model, "w", state.w, k["a_w"], b_w, key)
    # vapour above saturation condenses on cold surfaces (the water leaves the air; its latent heat
    # is neglected). Exact conservation holds only while RH < 100 %.
    w_sat = vapour_density(t_new, 100.0)
    np.minimum(w_new, w_sat, out=w_new)
    s, r, h = model.settings, model.rates, model.geometry.height
    # mass and buffer take exactly what the air gave them this step (conservative splitting)
    t_mass = state.t_mass
    if s.internal_mass_j_m2k > 0:
        t_mass = t_mass + (dt * RHO_CP * h / s.internal_mass_j_m2k) * r["mass"] * (t_new - state.t_mass)
    w_buffer = state.w_buffer + dt * r["buffer"] * (w_new - eq_w)
    cidx = model.cells["cases"]
    w_case = w_new[cidx] + (state.w_case - w_new[cidx]) * np.exp(-r["case_exchange"] * dt)
    return ClimateState(t=t_new, w=w_new, t_mass=t_mass, w_buffer=w_buffer, w_case=w_case, time_s=state.time_s + dt,
                        hvac_i_t=i_t, hvac_i_w=i_w, w_sat=w_sat)


def _solve(model: HallModel, name: str, old: NDArray, a: NDArray, b: NDArray, key: tuple) -> NDArray:
    """One implicit step of field ``name`` ("t" or "w")."""
    var, eq = model.fipy_vars[name], model.equations[name]
    lu = model._lu.get((name, key)) if model.engine == "cached" else None
    if lu is None:
        var.value = old
        var.updateOld()
        model.fipy_vars[f"a_{name}"].value = a
        model.fipy_vars[f"b_{name}"].value = b
        if model.engine == "cached":
            eq.cacheMatrix()
        eq.solve(var=var, dt=model.dt_s, solver=model.solver)
        new = np.array(var.value, dtype=float)
        if model.engine == "cached":
            ins = model.cells["inside"]
            mat = eq.matrix.matrix.tocsr()[ins][:, ins].tocsc()
            if len(model._lu) > 32:
                model._lu.clear()
            model._lu[(name, key)] = sla.splu(mat, **SPLU_OPTIONS)
            model.factorisations += 1
        return new
    ins = model.cells["inside"]
    area = model.grid.cell_m**2  # FiPy's cell "volume" on a 2-D mesh is the cell area
    if len(ins) == len(old):  # no masked cells: skip the gathers
        rhs = old * (area / model.dt_s)
        rhs += area * b
        return lu.solve(rhs)
    rhs = area * (old[ins] / model.dt_s + b[ins])
    new = old.copy()
    new[ins] = lu.solve(rhs)
    return new


# --- running a schedule -----------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
    """Series and snapshots of one run.

    times_s : (m,) s since start; probe_t/probe_rh : (m, n_probes) °C / %RH (relics, in their case
    if any); zone_t/zone_rh : (m, n_zones); snapshot_times_s : (k,); snapshot_t/snapshot_rh :
    (k, ny, nx) float32, NaN outside the floor.
    """

    times_s: NDArray[np.float64]
    probe_ids: tuple[str, ...]
    probe_t: NDArray[np.float64]
    probe_rh: NDArray[np.float64]
    zone_ids: tuple[str, ...]
    zone_t: NDArray[np.float64]
    zone_rh: NDArray[np.float64]
    snapshot_times_s: NDArray[np.float64]
    snapshot_t: NDArray[np.float32]
    snapshot_rh: NDArray[np.float32]
    factorisations: int = 0


def observe(model: HallModel, state: ClimateState) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """(probe T, probe RH, zone T, zone RH) of ``state``; probes in a case read the case air."""
    geo = model.geometry
    pidx = model.cells["probes"]
    pt, pw = state.t[pidx].copy(), state.w[pidx].copy()
    case_pos = {c.id: i for i, c in enumerate(geo.cases)}
    for i, p in enumerate(geo.probes):
        if p.case is not None and p.case in case_pos:
            j = case_pos[p.case]
            pt[i], pw[i] = state.t[model.cells["cases"][j]], state.w_case[j]
    zt = np.array([np.mean(state.t[model.cells[f"zone:{z.id}"]]) for z in geo.zones])
    zw = np.array([np.mean(state.w[model.cells[f"zone:{z.id}"]]) for z in geo.zones])
    return pt, rh_from_vapour_density(pt, pw), zt, rh_from_vapour_density(zt, zw) if len(zt) else zt


def simulate(
    model: HallModel, state: ClimateState, forcing_at: Callable[[float], Forcing], duration_s: float, *,
    record_every_s: float = 600.0, snapshot_every_s: float = 3600.0,
    progress: Callable[[float], None] | None = None,
) -> tuple[SimulationResult, ClimateState]:
    """Run ``duration_s`` from ``state``; ``forcing_at(t_s)`` gives the forcing at t s since start.

    progress(fraction in [0, 1]) is called about every 1 % of the run.
    """
    n_steps = int(round(duration_s / model.dt_s))
    rec_every = max(1, int(round(record_every_s / model.dt_s)))
    snap_every = max(1, int(round(snapshot_every_s / model.dt_s)))
    rec: list[tuple] = []
    snaps: list[tuple] = []
    tick = max(1, n_steps // 100)

    def record(st: ClimateState) -> None:
        rec.append((st.time_s, *observe(model, st)))

    def snapshot(st: ClimateState) -> None:
        rh = rh_from_vapour_density(st.t, st.w)
        snaps.append((st.time_s, model.grid.as_image(st.t), model.grid.as_image(rh)))

    record(state)
    snapshot(state)
    for i in range(1, n_steps + 1):
        state = step(model, state, forcing_at(state.time_s))
        if i % rec_every == 0:
            record(state)
        if i % snap_every == 0:
            snapshot(state)
        if progress is not None and (i % tick == 0 or i == n_steps):
            progress(i / n_steps)
    ny, nx = model.grid.ny, model.grid.nx
    res = SimulationResult(
        times_s=np.array([r[0] for r in rec]),
        probe_ids=tuple(p.id for p in model.geometry.probes),
        probe_t=np.array([r[1] for r in rec]).reshape(len(rec), -1),
        probe_rh=np.array([r[2] for r in rec]).reshape(len(rec), -1),
        zone_ids=tuple(z.id for z in model.geometry.zones),
        zone_t=np.array([r[3] for r in rec]).reshape(len(rec), -1),
        zone_rh=np.array([r[4] for r in rec]).reshape(len(rec), -1),
        snapshot_times_s=np.array([s[0] for s in snaps]),
        snapshot_t=np.array([s[1] for s in snaps], dtype=np.float32).reshape(len(snaps), ny, nx),
        snapshot_rh=np.array([s[2] for s in snaps], dtype=np.float32).reshape(len(snaps), ny, nx),
        factorisations=model.factorisations,
    )
    return res, state


# --- diagnostics ------------------------------------------------------------------------------


def total_heat_j(model: HallModel, state: ClimateState) -> float:
    """Heat content of air and thermal mass relative to 0 °C, J."""
    ins = model.cells["inside"]
    area = model.grid.cell_m**2
    return float(
        RHO_CP * np.sum(model.volume[ins] * state.t[ins])
        + model.settings.internal_mass_j_m2k * area * np.sum(state.t_mass[ins])
    )


def total_moisture_g(model: HallModel, state: ClimateState) -> float:
    """Water in the air and in the hygroscopic buffer, g (display cases excluded)."""
    ins = model.cells["inside"]
    return float(np.sum(model.volume[ins] * (state.w[ins] + state.w_buffer[ins])))
