"""``relic-twin backup`` and ``relic-twin restore``: safe while the service runs.

::

    relic-twin backup [FILE]             # default data/backups/relic-twin-<UTC stamp>.sqlite
    relic-twin restore FILE --yes        # replaces the database's contents

The database is the one the service uses: ``--database-url``, else
``RELIC_TWIN_DATABASE_URL``, else SQLite in ``--data-dir`` (default
``RELIC_TWIN_DATA_DIR`` or ``data``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bridge.errors import RelicTwinError
from bridge.store import Store, database_url
from bridge.store.backup import backup, default_backup_path, restore


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database-url", default=None, help="SQLAlchemy URL | 数据库地址 (default: $RELIC_TWIN_DATABASE_URL)"
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("RELIC_TWIN_DATA_DIR", "data")),
        help="data folder | 数据目录",
    )


def backup_main(argv: Sequence[str] | None = None) -> int:
    """``relic-twin backup [FILE]``: write a consistent copy of the database; exit 0 on success."""
    p = argparse.ArgumentParser(prog="relic-twin backup", description="back up the database | 备份数据库")
    p.add_argument("file", nargs="?", type=Path, help="backup file | 备份文件 (default data/backups/...)")
    _common(p)
    args = p.parse_args(argv)
    url = database_url(args.database_url, args.data_dir)
    dest = args.file or default_backup_path(url, args.data_dir / "backups")
    try:
        written = backup(url, dest)
    except RelicTwinError as exc:
        print(f"relic-twin backup: {exc}", file=sys.stderr)
        return 1
    size = written.stat().st_size
    print(f"backup written 备份完成: {written} ({size / 1e6:.1f} MB)")
    return 0


def restore_main(argv: Sequence[str] | None = None) -> int:
    """``relic-twin restore FILE --yes``: replace the database's contents by a backup."""
    p = argparse.ArgumentParser(prog="relic-twin restore", description="restore a backup | 恢复备份")
    p.add_argument("file", type=Path, help="backup file from relic-twin backup | 备份文件")
    p.add_argument("--yes", action="store_true", help="really replace the current data | 确认覆盖当前数据")
    _common(p)
    args = p.parse_args(argv)
    url = database_url(args.database_url, args.data_dir)
    if not args.yes:
        print(
            f"this replaces everything in {url} with {args.file}; add --yes to go ahead\n"
            f"此操作将用 {args.file} 覆盖 {url} 中的全部数据; 确认请加 --yes",
            file=sys.stderr,
        )
        return 2
    try:
        restore(url, args.file)
        with Store.open(url=url) as store:  # migrate an older backup to the current schema
            n = store.count_readings()
    except RelicTwinError as exc:
        print(f"relic-twin restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored 已恢复: {args.file} -> {url} ({n} readings 条读数)")
    return 0
