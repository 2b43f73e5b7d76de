"""The service's MQTT client ids: stable per installation, unique between installations.

The broker keys a persistent session (its subscriptions and the messages queued while the
bridge is away) on the client id, so the id must stay the same across restarts of one
installation, and two installations sharing a broker must never use the same one (the second
would take over, and empty, the first one's session). The id is therefore
``relic-twin-<installation>-<role>-<hall>``, where ``<installation>`` is 12 random hex digits
made once and kept in ``<data dir>/installation-id``.

Devices never get a ``relic-twin-`` id: the broker configuration of :mod:`bridge.mqtt.broker_config`
forces each device's client id to its user name, and refuses sensor ids with that prefix.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from bridge.store.private import private_dir

#: the prefix of every id the service uses; no device account may have it
SERVICE_PREFIX = "relic-twin-"
FILE_NAME = "installation-id"
_VALID = re.compile(r"^[0-9a-f]{12}$")


def installation_id(data_dir: Path) -> str:
    """This installation's id, made (12 random hex digits, file mode 0600) the first time it is asked for."""
    path = Path(data_dir) / FILE_NAME
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        text = ""
    if _VALID.match(text):
        return text
    private_dir(path.parent)
    new = secrets.token_hex(6)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(new + "\n")
    if path.exists():  # unreadable or not an id: replace it (the old sessions are lost either way)
        os.replace(tmp, path)
        return new
    try:
        os.link(tmp, path)  # first writer wins; a concurrent start reads the winner's id
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        text = path.read_text(encoding="ascii").strip()
        return text if _VALID.match(text) else new
    tmp.unlink(missing_ok=True)
    return new


def client_id(installation: str, role: str, hall: str) -> str:
    """``relic-twin-<installation>-<role>-<hall>``: role is ``ingest``, ``alerts`` or ``fleet``."""
    return f"{SERVICE_PREFIX}{installation}-{role}-{hall}"
