"""Private files: what the service keeps is readable by its own account only, whatever the umask.

The data folder is 0700; the SQLite database, its ``-wal`` and ``-shm`` files, the token secret,
stored blobs and backups are 0600. SQLite creates its WAL and shared-memory files with the mode
of the database file (``findCreateFileMode`` in its unix VFS), so creating the database 0600
is what keeps those private too; files an older version left readable are tightened on open.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
#: the files SQLite keeps beside a database
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal", ".migrate-lock")


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) and set it to 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if absent, and set it to 0600."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return path


def private_sqlite(db: Path) -> None:
    """The database file 0600 (created if absent) and its companions 0600 where they exist."""
    private_file(db)
    for suffix in SQLITE_COMPANIONS:
        companion = Path(f"{db}{suffix}")
        if companion.exists():
            os.chmod(companion, FILE_MODE)
