"""A what-if run's outputs read back for playback: fields, relic series, crossings, tiers.

``load_run(run_dir)`` reads what ``bridge/twin/whatif.py`` writes (``snapshots.npz``,
``relics.csv``, ``summary.json``) into a :class:`WhatIfRun`. The functions
below answer the player's questions at a time ``t`` (s since the scenario
start): the field on the floor (:func:`field_at`, linear in time between
snapshots, exact at a snapshot), the value at a hall point (:func:`value_at`,
bilinear between cell centres), each relic's value (:func:`relic_values`)
and which relics are outside which limit, in which alert tier
(:func:`active_crossings`).

Tiers follow the alert engine's default rule (``simulation/alerts.py``,
:class:`CauseRule`): yellow as soon as a value is beyond its limit, red
from ``set_red`` deviation degrees on, the degree being the excess over
:func:`simulation.risk.deviation_scale` of the relic's material band (for a
24 h change, over the allowed change itself, as ``simulation/risk.py`` does).
No Panda3D here.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.alerts import CauseRule
from simulation.fluctuation import change_24h
from simulation.materials import Band
from simulation.risk import deviation_scale

QUANTITIES = ("temperature", "relative_humidity")
"""The fields a run holds."""
RED_DEVIATION = CauseRule().set_red
"""Deviation degree at which a crossing is red (the alert engine's default rule)."""


@dataclass(frozen=True)
class CrossingRow:
    """One relic leaving one limit (a row of ``summary.json``): ``first_s`` s since start;
    ``limit``, ``worst_excess`` in the quantity's unit; ``scale`` its deviation scale."""

    relic: str
    quantity: str
    side: str  # "low" | "high" | "change_24h"
    limit: float
    first_s: float
    hours_outside: float
    worst_excess: float
    at_start: bool
    scale: float

    @property
    def worst_tier(self) -> str:
        """The tier at its worst: "red" or "yellow"."""
        return "red" if self.worst_excess / self.scale >= RED_DEVIATION else "yellow"


@dataclass(frozen=True)
class WhatIfRun:
    """A run's outputs.

    times_s : (k,) s since ``start`` of the snapshots; fields : quantity ->
    (k, ny, nx) float32 (row 0 = south, NaN outside the floor); origin : (2,) m
    of the grid's lower-left corner; cell_m : m.
    series_s : (m,) s since start of the relic series; series : relic id ->
    quantity -> (m,) values. crossings : sorted by first time.
    utc_offset_h : the hall's local offset from UTC (0 when unknown).
    """

    run_dir: Path
    scenario_id: str
    title: Mapping[str, str]
    start: datetime
    duration_s: float
    times_s: NDArray[np.float64]
    fields: Mapping[str, NDArray[np.float32]]
    origin: NDArray[np.float64]
    cell_m: float
    series_s: NDArray[np.float64]
    series: Mapping[str, Mapping[str, NDArray[np.float64]]]
    crossings: tuple[CrossingRow, ...] = ()
    utc_offset_h: float = 0.0
    calibrated: bool = False
    scenario_file: Path | None = None
    _excess: dict[int, NDArray[np.float64]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx) of the field grid."""
        return tuple(self.fields["temperature"].shape[1:])  # type: ignore[return-value]

    def local(self, t_s: float) -> datetime:
        """The hall's local time ``t_s`` s after the start."""
        tz = timezone(timedelta(hours=self.utc_offset_h))
        return (self.start + timedelta(seconds=float(t_s))).astimezone(tz)

    def excess(self, i: int) -> NDArray[np.float64]:
        """(m,) how far beyond its limit crossing ``i`` is at each series time (> 0 outside); cached."""
        if i not in self._excess:
            c = self.crossings[i]
            v = self.series.get(c.relic, {}).get(c.quantity)
            if v is None:  # no series: outside from the first crossing on, by its worst
                out = np.where(self.series_s >= c.first_s, c.worst_excess, -1.0)
            elif c.side == "high":
                out = v - c.limit
            elif c.side == "low":
                out = c.limit - v
            else:
                out = change_24h(self.series_s, v) - c.limit
            self._excess[i] = np.asarray(out, dtype=float)
        return self._excess[i]


class RunError(ValueError):
    """A run folder that cannot be played; the message says what is missing (zh-CN / en)."""


def find_run(path: str | Path) -> Path:
    """The run folder at ``path``: itself when it holds ``snapshots.npz``, else its one
    sub-folder that does (``relic-twin simulate --out DIR`` writes ``DIR/<scenario>/``)."""
    p = Path(path)
    if (p / "snapshots.npz").is_file():
        return p
    subs = sorted(d for d in p.glob("*/") if (d / "snapshots.npz").is_file()) if p.is_dir() else []
    if len(subs) == 1:
        return subs[0]
    if subs:
        names = ", ".join(d.name for d in subs)
        raise RunError(f"{p} 含多个情景，请选择一个 / holds several runs, pick one: {names}")
    raise RunError(f"{p} 中没有 snapshots.npz / has no snapshots.npz (run relic-twin simulate first)")


def load_run(path: str | Path, scene: Any | None = None) -> WhatIfRun:
    """Read a run folder (see :func:`find_run`). With ``scene`` (``simulation.scene.Scene``)
    the crossings' deviation scales come from its relics' material bands."""
    run_dir = find_run(path)
    try:
        with (run_dir / "snapshots.npz").open("rb") as fh, np.load(fh) as snap:  # fh: closed even when np.load fails
            times = np.asarray(snap["times"], dtype=float).reshape(-1)
            fields = {q: np.asarray(snap[q], dtype=np.float32) for q in QUANTITIES}
            origin = np.asarray(snap["origin"], dtype=float).reshape(2)
            cell_m = float(snap["cell_m"])
            start = _parse_utc(str(snap["start_utc"]))
        _check_snapshots(times, fields, cell_m)
        summary = _read_json(run_dir / "summary.json")
        sc = summary.get("scenario", {})
        series_s, series = read_series(run_dir / "relics.csv", start)
        scenario_file = _scenario_file(sc, run_dir)
        bands = _bands(scene)
        rows = [_crossing(c, start, bands) for c in summary.get("crossings", [])]
    except RunError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError, zipfile.BadZipFile) as exc:
        what = f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc)
        raise RunError(f"{run_dir}: 运行结果已损坏或不完整 / the run is broken or incomplete ({what})") from exc
    rows.sort(key=lambda c: (c.first_s, c.relic, c.quantity, c.side))
    duration = float(sc.get("duration_h", 0.0)) * 3600.0 or float(times[-1])
    return WhatIfRun(
        run_dir=run_dir, scenario_id=str(sc.get("id", run_dir.name)),
        title=dict(sc.get("title") or {"zh-CN": run_dir.name, "en": run_dir.name}), start=start,
        duration_s=max(duration, float(times[-1])), times_s=times, fields=fields, origin=origin, cell_m=cell_m,
        series_s=series_s, series=series, crossings=tuple(rows), utc_offset_h=_utc_offset_h(scenario_file),
        calibrated=bool(summary.get("calibration")), scenario_file=scenario_file,
    )


