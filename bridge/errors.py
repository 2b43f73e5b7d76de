"""The exceptions relic-twin raises, in one hierarchy.

::

    RelicTwinError              anything relic-twin raises on purpose
    ├── ConfigError             a setting or command-line option is wrong
    ├── SceneError              a scene document (scenes/<hall>/scene.toml) is invalid
    ├── DecodeError             a payload cannot become readings (decoders catch it
    │                           and turn it into a Rejection; it never leaves decode())
    ├── LoggerFileError         a logger export file cannot be imported
    ├── ScanError               a relic or hall scan cannot be read or turned into a twin
    ├── StorageError            the database refused or failed (wraps SQLAlchemy errors)
    └── BrokerError             the MQTT broker cannot be reached or refused (wraps paho errors)

Library exceptions are converted at the boundary with ``raise ... from exc``
so callers catch only these. Keep the tree small: add a class only when a
caller needs to tell it apart from its parent.
"""

from __future__ import annotations


class RelicTwinError(Exception):
    """Base of every error relic-twin raises on purpose."""


class ConfigError(RelicTwinError, ValueError):
    """A setting, environment variable or command-line option is wrong.

    Also a ``ValueError``: settings are parsed values, and callers that
    validate input catch ``ValueError`` for every malformed value.
    """


class SceneError(RelicTwinError):
    """A scene document is invalid; the message names the file and key."""


class DecodeError(RelicTwinError):
    """A payload, or one field of it, cannot become a reading.

    ``str(err)`` is the reason a person reads (English | 中文).
    """


class LoggerFileError(RelicTwinError):
    """A data-logger export file cannot be imported."""


class ScanError(RelicTwinError):
    """A scan file cannot be read or processed; the message names the file (English | 中文)."""


class StorageError(RelicTwinError):
    """The database refused or failed an operation."""


class BrokerError(RelicTwinError):
    """The MQTT broker cannot be reached or refused a request."""
