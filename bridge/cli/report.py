"""``relic-twin report``: the conservation report of a hall or a site as PDF, CSV and XLSX.

    relic-twin report --scene scenes/demo_hall --month 2026-11 --lang both --out out/2026-11.pdf
    relic-twin report --site scenes --from 2026-11-01 --to 2026-11-15 --lang zh --out out/half.pdf

``--scene DIR`` is one hall; ``--site`` a site: a ``site.toml`` (its name and halls) or a folder
of hall folders (each with a ``scene.toml``). The figures are read from the store (``--db`` or
``RELIC_TWIN_DATABASE_URL``, else SQLite in ``--data-dir``); the CSV and XLSX of the
same figures are written beside the PDF.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridge.errors import RelicTwinError, StorageError
from simulation.materials import MaterialError, load_profiles
from simulation.scene import Scene, SceneError, load_scene


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin report", description="conservation report / 文物保存环境报告")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--scene", type=Path, help="one hall's scene folder / 展厅场景目录")
    where.add_argument("--site", type=Path, help="site.toml, or a folder of halls (each with scene.toml) / 场馆")
    p.add_argument("--month", help="calendar month YYYY-MM (UTC) / 月份")
    p.add_argument("--from", dest="start", help="start, ISO 8601 / 起始时间")
    p.add_argument("--to", dest="end", help="end (excluded), ISO 8601 / 结束时间")
    p.add_argument("--lang", choices=("zh", "en", "both"), default="both", help="language / 语言")
    p.add_argument("--out", type=Path, required=True, help="the PDF to write (.csv, .xlsx beside it) / 输出PDF")
    p.add_argument("--materials", default=None, help="material profile file / 材料档案文件")
    p.add_argument("--db", default=None, help="database URL (default RELIC_TWIN_DATABASE_URL or data/) / 数据库")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="folder of the default SQLite database / 数据目录")
    return p


def site_halls(path: Path) -> tuple[list[Scene], dict[str, str]]:
    """The halls and names of a site: a ``site.toml`` or a folder of scene folders (:func:`bridge.site.model.load_site`)."""
    from bridge.site.model import load_site

    site = load_site(path)
    return [h.scene for h in site.halls], dict(site.name)


def open_store(url: str | None, data_dir: Path):
    """The store at ``url`` (or the default); StorageError when the default SQLite file is missing."""
    from bridge.store import Store, database_url

    chosen = database_url(url, data_dir)
    if chosen.startswith("sqlite:///") and not Path(chosen.removeprefix("sqlite:///")).exists():
        raise StorageError(f"no database at {chosen} / 未找到数据库（先导入或接收数据）")
    return Store.open(url, data_dir)


def report_main(argv: list[str]) -> int:
    """Entry point of ``relic-twin report``."""
    args = _parser().parse_args(argv)
    from bridge.reports import build_report, write_report
    from bridge.reports.period import period

    try:
        start, end = period(args.month, args.start, args.end)
        scenes, site = site_halls(args.site) if args.site else ([load_scene(args.scene)], None)
        profiles = load_profiles(args.materials)
    except (SceneError, MaterialError) as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return 1
    except RelicTwinError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        store = open_store(args.db, args.data_dir)
    except RelicTwinError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        halls = build_report(store, scenes, profiles, start, end, args.data_dir)
        written = write_report(halls, args.out, args.lang, site)
    except RelicTwinError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        store.close()
    relics = sum(len(h.relics) for h in halls)
    print(f"{len(halls)} hall(s), {relics} relics, {start:%Y-%m-%d} – {end:%Y-%m-%d} UTC / "
          f"{len(halls)} 个展厅，{relics} 件文物")
    for p in written:
        print(f"  {p}")
    return 0
