"""relic-twin backup / restore, on SQLite and PostgreSQL, while the store stays open and writing."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.cli.store import backup_main, restore_main
from bridge.errors import StorageError
from bridge.readings import Reading
from bridge.store import Store
from bridge.store.backup import backup, restore

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def readings(start: int, n: int, sensor: str = "a") -> list[Reading]:
    return [Reading(sensor, "temperature", T0 + timedelta(seconds=start + i), 20.0, "°C") for i in range(n)]


@pytest.fixture
def live(database_url: str):
    if database_url.startswith("postgresql") and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed")
    s = Store.open(url=database_url)
    yield s
    s.close()


def test_backup_while_writing_then_restore_into_the_running_store(live: Store, tmp_path: Path) -> None:
    url = live.engine.url.render_as_string(hide_password=False)
    live.add_readings(readings(0, 1000))
    stop = threading.Event()
    written = [1000]

    def writer() -> None:  # the service keeps ingesting during the backup
        i = 1000
        while not stop.is_set():
            live.add_readings(readings(i, 50, "b"))
            i += 50
            written.append(i)

    t = threading.Thread(target=writer)
    t.start()
    try:
        dest = backup(url, tmp_path / "b")
    finally:
        stop.set()
        t.join()
    with Store.open(url=url) as check:
        total = check.count_readings()
    assert total > 1000

    # restore the snapshot into the database the running store is using
    restore(url, dest)
    in_backup = live.count_readings()
    assert 1000 <= in_backup <= total
    assert live.count_readings(sensor="a") == 1000
    assert (in_backup - 1000) % 50 == 0  # whole batches only: the snapshot is consistent
    # the running store goes on working on the restored data
    assert live.add_readings(readings(0, 10) + readings(10**6, 5)) == 5


def test_cli_backup_and_restore(live: Store, tmp_path: Path, capsys) -> None:
    url = live.engine.url.render_as_string(hide_password=False)
    live.add_readings(readings(0, 100))
    assert backup_main(["--database-url", url, "--data-dir", str(tmp_path)]) == 0
    (dest,) = (tmp_path / "backups").iterdir()
    assert dest.name.startswith("relic-twin-")
    assert "备份完成" in capsys.readouterr().out
    live.add_readings(readings(100, 50))
    assert restore_main([str(dest), "--database-url", url]) == 2  # refuses without --yes
    assert live.count_readings() == 150
    assert restore_main([str(dest), "--database-url", url, "--yes"]) == 0
    assert live.count_readings() == 100
    assert "100 readings" in capsys.readouterr().out


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store.open(url=url) as s:
        s.add_readings(readings(0, 3))
        with pytest.raises(StorageError):
            restore(url, bogus)
        with pytest.raises(StorageError):
            restore(url, tmp_path / "missing.sqlite")
        assert s.count_readings() == 3
    assert restore_main([str(bogus), "--database-url", url, "--yes"]) == 1


def test_backup_of_a_missing_database_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        backup(f"sqlite:///{tmp_path / 'none.sqlite'}", tmp_path / "out.sqlite")
    assert not (tmp_path / "out.sqlite").exists()