def summary_scene_path(path: str | Path) -> Path | None:
    """The scene folder of the scenario a run (folder, see :func:`find_run`) was made from,
    or None when its ``summary.json`` or scenario file is gone."""
    run_dir = find_run(path)
    sc = _read_json(run_dir / "summary.json").get("scenario", {})
    f = _scenario_file(sc, run_dir) if isinstance(sc, dict) else None
    if f is None or not f.is_file():
        return None
    try:
        from simulation.scenario import load_scenario

        return load_scenario(f).scene_path
    except (ValueError, OSError):
        return None


def _check_snapshots(times: NDArray[np.float64], fields: Mapping[str, NDArray[np.float32]], cell_m: float) -> None:
    """Raise :class:`RunError` unless the snapshots are (k,) rising times and (k, ny, nx) fields."""
    shapes = {q: f.shape for q, f in fields.items()}
    k = len(times)
    if not k or any(len(s) != 3 or s[0] != k or s[1:] != shapes["temperature"][1:] for s in shapes.values()):
        raise RunError(f"快照形状不符 / snapshot shapes do not match: {k} times, {shapes}")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise RunError("快照时间须递增 / snapshot times must rise")
    if not (cell_m > 0):
        raise RunError(f"网格尺寸无效 / bad cell size: {cell_m}")


