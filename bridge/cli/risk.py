"""``relic-twin risk``: per-relic risk level and conservation metrics from stored data.

    relic-twin risk --scene scenes/demo_hall [--from 2026-03-01T00:00Z --to 2026-03-08T00:00Z]

Each relic is represented by the sensors chosen by
:func:`simulation.scene_alerts.representative_sensor`. The series are read from the store, graded by :mod:`simulation.risk` against
the relic's material profile (``scenes/materials.toml``), and printed in
Chinese and English.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from simulation.materials import MaterialError, MaterialProfile, load_profiles
from simulation.paths import scenes_dir
from simulation.quantities import QUANTITIES
from simulation.risk import CheckRisk, Level, RelicRisk, RiskSettings, Series, assess_relic
from simulation.scene import Scene, SceneError, load_scene
from simulation.scene_alerts import relic_sources, representative_sensor

__all__ = ["assess_scene", "collect_series", "format_report", "relic_sources", "representative_sensor",
           "risk_main"]

SeriesKey = tuple[str, str]
"""(relic id, quantity name)."""

Fetch = Callable[[str, str, datetime, datetime], Series]
"""fetch(sensor, quantity, start, end) -> (times, values)."""


def collect_series(sources: Mapping[SeriesKey, str], fetch: Fetch, start: datetime,
                   end: datetime) -> dict[SeriesKey, Series]:
    """Fetch each distinct (sensor, quantity) once; drop empty series."""
    cache: dict[tuple[str, str], Series] = {}
    out: dict[SeriesKey, Series] = {}
    for (relic, quantity), sensor in sources.items():
        key = (sensor, quantity)
        if key not in cache:
            cache[key] = fetch(sensor, quantity, start, end)
        times, values = cache[key]
        if np.asarray(values).size:
            out[(relic, quantity)] = (times, values)
    return out


def assess_scene(scene: Scene, profiles: Mapping[str, MaterialProfile], series: Mapping[SeriesKey, Series],
                 settings: RiskSettings | None = None) -> list[RelicRisk]:
    """Risk of every relic of the scene from ``{(relic_id, quantity): (times, values)}``."""
    out = []
    for relic in scene.relics:
        profile = profiles.get(relic.profile)
        if profile is None:
            continue
        mine = {q: s for (r, q), s in series.items() if r == relic.id}
        out.append(assess_relic(relic.id, profile, mine, settings))
    return out


def format_report(scene: Scene, profiles: Mapping[str, MaterialProfile], risks: Sequence[RelicRisk],
                  start: datetime, end: datetime) -> str:
    """A plain-text report, each line in Chinese and English."""
    lines = [f"{scene.name.get('zh-CN', scene.id)} / {scene.name.get('en', scene.id)}  "
             f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"]
    for r in sorted(risks, key=lambda r: (-r.level, r.relic)):
        relic = scene.relic(r.relic)
        p = profiles[r.profile]
        lines.append("")
        tag = f"{r.level.label('zh')} / {r.level.label('en')}" if r.checks else "无数据 / no data"
        lines.append(f"[{tag}] {relic.name.get('zh-CN', r.relic)} / "
                     f"{relic.name.get('en', r.relic)}  ({p.zh} / {p.en})")
        if not r.checks:
            lines.append("    无数据 / no data")
        for c in r.checks:
            if c.level > Level.GREEN:
                lines.append("    " + _check_line(c))
        green = sum(c.level == Level.GREEN for c in r.checks)
        if green:
            lines.append(f"    其余 {green} 项正常 / {green} other checks green")
        if r.metrics:
            lines.append("    " + _metrics_line(r.metrics))
    return "\n".join(lines)


def _check_line(c: CheckRisk) -> str:
    base = c.check.removesuffix("_change_24h")
    q = QUANTITIES.get(base)
    unit = q.unit if q else ("lx·h/a" if c.check == "light_dose" else "")
    prec = q.precision if q else 0
    name = _DERIVED.get(c.check) or (f"{q.zh} / {q.en}" if q else c.check)
    band = f"{'' if c.low is None else f'{c.low:g}'}..{'' if c.high is None else f'{c.high:g}'}"
    return (f"{c.level.label('zh')} / {c.level.label('en')}  {name}: {c.value:.{prec}f} {unit} "
            f"(限值 / limit {band}); 偏离度 / deviation {c.deviation:.2f}; "
            f"持续超限 / outside for {c.duration_s / 3600:.1f} h; "
            f"窗口内超限 / outside in window {100 * c.fraction_outside:.0f}%; "
            f"累计 / accumulated {c.accumulated:.1f} degree·h")


_DERIVED = {
    "relative_humidity_change_24h": "相对湿度24小时变化 / RH change in 24 h",
    "temperature_change_24h": "温度24小时变化 / temperature change in 24 h",
    "light_dose": "年曝光量 / annual light exposure",
}


def _metrics_line(m: Mapping[str, float]) -> str:
    parts = []
    if "pi_years" in m:
        parts.append(f"PI {m['pi_years']:.0f} a, TWPI {m['twpi_years']:.0f} a")
        parts.append(f"EMC {m['emc_percent']:.1f}%")
        parts.append(f"霉菌萌发进度 / mould germination {100 * m['mould_progress']:.0f}%")
    if "annual_light_exposure_lxh" in m and np.isfinite(m["annual_light_exposure_lxh"]):
        parts.append(f"年化曝光 / annualised exposure {m['annual_light_exposure_lxh']:.0f} lx·h")
    return "指标 / metrics: " + "; ".join(parts)


def _parse_time(text: str) -> datetime:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _store_fetch(url: str | None, data_dir: Path, hall: str | None = None) -> tuple[Fetch, Callable[[], None]]:
    from bridge.errors import StorageError
    from bridge.store import Store, database_url

    chosen = database_url(url, data_dir)
    if chosen.startswith("sqlite:///") and not Path(chosen.removeprefix("sqlite:///")).exists():
        raise StorageError(f"no database at {chosen} / 未找到数据库（先导入或接收数据）")
    store = Store.open(url, data_dir)

    def fetch(sensor: str, quantity: str, start: datetime, end: datetime) -> Series:
        s = store.series(sensor, quantity, start, end, hall=hall)
        return s.times, s.values

    return fetch, store.close


def risk_main(argv: list[str], fetch: Fetch | None = None, now: datetime | None = None) -> int:
    """Entry point of ``relic-twin risk``; ``fetch`` and ``now`` are injectable for tests."""
    p = argparse.ArgumentParser(prog="relic-twin risk", description="per-relic risk from stored data / 文物风险评估")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--from", dest="start", help="start, ISO 8601 (default: 7 days before --to) / 起始时间")
    p.add_argument("--to", dest="end", help="end, ISO 8601 (default: now) / 结束时间")
    p.add_argument("--materials", default=None, help="material profile file / 材料档案文件")
    p.add_argument("--db", default=None, help="database URL (default RELIC_TWIN_DATABASE_URL or data/) / 数据库")
    p.add_argument("--data-dir", default="data", help="folder of the default SQLite database / 数据目录")
    p.add_argument("--json", action="store_true", help="machine-readable output / 输出JSON")
    args = p.parse_args(argv)
    try:
        end = _parse_time(args.end) if args.end else (now or datetime.now(UTC))
        start = _parse_time(args.start) if args.start else end - timedelta(days=7)
    except ValueError as exc:
        print(f"bad time: {exc} / 时间格式错误（ISO 8601）", file=sys.stderr)
        return 2
    if start >= end:
        print("--from must be before --to / 起始时间须早于结束时间", file=sys.stderr)
        return 2
    try:
        scene = load_scene(args.scene)
        profiles = load_profiles(args.materials)
    except (SceneError, MaterialError) as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return 1
    unknown = sorted({r.profile for r in scene.relics} - set(profiles))
    for key in unknown:
        print(f"unknown material profile {key!r} / 未知材料档案", file=sys.stderr)
    close: Callable[[], None] = lambda: None  # noqa: E731
    if fetch is None:
        from bridge.errors import StorageError

        try:
            fetch, close = _store_fetch(args.db, Path(args.data_dir), scene.id)
        except StorageError as exc:
            print(exc, file=sys.stderr)
            return 1
    try:
        series = collect_series(relic_sources(scene, profiles), fetch, start, end)
    finally:
        close()
    risks = assess_scene(scene, profiles, series)
    if not series:
        print(f"no stored readings between {start.isoformat()} and {end.isoformat()} / 该时段内无存储数据",
              file=sys.stderr)
    if args.json:
        print(json.dumps([_as_json(r) for r in risks], ensure_ascii=False, indent=1))
    else:
        print(format_report(scene, profiles, risks, start, end))
    return 0 if not unknown else 1


def _as_json(r: RelicRisk) -> dict:
    return {
        "relic": r.relic, "profile": r.profile, "level": r.level.label("en") if r.checks else None,
        "checks": [{**c.__dict__, "level": Level(c.level).label("en")} for c in r.checks],
        "metrics": {k: (v if np.isfinite(v) else None) for k, v in r.metrics.items()},
    }
