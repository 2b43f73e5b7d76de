"""Settings: where the broker, the database and the data folder are.

Read once, at the edge (the command line), from environment variables and
flags into a frozen :class:`Settings`; nothing reads the environment at
import time. Every command that touches the data folder, the database or the
broker builds its settings with :func:`add_settings_arguments` and
:func:`settings_from_args`, so ``RELIC_TWIN_DATA_DIR`` means the same folder to
``import``, ``serve``, ``risk`` and the rest. Defaults are embedded: a local
broker, SQLite in ``./data``.

=============================  ==============================================
``RELIC_TWIN_BROKER_URL``      ``mqtt://host:port`` (``mqtts://`` for TLS)
``RELIC_TWIN_DATABASE_URL``    SQLAlchemy URL; default SQLite in the data dir
``RELIC_TWIN_DATA_DIR``        data folder (database, files, backups)
=============================  ==============================================

A flag (``--data-dir``, ``--db``, ``--broker``) wins over its variable. A broker
someone named (flag or variable) must answer; only the default may be replaced
by a private local broker (:attr:`Settings.broker_configured`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from bridge.errors import ConfigError

DEFAULT_BROKER_URL = "mqtt://127.0.0.1:1883"
DEFAULT_DATA_DIR = Path("data")
SQLITE_NAME = "relic-twin.sqlite"
BROKER_ENV, DATABASE_ENV, DATA_DIR_ENV = "RELIC_TWIN_BROKER_URL", "RELIC_TWIN_DATABASE_URL", "RELIC_TWIN_DATA_DIR"


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    broker_url: str = DEFAULT_BROKER_URL
    database_url: str | None = None
    data_dir: Path = DEFAULT_DATA_DIR
    broker_configured: bool = False  # someone named the broker: it must answer, no local stand-in

    @property
    def broker(self) -> BrokerAddress:
        return parse_broker_url(self.broker_url)

    @property
    def database(self) -> str:
        """The database URL to open: the configured one, else SQLite in the data folder."""
        return driver_url(self.database_url or f"sqlite:///{self.data_dir / SQLITE_NAME}")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def driver_url(url: str) -> str:
    """``url`` with the driver relic-twin ships: plain ``postgresql://`` would ask for psycopg2."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:port]`` -> :class:`BrokerAddress`; ConfigError otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"RELIC_TWIN_BROKER_URL: expected mqtt://host:port, got {url!r} ({exc})") from None
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
        raise ConfigError(f"RELIC_TWIN_BROKER_URL: expected mqtt://host:port or mqtts://host:port, got {url!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    return BrokerAddress(parts.hostname, port or (8883 if tls else 1883), tls, parts.username, parts.password)


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``env`` (default ``os.environ``), validated."""
    env = os.environ if env is None else env
    broker = env.get(BROKER_ENV) or None
    s = Settings(
        broker_url=broker or DEFAULT_BROKER_URL,
        database_url=env.get(DATABASE_ENV) or None,
        data_dir=Path(env.get(DATA_DIR_ENV) or str(DEFAULT_DATA_DIR)),
        broker_configured=broker is not None,
    )
    parse_broker_url(s.broker_url)
    return s


def add_settings_arguments(p: argparse.ArgumentParser, *, broker: bool = False, database: bool = True) -> None:
    """Add ``--data-dir`` and ``--db`` (with ``database``) and ``--broker`` (with ``broker``) to a
    command's parser; read back by :func:`settings_from_args`. Defaults are None: the environment decides."""
    g = p.add_argument_group("settings / 设置")
    if database:
        g.add_argument("--data-dir", type=Path, default=None,
                       help=f"data folder / 数据目录 (default: ${DATA_DIR_ENV} or ./data)")
    if database:
        g.add_argument("--db", "--database-url", dest="database_url", default=None, metavar="URL",
                       help=f"database URL / 数据库地址 (default: ${DATABASE_ENV} or SQLite in the data folder)")
    if broker:
        g.add_argument("--broker", dest="broker_url", default=None, metavar="URL",
                       help=f"MQTT broker mqtt://host:port / 消息代理 (default: ${BROKER_ENV})")


def settings_from_args(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
    """The environment's settings with the command's flags applied on top, validated."""
    s = settings_from_env(env)
    if getattr(args, "data_dir", None) is not None:
        s = s.with_(data_dir=Path(args.data_dir))
    if getattr(args, "database_url", None):
        s = s.with_(database_url=args.database_url)
    if getattr(args, "broker_url", None):
        parse_broker_url(args.broker_url)
        s = s.with_(broker_url=args.broker_url, broker_configured=True)
    return s
