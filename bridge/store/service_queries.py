"""Archive queries the twin service needs: users and roles, relics, records, alerts.

Kept apart from :mod:`bridge.store.store` (time series) so the API's needs
grow here. Every function takes an open :class:`~bridge.store.Store` and
returns SQLModel rows detached from their session (``expire_on_commit=False``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from bridge.errors import StorageError
from bridge.store.epoch import to_us
from bridge.store.models import (
    Alert,
    AlertAck,
    AuditEvent,
    PreservationRecord,
    Relic,
    Role,
    StoredFile,
    UnknownDevice,
    User,
)
from bridge.store.store import Store

#: The four roles, least to most trusted, with their names (zh, en).
ROLE_NAMES: dict[str, tuple[str, str]] = {
    "visitor": ("访客", "visitor"),
    "staff": ("工作人员", "staff"),
    "curator": ("保管员", "curator"),
    "admin": ("管理员", "administrator"),
}


def ensure_roles(store: Store, permissions: Mapping[str, str]) -> None:
    """Create (or refresh the permissions of) the four role rows; ``permissions`` maps role -> csv."""
    with store.session() as s:
        for rid, (zh, en) in ROLE_NAMES.items():
            row = s.get(Role, rid) or Role(id=rid)
            row.name_zh, row.name_en, row.permissions = zh, en, permissions.get(rid, "")
            s.add(row)
        s.commit()


# ---------------------------------------------------------------------- users


def get_user(store: Store, username: str) -> User | None:
    with store.session() as s:
        return s.exec(select(User).where(User.username == username)).first()


def list_users(store: Store) -> list[User]:
    with store.session() as s:
        return list(s.exec(select(User).order_by(col(User.username))))


def add_user(store: Store, username: str, role: str, password_hash: str, display_name: str = "",
             site: str = "") -> User:
    """Insert a user (of ``site`` on a hub; '' = every site); StorageError when the name is taken."""
    if get_user(store, username) is not None:
        raise StorageError(f"user {username!r} exists | 用户已存在")
    row = User(
        username=username,
        role_id=role,
        password_hash=password_hash,
        display_name=display_name,
        created_at_us=to_us(datetime.now(UTC)),
        token_stamp=new_stamp(),
        site=site,
    )
    with store.session() as s:
        s.add(row)
        s.commit()
        s.refresh(row)
    return row


#: the fields whose change ends every token the user holds (see :func:`update_user`)
REVOKING_FIELDS = ("role_id", "password_hash", "active")


def new_stamp() -> str:
    """A fresh token stamp: random, so a removed and re-created user never revives an old token."""
    return secrets.token_hex(8)


def update_user(store: Store, username: str, **changes: Any) -> User | None:
    """Change fields (role_id, password_hash, active, display_name) of a user; None when absent.

    A change of role, password or active flag gives the user a new token stamp: every token
    issued before stops working at its next request.
    """
    with store.session() as s:
        row = s.exec(select(User).where(User.username == username)).first()
        if row is None:
            return None
        for k, v in changes.items():
            setattr(row, k, v)
        if any(k in REVOKING_FIELDS for k in changes):
            row.token_stamp = new_stamp()
        s.add(row)
        s.commit()
        s.refresh(row)
        return row


def remove_user(store: Store, username: str) -> bool:
    """Delete a user (their acknowledgements keep no name); False when absent."""
    with store.session() as s:
        row = s.exec(select(User).where(User.username == username)).first()
        if row is None:
            return False
        for ack in s.exec(select(AlertAck).where(AlertAck.user_id == row.id)):
            ack.user_id = None
            s.add(ack)
        s.delete(row)
        s.commit()
        return True


# ---------------------------------------------------------------------- audit log


def audit(store: Store, action: str, *, actor: str = "", target: str = "", address: str = "", ok: bool = True,
          detail: str = "", when: datetime | None = None) -> None:
    """Append one event to the audit log (sign-ins, failed sign-ins, admin actions)."""
    row = AuditEvent(at_us=to_us(when or datetime.now(UTC)), actor=actor[:64], action=action[:64],
                     target=target[:200], address=address[:64], ok=ok, detail=detail[:2000])
    with store.session() as s:
        s.add(row)
        s.commit()


def list_audit(store: Store, limit: int = 100, before_id: int | None = None,
               action: str | None = None) -> list[AuditEvent]:
    """Audit events, newest first; ``before_id`` pages backwards."""
    with store.session() as s:
        stmt = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
        if before_id is not None:
            stmt = stmt.where(col(AuditEvent.id) < before_id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return list(s.exec(stmt))


# ---------------------------------------------------------------------- unknown devices


def note_unknown_devices(store: Store, seen: Mapping[tuple[str, str, str], tuple[str, datetime, int]]) -> None:
    """Count messages of sensors their hall's scene does not know: ``{(site, hall, sensor): (topic, last seen, n)}``."""
    if not seen:
        return
    with store.session() as s:
        for (site, hall, sensor), (topic, when, n) in seen.items():
            key = (site[:64], hall[:64], sensor[:128])
            row = s.get(UnknownDevice, key)
            at = to_us(when)
            if row is None:
                row = UnknownDevice(site=key[0], hall=key[1], sensor=key[2], topic=topic[:512], first_seen_us=at,
                                    last_seen_us=at)
            row.topic, row.last_seen_us, row.messages = topic[:512], max(row.last_seen_us, at), row.messages + n
            s.add(row)
        s.commit()