def read_series(path: Path, start: datetime) -> tuple[NDArray[np.float64], dict[str, dict[str, NDArray[np.float64]]]]:
    """``relics.csv`` -> ((m,) s since ``start``, relic -> quantity -> (m,)); empty when absent."""
    if not path.is_file():
        return np.zeros(0), {}
    times: dict[str, None] = {}
    rows: dict[str, dict[str, list[float]]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            times.setdefault(r["time_utc"], None)
            per = rows.setdefault(r["id"], {q: [] for q in QUANTITIES})
            for q in QUANTITIES:
                per[q].append(float(r[q]))
    t = np.array([(_parse_utc(s) - start).total_seconds() for s in times], dtype=float)
    series = {rid: {q: np.asarray(v, dtype=float) for q, v in per.items()} for rid, per in rows.items()
              if all(len(v) == len(t) for v in per.values())}
    return t, series


def field_at(run: WhatIfRun, quantity: str, t_s: float) -> NDArray[np.float64]:
    """(ny, nx) field of ``quantity`` at ``t_s`` s: linear in time between snapshots, clamped at the ends."""
    f = run.fields[quantity]
    times = run.times_s
    if t_s <= times[0] or len(times) == 1:
        return f[0].astype(float)
    if t_s >= times[-1]:
        return f[-1].astype(float)
    i = int(np.searchsorted(times, t_s, side="right")) - 1
    a = (t_s - times[i]) / (times[i + 1] - times[i])
    return (1.0 - a) * f[i].astype(float) + a * f[i + 1].astype(float)


@dataclass(frozen=True)
class Resampler:
    """Bilinear weights from a run's cell centres to points ``xy`` (n, 2) m: (n, 4) flat
    indices and weights. NaN cells (outside the floor) take their nearest inside cell's value."""

    index: NDArray[np.intp]
    weight: NDArray[np.float64]
    fill: NDArray[np.intp]  # (ny * nx,) flat index of the nearest finite cell

    def __call__(self, grid: NDArray[np.float64]) -> NDArray[np.float64]:
        """(n,) values at the points from a (ny, nx) field."""
        flat = grid.ravel()[self.fill]
        return np.einsum("nk,nk->n", flat[self.index], self.weight)


def resampler(run: WhatIfRun, xy: NDArray[np.float64]) -> Resampler:
    """Weights for :func:`value_at`-style sampling of ``run``'s fields at ``xy`` (n, 2) m."""
    from scipy.ndimage import distance_transform_edt

    ny, nx = run.shape
    fx = np.clip((xy[:, 0] - run.origin[0]) / run.cell_m - 0.5, 0.0, nx - 1)
    fy = np.clip((xy[:, 1] - run.origin[1]) / run.cell_m - 0.5, 0.0, ny - 1)
    i0 = np.minimum(np.floor(fx).astype(np.intp), max(nx - 2, 0))
    j0 = np.minimum(np.floor(fy).astype(np.intp), max(ny - 2, 0))
    i1, j1 = np.minimum(i0 + 1, nx - 1), np.minimum(j0 + 1, ny - 1)
    ax, ay = fx - i0, fy - j0
    index = np.stack([j0 * nx + i0, j0 * nx + i1, j1 * nx + i0, j1 * nx + i1], axis=1)
    weight = np.stack([(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay], axis=1)
    nan = ~np.isfinite(run.fields["temperature"][0])
    if nan.any() and not nan.all():
        _, (jj, ii) = distance_transform_edt(nan, return_indices=True)
        fill = (jj * nx + ii).ravel()
    else:
        fill = np.arange(ny * nx)
    return Resampler(index, weight, fill.astype(np.intp))


def value_at(run: WhatIfRun, quantity: str, t_s: float, x: float, y: float) -> float:
    """The field of ``quantity`` at hall point (x, y) m and time ``t_s`` s (bilinear, linear in time)."""
    return float(resampler(run, np.array([[x, y]], dtype=float))(field_at(run, quantity, t_s))[0])


def relic_values(run: WhatIfRun, quantity: str, t_s: float) -> dict[str, float]:
    """Relic id -> its series value of ``quantity`` at ``t_s`` (linear between records)."""
    if not len(run.series_s):
        return {}
    return {rid: float(np.interp(t_s, run.series_s, per[quantity])) for rid, per in run.series.items()}


def active_crossings(run: WhatIfRun, t_s: float) -> dict[int, str]:
    """Crossing index -> tier ("yellow" | "red") of each crossing outside its limit at ``t_s``
    (the latest record at or before ``t_s`` counts)."""
    if not len(run.series_s):
        return {}
    k = int(np.searchsorted(run.series_s, t_s + 1e-6, side="right")) - 1
    if k < 0:
        return {}
    out = {}
    for i, c in enumerate(run.crossings):
        ex = float(run.excess(i)[k])
        if ex > 0:
            out[i] = "red" if ex / c.scale >= RED_DEVIATION else "yellow"
    return out


def relic_tiers(run: WhatIfRun, t_s: float) -> dict[str, tuple[str, int]]:
    """Relic id -> (worst tier, number of limits it is outside) at ``t_s``."""
    out: dict[str, tuple[str, int]] = {}
    for i, tier in active_crossings(run, t_s).items():
        rid = run.crossings[i].relic
        old, n = out.get(rid, (tier, 0))
        out[rid] = ("red" if "red" in (old, tier) else "yellow", n + 1)
    return out


def snapshot_index(run: WhatIfRun, t_s: float) -> int:
    """Index of the snapshot nearest ``t_s``."""
    return int(np.argmin(np.abs(run.times_s - t_s)))


# --- helpers --------------------------------------------------------------------


def _parse_utc(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _scenario_file(sc: Mapping[str, Any], run_dir: Path) -> Path | None:
    """The scenario file a run names (``summary.json``'s ``scenario.file``). A relative name (as
    ``relic-twin simulate`` writes when given one) is looked up from the working folder, the
    project folder and the run folder; the name as written when none holds it."""
    if not sc.get("file"):
        return None
    f = Path(str(sc["file"]))
    if f.is_absolute():
        return f
    from simulation.paths import project_home

    for root in (Path.cwd(), project_home(), run_dir):
        if (root / f).is_file():
            return (root / f).resolve()
    return f


def _utc_offset_h(scenario_file: Path | None) -> float:
    """The scenario's local offset (its ``start`` is written with one), 0 when the file is gone."""
    if scenario_file is None or not scenario_file.is_file():
        return 0.0
    try:
        from simulation.scenario import load_scenario

        return float(load_scenario(scenario_file).utc_offset_h)
    except (ValueError, OSError):
        return 0.0


def _bands(scene: Any | None) -> dict[tuple[str, str], Band]:
    """(relic id, quantity) -> material band of the relic, from the scene's profiles."""
    if scene is None:
        return {}
    try:
        from simulation.materials import load_profiles

        profiles = load_profiles()
    except (ImportError, OSError, ValueError):
        return {}
    out = {}
    for r in scene.relics:
        p = profiles.get(r.profile)
        for q in QUANTITIES:
            band = p.band(q) if p is not None else None
            if band is not None:
                out[(r.id, q)] = band
    return out


def _crossing(c: Mapping[str, Any], start: datetime, bands: Mapping[tuple[str, str], Band]) -> CrossingRow:
    relic, quantity, side, limit = str(c["relic"]), str(c["quantity"]), str(c["side"]), float(c["limit"])
    if side == "change_24h":
        scale = deviation_scale(Band(f"{quantity}_change_24h", None, limit), {})
    else:
        band = bands.get((relic, quantity)) or Band(quantity, None, limit)
        scale = deviation_scale(band)
    return CrossingRow(
        relic=relic, quantity=quantity, side=side, limit=limit,
        first_s=(_parse_utc(str(c["first_utc"])) - start).total_seconds(),
        hours_outside=float(c.get("hours_outside", 0.0)), worst_excess=float(c.get("worst_excess", 0.0)),
        at_start=bool(c.get("at_start", False)), scale=float(scale) if scale and scale > 0 else 1.0,
    )


def crossing_ticks(run: WhatIfRun) -> Sequence[tuple[float, str]]:
    """(fraction 0..1 of the run, worst tier) of each crossing's first time, for the time bar."""
    span = run.duration_s or 1.0
    return [(min(1.0, max(0.0, c.first_s / span)), c.worst_tier) for c in run.crossings]
