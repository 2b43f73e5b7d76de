"""The store: readings, rejections and the archive in one SQL database.

SQLite by default (one file in the data directory, WAL mode, full sync so a
committed batch survives a crash of the process or the machine), PostgreSQL
when the URL (or ``RELIC_TWIN_DATABASE_URL``) points at one. Every open
migrates the schema to the newest revision, keeping existing rows.

A reading is unique on (site, hall, sensor, quantity, time): storing the
same one twice (an MQTT redelivery, an importer run twice) keeps the first
copy and counts nothing. Sensor ids are unique only within a hall; reads
take ``hall=`` (None: any hall) and ``site=``. A reading that comes without
a hall is stored in the store's hall (``Store.open(hall=...)``: the scene of
the program; default ``demo_hall``, the default scene's).

::

    store = Store.open()                      # data/relic-twin.sqlite
    store.add_readings(readings)              # -> number newly stored
    store.series("case-1", "relative_humidity", start, end, bucket_s=3600, hall="demo_hall")
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bridge.config import DATABASE_ENV as DATABASE_URL_ENV
from bridge.config import SQLITE_NAME, driver_url
from bridge.errors import ConfigError, StorageError
from bridge.readings import Reading, Rejection
from bridge.site.halls import DEFAULT_HALL
from bridge.store import partitions, queries, retention, schema
from bridge.store.epoch import EPOCH, from_us, to_us
from bridge.store.models import QUARANTINE_PAYLOAD_MAX, HourlyRow, LatestRow, QuarantineRow, ReadingRow
from bridge.store.private import private_dir, private_file, private_sqlite
from bridge.store.queries import Series, ZoneStats
from bridge.store.retention import RollupResult

READING = ReadingRow.__table__  # type: ignore[attr-defined]
QUARANTINE = QuarantineRow.__table__  # type: ignore[attr-defined]
HOURLY = HourlyRow.__table__  # type: ignore[attr-defined]
LATEST = LatestRow.__table__  # type: ignore[attr-defined]
_LATEST_FIELDS = ("time_us", "value", "unit", "quality", "reason")
_READING_COLUMNS = ("site", "hall", "sensor", "quantity", "time_us", "value", "unit", "quality", "reason",
                    "raw_value")
_LATEST_COLUMNS = _READING_COLUMNS[:9]  # reading_latest keeps no raw value
_KEY = ["site", "hall", "sensor", "quantity", "time_us"]
_US = timedelta(microseconds=1)
#: PostgreSQL's write path (Store._write_copy): one COPY straight into the partitioned table (a
#: duplicate breaks the unique key and sends the batch to the slow path), then the newest reading of
#: each series from arrays, sent binary (``%b``: psycopg's text form of a list costs 6 µs of Python
#: a row, the binary form 2 µs; measured with 1 000 rows of nine columns)
_PG_COPY = f"COPY reading ({', '.join(_READING_COLUMNS)}) FROM STDIN"
_PG_LATEST_TYPES = ("text", "text", "text", "text", "bigint", "float8", "text", "text", "text")
_PG_LATEST_UNNEST = (
    f"INSERT INTO reading_latest ({', '.join(_LATEST_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%b::{t}[]' for t in _PG_LATEST_TYPES)}) "
    f"ON CONFLICT ({', '.join(_KEY[:4])}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _LATEST_FIELDS)
    + " WHERE excluded.time_us > reading_latest.time_us")


def _newest_per_series(params: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The row of the newest reading of each series (site, hall, sensor, quantity) of ``params``, in key
    order: two writers upserting the same series lock them in the same order (PostgreSQL: no deadlock
    between a hub's ingest workers)."""
    newest: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in params:
        series = row[:4]
        old = newest.get(series)
        if old is None or row[4] > old[4]:
            newest[series] = row
    return [row for _, row in sorted(newest.items())]


class _Duplicates(Exception):
    """Raised inside a write to roll it back: the batch holds a reading already stored."""


@dataclass(frozen=True)
class QuarantineItem:
    """A stored rejection.

    payload : the raw bytes, cut to ``QUARANTINE_PAYLOAD_MAX``
    payload_size : length of the payload as received, bytes
    """

    id: int
    source: str
    payload: bytes
    payload_size: int
    received_at: datetime
    reason: str