def list_unknown_devices(store: Store, include_adopted: bool = False, *, hall: str | None = None,
                         site: str | None = "") -> list[UnknownDevice]:
    """Unknown devices, newest heard first; ``hall`` / ``site`` None: any (site '' is a museum's own box)."""
    with store.session() as s:
        stmt = select(UnknownDevice).order_by(col(UnknownDevice.last_seen_us).desc(), col(UnknownDevice.hall),
                                              col(UnknownDevice.sensor))
        if not include_adopted:
            stmt = stmt.where(col(UnknownDevice.adopted_zone).is_(None))
        if hall is not None:
            stmt = stmt.where(UnknownDevice.hall == hall)
        if site is not None:
            stmt = stmt.where(UnknownDevice.site == site)
        return list(s.exec(stmt))


def adopted_devices(store: Store, site: str = "") -> dict[tuple[str, str], str]:
    """Sensors adopted into a hall: {(hall, sensor id): zone}."""
    with store.session() as s:
        rows = s.exec(select(UnknownDevice).where(col(UnknownDevice.adopted_zone).is_not(None),
                                                  UnknownDevice.site == site))
        return {(r.hall, r.sensor): r.adopted_zone or "" for r in rows}


def adopt_device(store: Store, sensor: str, zone: str, by: str, *, hall: str, site: str = "") -> UnknownDevice | None:
    """Mark the unknown device ``sensor`` of ``hall`` adopted into ``zone``; None when it was never heard of there."""
    with store.session() as s:
        row = s.get(UnknownDevice, (site, hall, sensor))
        if row is None:
            return None
        row.adopted_zone, row.adopted_by, row.adopted_at_us = zone, by, to_us(datetime.now(UTC))
        s.add(row)
        s.commit()
        s.refresh(row)
        return row


# ---------------------------------------------------------------------- relics and records


def list_relics(store: Store, limit: int = 100, offset: int = 0) -> list[Relic]:
    with store.session() as s:
        return list(s.exec(select(Relic).order_by(col(Relic.id)).offset(offset).limit(limit)))


def get_relic(store: Store, relic_id: int) -> Relic | None:
    with store.session() as s:
        return s.get(Relic, relic_id)


def relic_by_catalogue(store: Store, number: str) -> Relic | None:
    with store.session() as s:
        return s.exec(select(Relic).where(Relic.catalogue_number == number)).first()


def save(store: Store, row: Any) -> Any:
    """Insert or update one archive row; returns it refreshed (with its id)."""
    with store.session() as s:
        s.add(row)
        s.commit()
        s.refresh(row)
        return row


def list_records(store: Store, relic_id: int) -> list[PreservationRecord]:
    with store.session() as s:
        stmt = select(PreservationRecord).where(PreservationRecord.relic_id == relic_id)
        return list(s.exec(stmt.order_by(col(PreservationRecord.started_at_us))))


def get_record(store: Store, record_id: int) -> PreservationRecord | None:
    with store.session() as s:
        return s.get(PreservationRecord, record_id)


def list_files(store: Store, relic_id: int | None = None) -> list[StoredFile]:
    with store.session() as s:
        stmt = select(StoredFile).order_by(col(StoredFile.id))
        if relic_id is not None:
            stmt = stmt.where(StoredFile.relic_id == relic_id)
        return list(s.exec(stmt))


# ---------------------------------------------------------------------- alerts


def list_alerts(store: Store, open_only: bool = False, limit: int = 100, *, hall: str | None = None,
                site: str | None = None) -> list[tuple[Alert, list[AlertAck]]]:
    """Newest alerts first (of ``hall``/``site``; None: any), each with its acknowledgements."""
    with store.session() as s:
        stmt = select(Alert).order_by(col(Alert.raised_at_us).desc(), col(Alert.id).desc()).limit(limit)
        if open_only:
            stmt = stmt.where(col(Alert.cleared_at_us).is_(None))
        if hall is not None:
            stmt = stmt.where(Alert.hall == hall)
        if site is not None:
            stmt = stmt.where(Alert.site == site)
        alerts = list(s.exec(stmt))
        ids = [a.id for a in alerts]
        acks: dict[int, list[AlertAck]] = {}
        if ids:
            for ack in s.exec(select(AlertAck).where(col(AlertAck.alert_id).in_(ids)).order_by(col(AlertAck.id))):
                acks.setdefault(ack.alert_id, []).append(ack)
        return [(a, acks.get(a.id or 0, [])) for a in alerts]


def get_alert(store: Store, alert_id: int) -> Alert | None:
    with store.session() as s:
        return s.get(Alert, alert_id)


def open_alert_by_key(store: Store, key: str) -> Alert | None:
    """The open alert row of the live engine's alert ``key`` (newest if several)."""
    with store.session() as s:
        stmt = select(Alert).where(Alert.key == key, col(Alert.cleared_at_us).is_(None))
        return s.exec(stmt.order_by(col(Alert.id).desc())).first()


def ack_alert(
    store: Store, alert_id: int, user_id: int | None, note: str = "", when: datetime | None = None
) -> AlertAck | None:
    """Record who acknowledged alert ``alert_id`` and when; None when there is no such alert."""
    with store.session() as s:
        if s.get(Alert, alert_id) is None:
            return None
        ack = AlertAck(alert_id=alert_id, user_id=user_id, note=note, acked_at_us=to_us(when or datetime.now(UTC)))
        s.add(ack)
        s.commit()
        s.refresh(ack)
        return ack


def usernames(store: Store, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    with store.session() as s:
        return {u.id: u.username for u in s.exec(select(User).where(col(User.id).in_(user_ids))) if u.id}
