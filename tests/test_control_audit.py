"""The control audit trail as a table (migration 0010) on SQLite and PostgreSQL: entries round-trip,
filter by hall, actuator, kind and period; an interlock that overrules the controller is logged once;
the JSON lines of earlier versions move in; the monthly report reads it (tests/test_report.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from bridge.control.audit import AuditLog, Entry, entries, import_json_lines
from bridge.control.runtime import ControlRuntime
from bridge.store import Store
from bridge.store import schema as store_schema
from bridge.store.store import make_engine
from simulation.actuators import Actuator, devices_for
from simulation.control import humidistat
from simulation.control.controller import Humidistat, Observation

DH = Actuator(id="dh1", kind="dehumidifier", name={"zh-CN": "除湿机", "en": "Dehumidifier"}, zone="z1",
              position=np.zeros(3), convention="tasmota", topic="plug_dh1", policy="auto", capacity_g_h=500.0)


def test_entries_round_trip_and_filter_on_both_databases(database_url: str) -> None:
    engine = make_engine(database_url)
    store_schema.upgrade(engine, "0009")  # a database of the JSON-lines days upgrades in place
    engine.dispose()
    with Store.open(url=database_url) as store:
        a, b = AuditLog(store, "hall_a"), AuditLog(store, "hall_b", site="museum_2")
        a.append(Entry("command", "dh1", "2026-11-02T10:00:00Z", "mpc", why={"rules": [], "plan": {"cost": 1.5}},
                       before={"on": False}, after={"on": True}))
        a.append(Entry("echo", "dh1", "2026-11-02T10:00:01.250000Z", "dh1", echo={"on": True, "power": 318}))
        a.append(Entry("policy", "hu1", "2026-11-03T08:00:00Z", "李", before={"policy": "auto"},
                       after={"policy": "advise"}, why={"role": "curator"}))
        b.append(Entry("command", "dh1", "2026-11-02T11:00:00Z", "humidistat"))
        got = a.entries()
        assert [(e["kind"], e["actuator"], e["at"]) for e in got] == [
            ("command", "dh1", "2026-11-02T10:00:00Z"), ("echo", "dh1", "2026-11-02T10:00:01.250000Z"),
            ("policy", "hu1", "2026-11-03T08:00:00Z")]
        assert got[0]["why"] == {"rules": [], "plan": {"cost": 1.5}} and got[0]["echo"] is None
        assert got[1]["echo"] == {"on": True, "power": 318} and got[2]["who"] == "李"
        assert [e["kind"] for e in a.entries("dh1")] == ["command", "echo"]
        assert [e["actuator"] for e in a.entries(kind="policy")] == ["hu1"]
        assert len(a.entries(limit=2)) == 2 and a.entries(limit=1)[0]["kind"] == "policy"  # the newest
        day = a.entries(start=datetime(2026, 11, 2, tzinfo=UTC), end=datetime(2026, 11, 3, tzinfo=UTC))
        assert [e["kind"] for e in day] == ["command", "echo"]
        assert [e["who"] for e in b.entries()] == ["humidistat"]  # halls and sites never mix
        assert entries(store, "hall_b") == []  # hall_b of site '' is another hall


def test_interlock_trip_is_audited_once_while_it_holds(tmp_path) -> None:
    with Store.open(data_dir=tmp_path) as store:
        clock = [1.8e9]
        rt = ControlRuntime("h", (DH,), Humidistat(devices_for((DH,)), humidistat.Setpoints.for_band(50.0, 60.0)),
                            lambda t, p: None, AuditLog(store, "h"), clock=lambda: clock[0])

        def step(rh: float) -> None:
            rt.control(Observation(20.0, rh, np.zeros(0), np.array([rh]), 12.0, 85.0))
            clock[0] += 120.0

        step(59.0)  # on
        rt.on_message("stat/plug_dh1/POWER", b"ON")
        for _ in range(3):  # dry at once: the humidistat would stop it, the minimum on time holds it
            step(50.0)
        trips = rt.audit.entries(kind="interlock")
        assert len(trips) == 1
        assert trips[0]["before"] == {"on": False} and trips[0]["after"] == {"on": True}  # proposed, let through
        assert trips[0]["why"]["rules"] == ["min_on"] and trips[0]["why"]["reasons"][0]["zh-CN"]
        for _ in range(4):  # 10 min passed: it stops
            step(50.0)
        assert [e["after"] for e in rt.audit.entries("dh1", "command")] == [{"on": True}, {"on": False}]
        assert len(rt.audit.entries(kind="interlock")) == 1


def test_json_lines_of_earlier_versions_move_into_the_table_once(tmp_path) -> None:
    old = tmp_path / "control" / "demo_hall-audit.jsonl"
    old.parent.mkdir()
    old.write_text(json.dumps({"kind": "command", "actuator": "dh1", "at": "2026-10-06T02:00:00Z", "who": "humidistat",
                               "why": {"rules": []}, "before": {"on": False}, "after": {"on": True},
                               "echo": None, "effect": None}) + "\n{cut by a crash", encoding="utf-8")
    with Store.open(data_dir=tmp_path) as store:
        audit = AuditLog(store, "demo_hall")
        assert import_json_lines(old, audit) == 1
        assert import_json_lines(old, audit) == 0  # renamed: never twice
        assert not old.exists() and old.with_name(old.name + ".imported").exists()
        (e,) = audit.entries()
        assert (e["kind"], e["who"], e["after"], e["at"]) == ("command", "humidistat", {"on": True},
                                                              "2026-10-06T02:00:00Z")
