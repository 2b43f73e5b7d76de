"""``relic-twin simulate SCENARIO.toml... [--out DIR] [--jobs N] [--cell M] [--from-store]``: run what-if scenarios.

The runs themselves are :mod:`bridge.twin.whatif`; this module is only the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bridge.twin.whatif import load_scenario, run_many, stored_initial_state, trust_line


class _Bars:
    """One text progress bar per scenario on stderr."""

    def __init__(self, names: Sequence[str]):
        self.state = {n: 0.0 for n in names}
        self.tty = sys.stderr.isatty()
        self.drawn = False

    def __call__(self, name: str, frac: float) -> None:
        self.state[name] = frac
        lines = [f"{n[:28]:<28} [{'#' * int(30 * f):<30}] {100 * f:5.1f} %" for n, f in self.state.items()]
        if self.tty:
            if self.drawn:
                sys.stderr.write(f"\x1b[{len(lines)}F")
            sys.stderr.write("\n".join(lines) + "\n")
        elif frac >= 1.0 or int(100 * frac) % 25 == 0:
            sys.stderr.write(lines[list(self.state).index(name)] + "\n")
        sys.stderr.flush()
        self.drawn = True


def simulate_main(argv: Sequence[str] | None = None) -> int:
    """``relic-twin simulate SCENARIO.toml... [--out DIR] [--jobs N] [--cell M]``; returns the exit code."""
    ap = argparse.ArgumentParser(prog="relic-twin simulate",
                                 description="运行假设情景 / run what-if climate scenarios")
    ap.add_argument("scenarios", nargs="+", help="情景文件 / scenario TOML files")
    ap.add_argument("--out", default="out/whatif", help="输出目录 / output folder (default out/whatif)")
    ap.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1), help="并行进程数 / parallel processes")
    ap.add_argument("--cell", type=float, default=None, help="网格尺寸 m / cell size in m (default: scenario's)")
    ap.add_argument("--no-report", action="store_true", help="不生成图表和网页 / skip the PNG and HTML report")
    ap.add_argument("--from-store", action="store_true",
                    help="从数据库中各传感器的最新读数开始 / start from the newest stored T/RH of the hall's sensors")
    ap.add_argument("--db", default=None, help="数据库 URL / database URL (default RELIC_TWIN_DATABASE_URL or data/)")
    ap.add_argument("--data-dir", default="data", help="默认 SQLite 数据库所在目录 / folder of the default SQLite database")
    a = ap.parse_args(argv)
    missing = [p for p in a.scenarios if not Path(p).is_file()]
    if missing:
        print(f"找不到情景文件 / scenario file not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    initial = None
    if a.from_store:
        try:
            initial = _initial_from_store(a.scenarios, a.db, Path(a.data_dir))
        except ValueError as exc:
            print(f"情景无效或数据库无法读取 / invalid scenario or unreadable database:\n{exc}", file=sys.stderr)
            return 2
    bars = _Bars([Path(p).stem for p in a.scenarios])
    try:
        summaries = run_many(a.scenarios, a.out, jobs=a.jobs, cell_m=a.cell, progress=bars, report=not a.no_report,
                             initial=initial)
    except (ValueError, KeyError) as exc:  # ScenarioError, SceneError, unknown climate keys or start ids
        print(f"情景无效 / invalid scenario:\n{exc}", file=sys.stderr)
        return 2
    for path, s in zip(a.scenarios, summaries, strict=True):
        n = len(s["crossings"])
        print(f"{s['scenario']['title'].get('zh-CN')} / {s['scenario']['title'].get('en')}: "
              f"{n} 次越限 / {n} limit crossings -> {Path(a.out) / Path(path).stem}")
        print(f"  {trust_line(s.get('calibration'))}")
    return 0


def _initial_from_store(paths: Sequence[str], db: str | None, data_dir: Path) -> dict[str, tuple[float, float]] | None:
    """The stored start state for the scenarios' hall (one hall for all), or None with a printed note."""
    from bridge.errors import StorageError
    from bridge.store import Store, database_url
    from simulation.scene import load_scene

    halls = {load_scenario(p).scene_path for p in paths}
    if len(halls) != 1:
        raise ValueError("--from-store needs scenarios of one hall / --from-store 要求所有情景属于同一展厅")
    scene = load_scene(halls.pop())
    url = database_url(db, data_dir)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        print(f"注意：未找到数据库 {url}，使用情景给定的初始状态 / note: no database at {url}; "
              f"the scenarios' given start state is used", file=sys.stderr)
        return None
    try:
        with Store.open(db, data_dir) as store:
            readings = store.latest([s.id for s in scene.sensors], hall=scene.id)
    except StorageError as exc:
        raise ValueError(str(exc)) from None
    initial, notes = stored_initial_state(scene, readings)
    for n in notes:
        print(f"注意 / note: {n}", file=sys.stderr)
    if not initial:
        print("注意：数据库中没有本展厅的温湿度读数，使用情景给定的初始状态 / note: the store holds no T/RH of "
              "this hall; the scenarios' given start state is used", file=sys.stderr)
        return None
    return initial




if __name__ == "__main__":
    raise SystemExit(simulate_main())
