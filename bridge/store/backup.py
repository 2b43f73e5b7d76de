"""Backup and restore that work while the service runs.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies a
  consistent snapshot page by page while other connections keep reading
  and writing (https://www.sqlite.org/backup.html); restoring copies the
  backup into the live file the same way, under SQLite's own locks, so
  a running service sees the restored data on its next query.
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot in one
  transaction, without blocking writers) and ``pg_restore`` as SQL into
  ``psql --single-transaction`` after emptying the schema (all or nothing).

A restored database is migrated to the current schema by the next
:meth:`bridge.store.Store.open`, so an older backup restores into a newer
relic-twin.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bridge.errors import StorageError
from bridge.store.private import FILE_MODE

#: Pages copied per step of the SQLite online backup; between steps writers may proceed.
SQLITE_PAGES_PER_STEP = 1024


def default_backup_path(url: str, backup_dir: Path, now: datetime | None = None) -> Path:
    """``<backup_dir>/relic-twin-YYYYmmddTHHMMSSZ.sqlite`` (``.pgdump`` for PostgreSQL)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    suffix = ".pgdump" if make_url(url).get_backend_name() == "postgresql" else ".sqlite"
    return backup_dir / f"relic-twin-{stamp}{suffix}"


def _sqlite_file(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise StorageError(f"{url}: an in-memory database cannot be backed up | 内存数据库无法备份")
    return Path(db)


def _libpq(url: str) -> str:
    """SQLAlchemy URL -> libpq URL for pg_dump/pg_restore (password kept)."""
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def _run(cmd: list[str], what: str) -> None:
    exe = shutil.which(cmd[0])
    if exe is None:
        raise StorageError(f"{cmd[0]} not found: install the PostgreSQL client tools | 未找到 {cmd[0]}")
    proc = subprocess.run([exe, *cmd[1:]], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise StorageError(f"{what} failed | 失败: {proc.stderr.strip()}")


def _restore_pg(libpq: str, src: Path) -> None:
    """``pg_restore`` the dump as SQL into ``psql --single-transaction`` after emptying the schema.

    Not ``pg_restore --clean``: it drops a partition's inherited constraints before its parent's
    (``reading`` is partitioned by month) and fails. The schema is emptied and refilled in one
    transaction, so the restore is still all or nothing.
    """
    tools = [shutil.which(t) for t in ("pg_restore", "psql")]
    if None in tools:
        raise StorageError("pg_restore or psql not found: install the PostgreSQL client tools | 未找到 pg_restore/psql")
    with subprocess.Popen([tools[0], "--no-owner", "--file=-", str(src)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as dump, \
         subprocess.Popen([tools[1], "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                           f"--dbname={libpq}"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as load:
        assert dump.stdout is not None and dump.stderr is not None
        assert load.stdin is not None and load.stderr is not None
        try:
            load.stdin.write(b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
            while chunk := dump.stdout.read(1 << 20):
                load.stdin.write(chunk)
        except BrokenPipeError:
            pass  # psql stopped at an error: reported below
        finally:
            load.stdin.close()
        dump_err = dump.stderr.read().decode(errors="replace")
        load_err = load.stderr.read().decode(errors="replace")
        dump_rc, load_rc = dump.wait(), load.wait()
    if dump_rc != 0:
        raise StorageError(f"pg_restore failed | 失败: {dump_err.strip()}")
    if load_rc != 0:
        raise StorageError(f"restore failed | 恢复失败: {load_err.strip()}")


def backup(url: str, dest: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to ``dest``; return ``dest``.

    The copy is written beside ``dest`` and renamed into place, so ``dest``
    is either complete or absent.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        src_path = _sqlite_file(url)
        if not src_path.exists():
            raise StorageError(f"no database at {src_path} | 数据库不存在")
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(src_path, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=SQLITE_PAGES_PER_STEP)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        except sqlite3.Error as exc:
            raise StorageError(f"backup of {src_path} failed | 备份失败: {exc}") from exc
        finally:
            dst.close()
            src.close()
    elif backend == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={tmp}", _libpq(url)], "pg_dump")
    else:
        raise StorageError(f"cannot back up a {backend} database | 不支持的数据库")
    os.chmod(tmp, FILE_MODE)  # a copy of the database is as private as the database
    os.replace(tmp, dest)
    return dest


def check_sqlite_backup(path: Path) -> None:
    """Raise StorageError unless ``path`` is an intact relic-twin SQLite database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StorageError(f"{path} is not an SQLite database | 不是 SQLite 数据库: {exc}") from exc
    if ok != "ok":
        raise StorageError(f"{path} is damaged | 备份文件已损坏: {ok}")
    if not {"alembic_version", "reading"} <= tables:
        raise StorageError(f"{path} is not a relic-twin backup | 不是 relic-twin 备份")


def restore(url: str, src: Path) -> None:
    """Replace the contents of the database at ``url`` by the backup ``src``.

    SQLite: the backup is checked first (integrity, relic-twin tables); then
    copied into the live file with the online backup API.
    PostgreSQL: ``pg_restore --clean --if-exists --single-transaction``.
    """
    src = Path(src)
    if not src.exists():
        raise StorageError(f"no backup at {src} | 备份文件不存在")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        check_sqlite_backup(src)
        dest_path = _sqlite_file(url)
        dest_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        dest = sqlite3.connect(dest_path, timeout=30)
        try:
            dest.execute("PRAGMA busy_timeout=30000")
            source.backup(dest)
        except sqlite3.Error as exc:
            raise StorageError(f"restore into {dest_path} failed | 恢复失败: {exc}") from exc
        finally:
            dest.close()
            source.close()
    elif backend == "postgresql":
        _restore_pg(_libpq(url), src)
    else:
        raise StorageError(f"cannot restore a {backend} database | 不支持的数据库")
