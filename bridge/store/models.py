"""The database schema as SQLModel tables.

Times are stored as integer microseconds since 1970-01-01 UTC (``*_us``
columns, BIGINT): the same on SQLite and PostgreSQL, exact for
deduplication, and cheap to bucket with integer division. The store
converts to and from timezone-aware :class:`datetime` at its edge.

Two groups of tables:

- time series: ``reading`` (raw values with their quality flag, unique on
  site, hall, sensor, quantity and time), ``reading_latest`` (the newest reading of
  each series), ``reading_hourly`` (what retention rolls raw
  values into), ``quarantine`` (rejected input, kept raw with its reason);
- archive: sites, halls, zones, sensors; relics and material profiles;
  preservation records (inspections, interventions, loans, treatments);
  alerts and their acknowledgements; users and roles; the control audit; stored files.

Texts a visitor or curator reads are kept in both languages
(``name_zh``/``name_en``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

#: Bytes of a rejected payload kept in quarantine; longer payloads are cut.
QUARANTINE_PAYLOAD_MAX = 65536


def _us(nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    """A BIGINT column of microseconds since the epoch, UTC."""
    return Column(BigInteger, nullable=nullable, index=index)


# --------------------------------------------------------------------------
# time series


#: A series' identity: sensor ids are unique only within a hall, hall ids only within a site
#: (``site`` is '' on a museum's own box; a hub stores the site id). Migration 0007.
SERIES_KEY = ("site", "hall", "sensor", "quantity")


def _place() -> Any:
    """A site or hall column: '' by default (the server default too, for rows written in SQL)."""
    return Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class ReadingRow(SQLModel, table=True):
    """One stored reading; (site, hall, sensor, quantity, time_us) is unique."""

    __tablename__ = "reading"
    __table_args__ = (UniqueConstraint(*SERIES_KEY, "time_us", name="uq_reading_key"),)

    id: int | None = Field(
        default=None,
        # SQLite auto-increments only an INTEGER PRIMARY KEY (the rowid alias)
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    site: str = _place()
    hall: str = _place()
    sensor: str = Field(max_length=128)
    quantity: str = Field(max_length=64)
    time_us: int = Field(sa_column=_us())
    value: float
    unit: str = Field(max_length=32)
    quality: str = Field(default="ok", max_length=32)
    reason: str = Field(default="")
    # the value as the sensor sent it, when a calibration changed it (migration 0005); None otherwise
    raw_value: float | None = None


class LatestRow(SQLModel, table=True):
    """The newest reading of each series (site, hall, sensor, quantity), kept up to date by every write.

    Reading it costs one row per series, however long the history (the
    twin's live view and the REST API ask for it every few seconds).
    """

    __tablename__ = "reading_latest"

    site: str = Field(default="", primary_key=True, max_length=64, sa_column_kwargs={"server_default": ""})
    hall: str = Field(default="", primary_key=True, max_length=64, sa_column_kwargs={"server_default": ""})
    sensor: str = Field(primary_key=True, max_length=128)
    quantity: str = Field(primary_key=True, max_length=64)
    time_us: int = Field(sa_column=_us())
    value: float
    unit: str = Field(max_length=32)
    quality: str = Field(default="ok", max_length=32)
    reason: str = Field(default="")


class HourlyRow(SQLModel, table=True):
    """Aggregate of one hour of raw readings (quality ``ok`` only) after retention.

    ``flagged`` counts readings of the hour whose quality was not ``ok``;
    they are counted, not averaged in.
    """

    __tablename__ = "reading_hourly"
    __table_args__ = (UniqueConstraint(*SERIES_KEY, "hour_us", name="uq_hourly_key"),)

    id: int | None = Field(default=None, primary_key=True)
    site: str = _place()
    hall: str = _place()
    sensor: str = Field(max_length=128)
    quantity: str = Field(max_length=64)
    hour_us: int = Field(sa_column=_us())
    unit: str = Field(max_length=32)
    count: int
    flagged: int = 0
    min: float | None = None
    mean: float | None = None
    max: float | None = None


class QuarantineRow(SQLModel, table=True):
    """Input that could not become a reading, kept raw with its reason."""

    __tablename__ = "quarantine"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=512)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    payload_size: int
    received_at_us: int = Field(sa_column=_us(index=True))
    reason: str


class SensorCalibration(SQLModel, table=True):
    """A calibration of one sensor's quantity: stored value = gain × raw + offset, from ``set_at`` on.

    Rows are never changed or deleted: the newest one applies to new readings, the older ones say
    what applied before (a report shows them, and the raw value is kept on each reading).
    """

    __tablename__ = "sensor_calibration"
    __table_args__ = (Index("ix_sensor_calibration_key", "sensor", "quantity", "set_at_us"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = _place()  # '' = the sensor of that id in any hall (migration 0009)
    sensor: str = Field(max_length=128)
    quantity: str = Field(max_length=64)
    offset: float = 0.0
    gain: float = 1.0
    set_at_us: int = Field(sa_column=_us())
    set_by: str = Field(default="", max_length=64)
    note: str = ""


# --------------------------------------------------------------------------
# places and sensors


class Site(SQLModel, table=True):
    """A museum or store: the top of the place tree."""

    id: str = Field(primary_key=True, max_length=64)
    name_zh: str = ""
    name_en: str = ""
    address: str = ""
    timezone: str = Field(default="UTC", max_length=64)


class Hall(SQLModel, table=True):
    """A gallery or store room of a site; ``scene`` names scenes/<hall>/."""

    id: str = Field(primary_key=True, max_length=64)
    site_id: str | None = Field(default=None, foreign_key="site.id")
    name_zh: str = ""
    name_en: str = ""
    scene: str = ""


class Zone(SQLModel, table=True):
    """A part of a hall with its own climate (a case, an alcove)."""

    id: str = Field(primary_key=True, max_length=64)
    hall_id: str | None = Field(default=None, foreign_key="hall.id")
    name_zh: str = ""
    name_en: str = ""
    kind: str = Field(default="room", max_length=32)


class Sensor(SQLModel, table=True):
    """A sensor as registered (or discovered); ``quantities`` is comma-separated.

    Its id is unique within its hall only (two halls may each have an ``S01``).
    """

    hall_id: str = Field(default="", primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=128)
    zone_id: str | None = Field(default=None, foreign_key="zone.id")
    model: str = ""
    protocol: str = Field(default="native", max_length=32)
    quantities: str = ""
    x_m: float | None = None
    y_m: float | None = None
    z_m: float | None = None
    installed_at_us: int | None = Field(default=None, sa_column=_us(nullable=True))


# --------------------------------------------------------------------------
# relic archive


class MaterialProfile(SQLModel, table=True):
    """Stored copy of a material profile (the source of truth is scenes/materials.toml)."""

    __tablename__ = "material_profile"

    id: str = Field(primary_key=True, max_length=64)
    name_zh: str = ""
    name_en: str = ""
    limits_json: str = "{}"
    source: str = ""


class Relic(SQLModel, table=True):
    """One catalogued object."""

    id: int | None = Field(default=None, primary_key=True)
    catalogue_number: str = Field(max_length=64, unique=True)
    name_zh: str = ""
    name_en: str = ""
    era: str = ""
    material: str = ""
    material_profile_id: str | None = Field(default=None, foreign_key="material_profile.id")
    zone_id: str | None = Field(default=None, foreign_key="zone.id")
    height_mm: float | None = None
    width_mm: float | None = None
    depth_mm: float | None = None
    weight_g: float | None = None
    provenance: str = ""
    condition: str = ""
    description_zh: str = ""
    description_en: str = ""


class PreservationRecord(SQLModel, table=True):
    """What was done to a relic, by whom and when.

    kind : ``inspection``, ``intervention``, ``loan`` or ``treatment``
    ended_at_us : for loans and long treatments; None while ongoing
    """

    __tablename__ = "preservation_record"
    __table_args__ = (Index("ix_preservation_relic_time", "relic_id", "started_at_us"),)

    id: int | None = Field(default=None, primary_key=True)
    relic_id: int = Field(foreign_key="relic.id")
    kind: str = Field(max_length=32)
    what: str = ""
    who: str = ""
    started_at_us: int = Field(sa_column=_us())
    ended_at_us: int | None = Field(default=None, sa_column=_us(nullable=True))
    counterparty: str = ""
    notes: str = ""


# --------------------------------------------------------------------------
# alerts


class Alert(SQLModel, table=True):
    """An alert raised by the models (tier as in simulation's alert tiers)."""

    id: int | None = Field(default=None, primary_key=True)
    raised_at_us: int = Field(sa_column=_us(index=True))
    tier: str = Field(max_length=32)
    site: str = _place()  # where it was raised (migration 0007)
    hall: str = _place()
    sensor: str = ""
    quantity: str = ""
    relic_id: int | None = Field(default=None, foreign_key="relic.id")
    zone_id: str | None = Field(default=None, foreign_key="zone.id")
    message_zh: str = ""
    message_en: str = ""
    cleared_at_us: int | None = Field(default=None, sa_column=_us(nullable=True))
    # from the live alert engine (migration 0004); empty for alerts entered otherwise
    key: str = Field(default="", max_length=200, index=True)  # the engine's alert id
    cause: str = Field(default="", max_length=100)
    target_kind: str = Field(default="", max_length=32)    # relic, case, zone, hall, sensor
    target_id: str = Field(default="", max_length=128)
    advice_zh: str = ""
    advice_en: str = ""


class Notification(SQLModel, table=True):
    """One alert message sent on a channel (webhook, e-mail), or the attempt and why it failed."""

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)  # None: a digest
    channel: str = Field(max_length=32)
    address: str = Field(max_length=500)
    tier: str = Field(max_length=32)
    subject: str = ""
    sent_at_us: int = Field(sa_column=_us())
    ok: bool = True
    error: str = ""


class AlertAck(SQLModel, table=True):
    """A person's acknowledgement of an alert."""

    __tablename__ = "alert_ack"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    acked_at_us: int = Field(sa_column=_us())
    note: str = ""


# --------------------------------------------------------------------------
# users


class Role(SQLModel, table=True):
    """A named set of permissions (comma-separated)."""

    id: str = Field(primary_key=True, max_length=32)
    name_zh: str = ""
    name_en: str = ""
    permissions: str = ""


class User(SQLModel, table=True):
    """A person who signs in; the password is stored as an argon2 hash only."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = ""
    password_hash: str = ""
    role_id: str = Field(foreign_key="role.id")
    active: bool = True
    created_at_us: int = Field(sa_column=_us())
    # changes whenever the role, password or active flag changes (migration 0006): a token names the
    # stamp it was issued under, so a changed, disabled or removed user's tokens stop at the next request
    token_stamp: str = Field(default="", max_length=32)
    # the museum this user belongs to on a hub: it sees and changes that site only ('' = every site;
    # a museum's own box has one site) (migration 0007)
    site: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class AuditEvent(SQLModel, table=True):
    """Who did what, when, from where: sign-ins, failed sign-ins and every admin action.

    action : ``sign_in``, ``sign_in_failed``, ``user_add``, ``user_change``, ``user_remove``,
        ``device_adopt``...
    actor : the user name acting ('' when unknown); target : what it acted on
    ok : False for refused attempts
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at_us: int = Field(sa_column=_us(index=True))
    actor: str = Field(default="", max_length=64)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=64)
    ok: bool = True
    detail: str = ""


