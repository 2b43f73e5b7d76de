"""Settings: where the broker, the database and the data folder are.

Read once, at the edge (the command line), from environment variables and
flags into a frozen :class:`Settings`; nothing reads the environment at
import time. Defaults are embedded: a local broker, SQLite in ``./data``.

=============================  ==============================================
``RELIC_TWIN_BROKER_URL``      ``mqtt://host:port`` (``mqtts://`` for TLS)
``RELIC_TWIN_DATABASE_URL``    SQLAlchemy URL; default SQLite in the data dir
``RELIC_TWIN_DATA_DIR``        data folder (database, files, backups)
=============================  ==============================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from bridge.errors import ConfigError

DEFAULT_BROKER_URL = "mqtt://127.0.0.1:1883"
DEFAULT_DATA_DIR = Path("data")


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

    @property
    def broker(self) -> BrokerAddress:
        return parse_broker_url(self.broker_url)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


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
    s = Settings(
        broker_url=env.get("RELIC_TWIN_BROKER_URL", DEFAULT_BROKER_URL),
        database_url=env.get("RELIC_TWIN_DATABASE_URL") or None,
        data_dir=Path(env.get("RELIC_TWIN_DATA_DIR", str(DEFAULT_DATA_DIR))),
    )
    parse_broker_url(s.broker_url)
    return s