@dataclass(frozen=True)
class WriteResult:
    """What one :meth:`Store.write_batch` stored.

    stored : the readings newly stored, in input order
    duplicates : readings skipped because (site, hall, sensor, quantity, time) was already stored
    rejections : rejections put in quarantine
    """

    stored: list[Reading]
    duplicates: int
    rejections: int


def database_url(url: str | None = None, data_dir: Path = Path("data")) -> str:
    """The URL to open: ``url``, else ``$RELIC_TWIN_DATABASE_URL``, else SQLite in ``data_dir``."""
    chosen = url or os.environ.get(DATABASE_URL_ENV) or ""
    if not chosen:
        return f"sqlite:///{Path(data_dir) / SQLITE_NAME}"
    return driver_url(chosen)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before add_readings returns, so the MQTT ack
    # that follows it never covers a reading a power cut could still lose
    # (https://www.sqlite.org/pragma.html#pragma_synchronous)
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with relic-twin's connection settings."""
    try:
        parsed = make_url(url)
    except SQLAlchemyError as exc:
        raise ConfigError(f"bad database URL {url!r} | 数据库地址无效: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            db = Path(parsed.database)
            if not db.parent.exists():
                private_dir(db.parent)
            private_sqlite(db)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ConfigError(f"unsupported database {parsed.get_backend_name()!r} | 不支持的数据库: use sqlite or postgresql")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations of one SQLite file between processes (PostgreSQL locks in SQL)."""
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:":
        yield
        return
    private_file(Path(f"{db}.migrate-lock"))
    with open(f"{db}.migrate-lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def reading_rows(readings: Sequence[Reading], hall: str = DEFAULT_HALL) -> list[dict[str, Any]]:
    """Readings as row dictionaries for the ``reading`` table (``hall`` for those that carry none)."""
    return [
        {
            "site": r.site,
            "hall": r.hall or hall,
            "sensor": r.sensor,
            "quantity": r.quantity,
            "time_us": to_us(r.time),
            "value": float(r.value),
            "unit": r.unit,
            "quality": r.quality,
            "reason": r.reason,
            "raw_value": r.raw,
        }
        for r in readings
    ]


def reading_params(readings: Sequence[Reading], hall: str = DEFAULT_HALL) -> list[tuple[Any, ...]]:
    """Readings as parameter tuples in the order of ``_READING_COLUMNS`` (one ``to_us`` each, inlined;
    ``hall`` for those that carry none)."""
    out: list[tuple[Any, ...]] = []
    append = out.append
    for r in readings:
        t = r.time
        if t.utcoffset() is None:
            to_us(t)  # raises StorageError with the reason
        append((r.site, r.hall or hall, r.sensor, r.quantity, (t - EPOCH) // _US, float(r.value), r.unit, r.quality,
                r.reason, r.raw))
    return out


def rejection_rows(rejections: Sequence[Rejection]) -> list[dict[str, Any]]:
    """Rejections as row dictionaries for the ``quarantine`` table (payload cut to size)."""
    return [
        {
            "source": r.source[:512],
            "payload": bytes(r.payload[:QUARANTINE_PAYLOAD_MAX]),
            "payload_size": len(r.payload),
            "received_at_us": to_us(r.received_at),
            "reason": r.reason,
        }
        for r in rejections
    ]


class Store:
    """Readings, quarantine and archive in one database. Thread-safe; one per process.

    hall : where readings that come without a hall are stored
    """

    def __init__(self, engine: Engine, hall: str = DEFAULT_HALL) -> None:
        self.engine = engine
        self.hall = hall or DEFAULT_HALL
        self.dialect = engine.dialect.name
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        self._insert_stmt = (
            dialect_insert(READING)
            .on_conflict_do_nothing(index_elements=_KEY)
            .returning(*(READING.c[name] for name in _KEY))
        )
        # the same insert as plain SQL for the driver's executemany (no RETURNING, no
        # per-row parameter processing by SQLAlchemy): the fast path of write_batch
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._insert_sql = (
            f"INSERT INTO {READING.name} ({', '.join(_READING_COLUMNS)}) "
            f"VALUES ({', '.join([mark] * len(_READING_COLUMNS))}) "
            f"ON CONFLICT ({', '.join(_KEY)}) DO NOTHING"
        )
        # PostgreSQL: reading is partitioned by month (migration 0008); the months it has a partition for
        self._months: set[tuple[int, int]] | None = None
        if self.dialect == "postgresql":
            try:
                with engine.connect() as conn:
                    if partitions.is_partitioned(conn):
                        self._months = partitions.existing_months(conn)
            except SQLAlchemyError:
                self._months = None  # not migrated yet (open(migrate=False)): nothing to ensure
        latest = dialect_insert(LATEST)
        self._latest_stmt = latest.on_conflict_do_update(
            index_elements=_KEY[:4],
            set_={name: latest.excluded[name] for name in _LATEST_FIELDS},
            where=latest.excluded.time_us > LATEST.c.time_us,
        )

    @classmethod
    def open(cls, url: str | None = None, data_dir: Path = Path("data"), migrate: bool = True,
             hall: str | None = None) -> Store:
        """Open (creating and migrating as needed) the database at ``url``.

        url : SQLAlchemy URL; None -> ``$RELIC_TWIN_DATABASE_URL`` ->
            ``sqlite:///<data_dir>/relic-twin.sqlite``
        migrate : run schema migrations to the newest revision
        hall : the hall of the program opening the store (its scene): readings stored
            before halls existed are assigned to it (migration 0007), and readings
            written without a hall go to it; None: ``demo_hall``, the default scene's
        """
        chosen = database_url(url, data_dir)
        if chosen == f"sqlite:///{Path(data_dir) / SQLITE_NAME}":
            private_dir(data_dir)  # the data folder is ours: 0700
        engine = make_engine(chosen)
        try:
            if migrate:
                with _migration_lock(engine):
                    schema.upgrade(engine, legacy_hall=hall)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StorageError(f"cannot open database {engine.url!r} | 无法打开数据库: {exc}") from exc
        return cls(engine, hall or DEFAULT_HALL)

    @property
    def url(self) -> str:
        """The database URL (password hidden)."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in one transaction, committed on exit; errors become StorageError."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StorageError(f"database error | 数据库错误: {exc}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A SQLModel session for the archive tables (:mod:`bridge.store.models`); commit it yourself."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except SQLAlchemyError as exc:
            raise StorageError(f"database error | 数据库错误: {exc}") from exc

    # ------------------------------------------------------------------ writes

    def _insert_readings(self, conn: Connection, rows: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
        # one cached statement run as executemany; RETURNING names the rows
        # actually inserted (duplicates are skipped by ON CONFLICT DO NOTHING)
        return {tuple(r) for r in conn.execute(self._insert_stmt, rows)}

    def write_batch(self, readings: Sequence[Reading], rejections: Sequence[Rejection] = ()) -> WriteResult:
        """Store readings and rejections in ONE transaction.

        When this returns, both are committed (and on disk): the caller may
        acknowledge the messages they came from. Raises StorageError (and
        writes nothing) when the database refuses any of it.

        The common batch, all of it new, is inserted by one driver executemany
        whose row count proves that every row was stored; a batch holding a
        reading already stored (or one twice) is rolled back and written again
        with RETURNING, which names the rows stored.
        """
        params = reading_params(readings, self.hall)
        qrows = rejection_rows(rejections)
        if not params and not qrows:
            return WriteResult([], 0, 0)
        if self._months is not None and params:
            self._ensure_months(min(p[4] for p in params), max(p[4] for p in params))
        if self.dialect == "postgresql" and params:
            return self._write_copy(readings, params, qrows)
        try:
            with self.transaction() as conn:
                if params:
                    # SQLite: a loop in C over one prepared statement; psycopg: one pipelined
                    # batch. The row count is the sum over the rows (a skipped duplicate adds 0)
                    if conn.exec_driver_sql(self._insert_sql, params).rowcount != len(params):
                        raise _Duplicates
                    conn.execute(self._latest_stmt, [dict(zip(_LATEST_COLUMNS, row[:9], strict=True))
                                                     for row in _newest_per_series(params)])
                if qrows:
                    conn.execute(QUARANTINE.insert(), qrows)
        except _Duplicates:
            return self._write_with_duplicates(readings, qrows)
        return WriteResult(list(readings), 0, len(qrows))

    def _write_copy(self, readings: Sequence[Reading], params: list[tuple[Any, ...]],
                    qrows: list[dict[str, Any]]) -> WriteResult:
        """write_batch on PostgreSQL: one COPY into ``reading`` and one upsert of the newest reading per series.

        COPY has no ON CONFLICT: a batch holding a reading already stored (a redelivery after a
        reconnect) breaks the unique key, the transaction rolls back and the batch is written again
        by the slow path, which says which readings are new. The newest reading of each series goes
        to ``reading_latest`` as nine arrays through ``unnest`` (one statement, one round trip).
        Measured on the hub (PostgreSQL 15, batches of 1 000): the server spent 16.5 µs a reading
        with COPY into a temporary inbox and two set-wise inserts from it, 7.5 µs with the COPY
        straight into the partitioned table.
        """
        import psycopg

        latest = _newest_per_series(params)
        try:
            with self.transaction() as conn:
                raw = conn.connection.driver_connection
                with raw.cursor() as cur:  # type: ignore[union-attr]
                    with cur.copy(_PG_COPY) as copy:
                        for row in params:
                            copy.write_row(row)
                    cur.execute(_PG_LATEST_UNNEST, [list(col) for col in zip(*latest, strict=False)][:9])
                if qrows:
                    conn.execute(QUARANTINE.insert(), qrows)
        except psycopg.errors.UniqueViolation:
            return self._write_with_duplicates(readings, qrows)
        except Exception as exc:
            if isinstance(exc, StorageError):
                raise
            raise StorageError(f"database error | 数据库错误: {exc}") from exc
        return WriteResult(list(readings), 0, len(qrows))

    def _ensure_months(self, lo_us: int, hi_us: int) -> None:
        """Create the monthly partitions of [lo_us, hi_us] that are missing (PostgreSQL)."""
        assert self._months is not None
        missing = [m for m in partitions.months_between(lo_us, hi_us) if m not in self._months]
        if missing:
            with self.transaction() as conn:
                partitions.create_month_partitions(conn, missing)
            self._months.update(missing)

    def partitions(self) -> list[str]:
        """The monthly partitions of ``reading`` (PostgreSQL), oldest first; [] when not partitioned."""
        if self.dialect != "postgresql":
            return []
        with self.transaction() as conn:
            return [partitions.partition_name(y, m) for y, m in sorted(partitions.existing_months(conn))]

    def detach_month(self, year: int, month: int) -> str:
        """Detach the partition of a month (PostgreSQL): its readings leave ``reading`` and stay in the
        table it names, to archive or drop. Roll the month up first (:meth:`roll_up`) to keep hourly means."""
        name = partitions.partition_name(year, month)
        if self._months is None or (year, month) not in self._months:
            raise StorageError(f"no partition {name} | 没有该月分区")
        with self.transaction() as conn:
            conn.exec_driver_sql(f"ALTER TABLE reading DETACH PARTITION {name}")
        self._months.discard((year, month))
        return name

    def _write_with_duplicates(self, readings: Sequence[Reading], qrows: list[dict[str, Any]]) -> WriteResult:
        """write_batch for a batch with duplicates: RETURNING says which readings are new."""
        rrows = reading_rows(readings, self.hall)
        stored: list[Reading] = []
        with self.transaction() as conn:
            if rrows:
                keys = self._insert_readings(conn, rrows)
                newest: dict[tuple[Any, ...], dict[str, Any]] = {}
                for reading, row in zip(readings, rrows, strict=True):
                    key = tuple(row[name] for name in _KEY)
                    if key in keys:
                        stored.append(reading)
                        keys.discard(key)  # a duplicate inside the batch is stored once
                        series = key[:4]
                        if series not in newest or row["time_us"] > newest[series]["time_us"]:
                            newest[series] = row
                if newest:
                    conn.execute(self._latest_stmt, [{k: row[k] for k in _LATEST_COLUMNS}
                                                     for _, row in sorted(newest.items())])
            if qrows:
                conn.execute(QUARANTINE.insert(), qrows)
        return WriteResult(stored, len(rrows) - len(stored), len(qrows))

    def add_readings(self, readings: Sequence[Reading]) -> int:
        """Store readings; duplicates of (site, hall, sensor, quantity, time) are skipped. Returns the number stored."""
        return len(self.write_batch(readings, ()).stored)

    def add_rejections(self, rejections: Sequence[Rejection]) -> int:
        """Keep rejected input in quarantine. Returns the number stored."""
        return self.write_batch((), rejections).rejections

    # ------------------------------------------------------------------ reads

    def count_readings(self, sensor: str | None = None, quantity: str | None = None, *,
                       hall: str | None = None, site: str | None = None) -> int:
        """Number of stored raw readings, optionally of one sensor, quantity, hall and/or site."""
        stmt = select(func.count()).select_from(READING).where(*queries.place(READING, hall, site))
        if sensor is not None:
            stmt = stmt.where(READING.c.sensor == sensor)
        if quantity is not None:
            stmt = stmt.where(READING.c.quantity == quantity)
        with self.transaction() as conn:
            return int(conn.execute(stmt).scalar_one())

    def latest(self, sensors: Sequence[str] | None = None, *, hall: str | None = None,
               site: str | None = None) -> list[Reading]:
        """The newest reading of every series (of ``hall``/``site``; None: any), sorted by sensor then quantity."""
        with self.transaction() as conn:
            return queries.latest(conn, sensors, hall=hall, site=site)

    def halls(self, site: str | None = "") -> list[str]:
        """The halls holding readings (of ``site``; None: of any site), sorted."""
        stmt = select(LATEST.c.hall).distinct().where(*queries.place(LATEST, None, site)).order_by(LATEST.c.hall)
        with self.transaction() as conn:
            return [row[0] for row in conn.execute(stmt)]

    def series(
        self,
        sensor: str,
        quantity: str,
        start: datetime,
        end: datetime,
        bucket_s: int | None = None,
        only_ok: bool = False,
        *,
        hall: str | None = None,
        site: str | None = None,
    ) -> Series:
        """Values of one sensor and quantity in [start, end), raw or as min/mean/max per bucket.

        hall, site : the sensor's hall and site (None: any; name the hall on a site of several).
        See :func:`bridge.store.queries.series`.
        """
        with self.transaction() as conn:
            return queries.series(conn, sensor, quantity, to_us(start), to_us(end), bucket_s, only_ok,
                                  hall=hall, site=site)

    def zone_aggregates(
        self,
        zones: Mapping[str, str],
        quantity: str,
        start: datetime,
        end: datetime,
        only_ok: bool = True,
        *,
        hall: str | None = None,
        site: str | None = None,
    ) -> dict[str, ZoneStats]:
        """Count/min/mean/max of ``quantity`` per zone in [start, end); ``zones`` maps sensor id -> zone id."""
        with self.transaction() as conn:
            return queries.zone_aggregates(conn, zones, quantity, to_us(start), to_us(end), only_ok,
                                           hall=hall, site=site)

    def roll_up(self, before: datetime) -> RollupResult:
        """Replace raw readings older than ``before`` (whole hours) by hourly aggregates; see :mod:`.retention`."""
        return retention.roll_up(self, before)

    def count_hourly(self) -> int:
        """Number of hourly aggregate rows (history rolled up by retention)."""
        with self.transaction() as conn:
            return int(conn.execute(select(func.count()).select_from(HOURLY)).scalar_one())

    def quarantine(self, limit: int = 100) -> list[QuarantineItem]:
        """The newest ``limit`` rejections, newest first."""
        stmt = select(QUARANTINE).order_by(QUARANTINE.c.received_at_us.desc(), QUARANTINE.c.id.desc()).limit(limit)
        with self.transaction() as conn:
            return [
                QuarantineItem(
                    id=row.id,
                    source=row.source,
                    payload=bytes(row.payload),
                    payload_size=row.payload_size,
                    received_at=from_us(row.received_at_us),
                    reason=row.reason,
                )
                for row in conn.execute(stmt)
            ]

    def count_quarantine(self) -> int:
        """Number of stored rejections."""
        with self.transaction() as conn:
            return int(conn.execute(select(func.count()).select_from(QUARANTINE)).scalar_one())