class ControlAudit(SQLModel, table=True):
    """One entry of a hall's climate-control audit trail (:mod:`bridge.control.audit`, migration 0010).

    kind : ``recommendation``, ``command``, ``echo``, ``effect``, ``alert``, ``policy``, ``override``
    who : what or who decided: ``mpc``, ``humidistat``, ``safe``, ``feedback`` or a user name
    why, before, after, echo, effect : JSON objects (the rule or forecast, the states, what came back)
    """

    __tablename__ = "control_audit"
    __table_args__ = (Index("ix_control_audit_place_time", "site", "hall", "at_us"),)

    id: int | None = Field(default=None, primary_key=True)
    at_us: int = Field(sa_column=_us())
    site: str = _place()
    hall: str = _place()
    kind: str = Field(max_length=32)
    actuator: str = Field(default="", max_length=128)
    who: str = Field(default="", max_length=64)
    why: str = "{}"
    before: str = "{}"
    after: str = "{}"
    echo: str | None = None
    effect: str | None = None


class UnknownDevice(SQLModel, table=True):
    """A sensor heard on the wire that its hall's scene does not name (its readings wait in quarantine).

    Keyed by its place (site, hall, sensor): sensor ids are unique only within a hall (migration 0011).
    adopted_zone : set when an admin or curator adopts it into the hall; readings count from then on
    """

    __tablename__ = "unknown_device"

    site: str = Field(default="", primary_key=True, max_length=64, sa_column_kwargs={"server_default": ""})
    hall: str = Field(default="", primary_key=True, max_length=64, sa_column_kwargs={"server_default": ""})
    sensor: str = Field(primary_key=True, max_length=128)
    topic: str = Field(default="", max_length=512)
    first_seen_us: int = Field(sa_column=_us())
    last_seen_us: int = Field(sa_column=_us())
    messages: int = 0
    adopted_zone: str | None = Field(default=None, max_length=64)
    adopted_by: str = Field(default="", max_length=64)
    adopted_at_us: int | None = Field(default=None, sa_column=_us(nullable=True))


class HubUnregistered(SQLModel, table=True):
    """A site forwarding to the hub that the hub does not hold (not in ``hub --sites``).

    Its messages wait in quarantine (:mod:`bridge.hub.registrar`) until an admin registers the
    site; then they are stored (``released`` counts them) and ``registered_at_us`` is set.
    """

    __tablename__ = "hub_unregistered"

    site: str = Field(primary_key=True, max_length=64)
    topic: str = Field(default="", max_length=512)
    first_seen_us: int = Field(sa_column=_us())
    last_seen_us: int = Field(sa_column=_us())
    messages: int = 0
    released: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    registered_at_us: int | None = Field(default=None, sa_column=_us(nullable=True))


# --------------------------------------------------------------------------
# files


class StoredFile(SQLModel, table=True):
    """A file kept by :mod:`bridge.store.files`: photo of an inspection, 3D model.

    sha256 : hex digest of the content (also its key in the file store)
    media_type : checked against the content's signature
    location : URL of the blob (``file://...`` or ``s3://bucket/key``)
    """

    __tablename__ = "stored_file"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    media_type: str = Field(max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    name: str = ""
    location: str = ""
    relic_id: int | None = Field(default=None, foreign_key="relic.id")
    record_id: int | None = Field(default=None, foreign_key="preservation_record.id")
    created_at_us: int = Field(sa_column=_us())
